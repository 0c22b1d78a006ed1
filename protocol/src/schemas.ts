/**
 * Runtime schemas (zod) for every client-to-server payload of the v1 contract.
 * The bridge validates each incoming payload with these; the payload types in events.ts are
 * derived from them, so the type a handler sees is exactly what was validated.
 * Kept apart from index.ts so a browser bundle that only needs types and constants carries no zod.
 */
import { z } from 'zod';
import { ADDRESS_PATTERN } from './address.js';
import { LIMITS } from './limits.js';
import { CONVERSATION_STATES, MESSAGE_STATUSES, PRESENCE_STATUSES, isBlankText } from './objects.js';

/** An unpaired UTF-16 surrogate: not a character, so it could not be stored or sent as written. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Every string of the contract: well-formed Unicode, or `bad_request` (the rule message text has
 * always had), so what a party reads back is what was sent, never U+FFFD in its place.
 */
const str = () => z.string().refine(isWellFormed, NOT_WELL_FORMED);

/** What a string holding an unpaired surrogate is told. */
export const NOT_WELL_FORMED = 'contains an unpaired surrogate (not valid Unicode)';

/** Whether a string is well-formed Unicode (no unpaired surrogate): every string of the contract is. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * At most `most` characters, counted in code points as the contract counts text (an emoji is one),
 * not in UTF-16 units as zod's `max` does.
 */
export const atMostChars =
  (most: number) =>
  (s: string): boolean =>
    s.length <= most || codePointCount(s) <= most;

function codePointCount(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++, count++) if (s.charCodeAt(i) >= 0xd800 && s.charCodeAt(i) <= 0xdbff) i++;
  return count;
}

const id = str().min(1, 'must not be empty').max(LIMITS.maxIdLength, `must be at most ${LIMITS.maxIdLength} characters`);
const address = str()
  .max(LIMITS.maxAddressLength, `must be at most ${LIMITS.maxAddressLength} characters`)
  .regex(ADDRESS_PATTERN, 'must be an address such as web:v_7f3a or xmpp:alice@example.org');
const seq = z.number().int('must be an integer').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER);
/** Length is checked after the schema so that an over-long text answers `too_large`, not `bad_request`. */
const text = str().refine((s) => !isBlankText(s), 'must not be empty or blank');

/** The sender's idempotency key for a message. */
const clientId = str().min(1, 'must not be empty').max(LIMITS.maxClientIdLength, `must be at most ${LIMITS.maxClientIdLength} characters`);

/**
 * `{ team }`, `{ to }`, or (addition: outreach, agents only) `{ to, team, text?, clientId? }`: a team
 * conversation with a customer on the customer's network, opened by the agent.
 */
export const conversationOpenSchema = z
  .object({ team: id.optional(), to: address.optional(), text: text.optional(), clientId: clientId.optional() })
  .refine((p) => p.team !== undefined || p.to !== undefined, { message: 'give team, to, or both (outreach)', path: ['team'] })
  .refine((p) => p.text === undefined || (p.team !== undefined && p.to !== undefined), {
    message: 'text goes only with both to and team (outreach)',
    path: ['text'],
  })
  .refine((p) => p.clientId === undefined || p.text !== undefined, { message: 'clientId goes only with text (outreach)', path: ['clientId'] })
  // The bridge's own web parties are reached by opening `{ to }`; outreach is for other networks' users.
  .refine((p) => p.team === undefined || p.to === undefined || !p.to.startsWith('web:'), {
    message: 'outreach (to with team) reaches a customer on their own network (xmpp:, sip:, irc:), not a web address',
    path: ['team'],
  });

export const conversationListSchema = z.object({
  state: z.enum(CONVERSATION_STATES).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export const conversationCloseSchema = z.object({ conversationId: id });

/** Addition: the ids of files uploaded with `POST /v1/files`; with at least one, `text` may be empty. */
const attachmentIds = z
  .array(id)
  .min(1, 'give at least one file id, or leave attachments out')
  .max(LIMITS.maxMessageAttachments, `at most ${LIMITS.maxMessageAttachments} files per message`)
  .refine((ids) => new Set(ids).size === ids.length, 'names the same file twice');

export const messageSendSchema = z
  .object({
    conversationId: id,
    clientId,
    text: str(),
    attachments: attachmentIds.optional(),
  })
  .refine((p) => !isBlankText(p.text) || p.attachments !== undefined, { message: 'must not be empty or blank', path: ['text'] });

/** Addition: a signed link to a file of a conversation the caller may read (`thumbnail`: the image's small preview). */
export const fileLinkSchema = z.object({ fileId: id, variant: z.enum(['original', 'thumbnail']).optional() });

export const historyGetSchema = z
  .object({
    conversationId: id,
    afterSeq: seq.optional(),
    beforeSeq: seq.optional(),
    limit: z
      .number()
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(LIMITS.maxHistoryLimit, `must be at most ${LIMITS.maxHistoryLimit}`)
      .optional(),
  })
  .refine((p) => p.afterSeq === undefined || p.beforeSeq === undefined, {
    message: 'give afterSeq or beforeSeq, not both',
    path: ['beforeSeq'],
  });

export const syncSchema = z.object({
  cursors: z
    .record(id, seq)
    .refine((c) => Object.keys(c).length <= LIMITS.maxSyncConversations, `must name at most ${LIMITS.maxSyncConversations} conversations`),
  /** The caller's own messages and the status it shows for each: a later one is told as `message:status`. */
  statuses: z
    .record(id, z.enum(MESSAGE_STATUSES))
    .refine((s) => Object.keys(s).length <= LIMITS.maxSyncStatuses, `must name at most ${LIMITS.maxSyncStatuses} messages`)
    .optional(),
});

export const typingSchema = z.object({ conversationId: id, state: z.enum(['composing', 'paused']) });

export const readSchema = z.object({ conversationId: id, seq });

export const presenceSubscribeSchema = z.object({
  addresses: z.array(address).max(LIMITS.maxPresenceAddresses, `must name at most ${LIMITS.maxPresenceAddresses} addresses`).optional(),
  team: id.optional(),
});

/** Addition to the contract: a web party sets its own presence. */
export const presenceSetSchema = z.object({
  status: z.enum(PRESENCE_STATUSES),
  text: str().refine(atMostChars(200), 'must be at most 200 characters').optional(),
});

/** Addition: a party tells its own details (pre-chat form, current page). */
export const profileUpdateSchema = z.object({
  name: str().trim().min(1, 'must not be empty').refine(atMostChars(200), 'must be at most 200 characters').optional(),
  email: str()
    .trim()
    .refine(atMostChars(320), 'must be at most 320 characters')
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
    .optional(),
  pageUrl: str()
    .refine(atMostChars(2048), 'must be at most 2048 characters')
    .url('must be a URL')
    .refine((u) => /^https?:/i.test(u), 'must be an http or https URL')
    .optional(),
});

/** Addition: what the bridge knows of a party. */
export const partyGetSchema = z.object({ address });

/** The socket.io handshake `auth` object (docs/protocol.md, "Connecting"). */
export const handshakeAuthSchema = z.object({
  siteKey: str().min(1).max(200).optional(),
  token: str().min(1).max(4096).optional(),
  apiKey: str().min(1).max(500).optional(),
  identity: z
    .object({
      userId: str()
        .min(1, 'must not be empty')
        .max(128)
        .regex(/^[A-Za-z0-9._@+-]+$/, 'may hold only letters, digits and . _ @ + -'),
      name: str().refine(atMostChars(200), 'must be at most 200 characters').optional(),
      email: str().refine(atMostChars(320), 'must be at most 320 characters').optional(),
      role: z.enum(['visitor', 'agent']).optional(),
      hash: str().min(1).max(200),
    })
    .optional(),
  /** Addition: an agent signed in at the console: the bridge reads its session cookie (same origin only). */
  agentSession: z.literal(true, 'must be true (the console session cookie signs the agent in)').optional(),
});

/** Addition: a visitor rates a conversation (one question: how was it, 1 to 5). */
export const conversationRateSchema = z.object({
  conversationId: id,
  rating: z.number().int('must be a whole number').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5'),
  comment: str().refine(atMostChars(LIMITS.maxRatingCommentLength), `must be at most ${LIMITS.maxRatingCommentLength} characters`).optional(),
});

/** Addition: an agent command from the uniform API (`/list`, `/claim ID`, ...: docs/support-desk.md). */
export const agentCommandSchema = z.object({
  text: str()
    .trim()
    .min(2, 'must be a command such as /list')
    .refine(atMostChars(2000), 'must be at most 2000 characters')
    .startsWith('/', 'must start with /'),
});

/** Addition: a visitor asks to continue a conversation at an address of theirs on another network. */
export const continuationStartSchema = z.object({ conversationId: id, address });

/** Addition: the visitor types the code the bridge sent to that address. */
export const continuationVerifySchema = z.object({
  conversationId: id,
  code: str()
    .trim()
    .regex(new RegExp(`^[0-9]{${LIMITS.continuationCodeLength}}$`), `must be the ${LIMITS.continuationCodeLength}-digit code that was sent`),
});

/** Addition: the visitor (or an agent of the conversation) stops continuing on the other network. */
export const continuationStopSchema = z.object({ conversationId: id });

/** Addition: an agent invites the visitor to continue on a network (`xmpp`, `sip`, `mailto`). */
export const continuationInviteSchema = z.object({
  conversationId: id,
  network: str().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network scheme such as xmpp'),
});

/** Addition: a contact, by one of its addresses or by its id. */
export const contactGetSchema = z
  .object({ address: address.optional(), contactId: id.optional() })
  .refine((p) => (p.address === undefined) !== (p.contactId === undefined), { message: 'give exactly one of address or contactId', path: ['address'] });

/** Addition: an agent merges contact `contactId` into contact `into`. */
export const contactMergeSchema = z
  .object({ contactId: id, into: id })
  .refine((p) => p.contactId !== p.into, { message: 'must name two different contacts', path: ['into'] });

/** Addition: an agent undoes a merge. */
export const contactUnmergeSchema = z.object({ mergeId: id });

/** Addition (agent inbox): a view of the site's conversations (docs/protocol.md, "Addition: the agent inbox"). */
export const inboxListSchema = z.object({
  view: z.enum(['mine', 'unassigned', 'open', 'closed']),
  team: id.optional(),
  limit: z.number().int('must be a whole number').min(1, 'must be 1 to 200').max(200, 'must be 1 to 200').optional(),
  sort: z.enum(['waiting', 'updated']).optional(),
});

/** Addition (agent inbox): the counts of the views, of one team or of the whole site. */
export const inboxCountsSchema = z.object({ team: id.optional() });

/** Addition (agent inbox): search messages, notes and customers of the site. */
export const inboxSearchSchema = z.object({
  query: str().trim().min(1, 'must not be empty').refine(atMostChars(200), 'must be at most 200 characters'),
  limit: z.number().int('must be a whole number').min(1, 'must be 1 to 50').max(50, 'must be 1 to 50').optional(),
});

/** Addition (agent inbox): the caller takes a conversation of their team (as `/claim ID`). */
export const conversationClaimSchema = z.object({ conversationId: id });

/** Addition (agent inbox): hand a conversation to an agent (id, address or name) or to a team's queue (as `/transfer`). */
export const conversationTransferSchema = z.object({
  conversationId: id,
  to: z.union([z.object({ agent: id }).strict(), z.object({ team: id }).strict()], { message: 'must be { agent } or { team }' }),
});

/** Addition (agent inbox): the site's teams and their members. */
export const deskDirectorySchema = z.object({});

/** Addition (agent inbox): canned replies of the caller's teams, or of one team. */
export const cannedListSchema = z.object({ team: id.optional() });

/** Addition (agent inbox): a private note on a conversation; `clientId` makes it idempotent (per author). */
export const noteAddSchema = z.object({ conversationId: id, text, clientId: clientId.optional() });

/** Addition (agent inbox): a conversation's notes. */
export const noteListSchema = z.object({ conversationId: id });
/** A UTC day `YYYY-MM-DD` that exists. */
const day = str()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day such as 2026-11-24')
  .refine((value) => {
    const date = new Date(`${value}T00:00:00.000Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  }, 'must be a day such as 2026-11-24');

/** Most days one report covers. */
export const REPORT_MAX_DAYS = 366;

/** Addition: a report of the caller's site (agents, integrations): conversations created from `from` to `to`, both included. */
export const reportGetSchema = z
  .object({ from: day, to: day, by: z.enum(['team', 'agent', 'network'], 'must be team, agent or network') })
  .refine((p) => p.to >= p.from, { message: 'must not be before from', path: ['to'] })
  .refine((p) => (Date.parse(p.to) - Date.parse(p.from)) / 86_400_000 < REPORT_MAX_DAYS, {
    message: `must be at most ${REPORT_MAX_DAYS - 1} days after from (a report covers ${REPORT_MAX_DAYS} days at most, both ends included)`,
    path: ['to'],
  });

/** `POST /v1/messages` body. */
export const restMessageSchema = z
  .object({
    conversationId: id.optional(),
    to: address.optional(),
    team: id.optional(),
    text: str(),
    clientId: clientId.optional(),
    attachments: attachmentIds.optional(),
  })
  .refine((p) => !isBlankText(p.text) || p.attachments !== undefined, { message: 'must not be empty or blank', path: ['text'] })
  .refine((p) => (p.conversationId === undefined) !== (p.to === undefined), {
    message: 'give exactly one of conversationId or to',
    path: ['conversationId'],
  })
  // Addition: `to` with `team` is outreach, a team conversation with a customer on their network.
  .refine((p) => p.team === undefined || p.to !== undefined, { message: 'team goes only with to (outreach)', path: ['team'] })
  // Files are uploaded into a conversation: the message names it.
  .refine((p) => p.attachments === undefined || p.conversationId !== undefined, {
    message: 'go with conversationId: upload each file into that conversation first (POST /v1/files)',
    path: ['attachments'],
  });

export type ConversationOpenPayload = z.infer<typeof conversationOpenSchema>;
export type ConversationListPayload = z.infer<typeof conversationListSchema>;
export type ConversationClosePayload = z.infer<typeof conversationCloseSchema>;
export type MessageSendPayload = z.infer<typeof messageSendSchema>;
export type FileLinkPayload = z.infer<typeof fileLinkSchema>;
export type HistoryGetPayload = z.infer<typeof historyGetSchema>;
export type SyncPayload = z.infer<typeof syncSchema>;
export type TypingPayload = z.infer<typeof typingSchema>;
export type ReadPayload = z.infer<typeof readSchema>;
export type PresenceSubscribePayload = z.infer<typeof presenceSubscribeSchema>;
export type PresenceSetPayload = z.infer<typeof presenceSetSchema>;
export type HandshakeAuth = z.infer<typeof handshakeAuthSchema>;
export type ProfileUpdatePayload = z.infer<typeof profileUpdateSchema>;
export type PartyGetPayload = z.infer<typeof partyGetSchema>;
export type RestMessageBody = z.infer<typeof restMessageSchema>;
export type ConversationRatePayload = z.infer<typeof conversationRateSchema>;
export type AgentCommandPayload = z.infer<typeof agentCommandSchema>;
export type ContinuationStartPayload = z.infer<typeof continuationStartSchema>;
export type ContinuationVerifyPayload = z.infer<typeof continuationVerifySchema>;
export type ContinuationStopPayload = z.infer<typeof continuationStopSchema>;
export type ContinuationInvitePayload = z.infer<typeof continuationInviteSchema>;
export type ContactGetPayload = z.infer<typeof contactGetSchema>;
export type ContactMergePayload = z.infer<typeof contactMergeSchema>;
export type ContactUnmergePayload = z.infer<typeof contactUnmergeSchema>;
export type InboxListPayload = z.infer<typeof inboxListSchema>;
export type InboxCountsPayload = z.infer<typeof inboxCountsSchema>;
export type InboxSearchPayload = z.infer<typeof inboxSearchSchema>;
export type ConversationClaimPayload = z.infer<typeof conversationClaimSchema>;
export type ConversationTransferPayload = z.infer<typeof conversationTransferSchema>;
export type DeskDirectoryPayload = z.infer<typeof deskDirectorySchema>;
export type CannedListPayload = z.infer<typeof cannedListSchema>;
export type NoteAddPayload = z.infer<typeof noteAddSchema>;
export type NoteListPayload = z.infer<typeof noteListSchema>;
export type ReportGetPayload = z.infer<typeof reportGetSchema>;

/** Every client-to-server event and the schema of its payload. */
export const clientEventSchemas = {
  'conversation:open': conversationOpenSchema,
  'conversation:list': conversationListSchema,
  'conversation:close': conversationCloseSchema,
  'message:send': messageSendSchema,
  'file:link': fileLinkSchema,
  'history:get': historyGetSchema,
  sync: syncSchema,
  typing: typingSchema,
  read: readSchema,
  'presence:subscribe': presenceSubscribeSchema,
  'presence:set': presenceSetSchema,
  'profile:update': profileUpdateSchema,
  'party:get': partyGetSchema,
  'conversation:rate': conversationRateSchema,
  'agent:command': agentCommandSchema,
  'continuation:start': continuationStartSchema,
  'continuation:verify': continuationVerifySchema,
  'continuation:stop': continuationStopSchema,
  'continuation:invite': continuationInviteSchema,
  'contact:get': contactGetSchema,
  'contact:merge': contactMergeSchema,
  'contact:unmerge': contactUnmergeSchema,
  'inbox:list': inboxListSchema,
  'inbox:counts': inboxCountsSchema,
  'inbox:search': inboxSearchSchema,
  'conversation:claim': conversationClaimSchema,
  'conversation:transfer': conversationTransferSchema,
  'desk:directory': deskDirectorySchema,
  'canned:list': cannedListSchema,
  'note:add': noteAddSchema,
  'note:list': noteListSchema,
  'report:get': reportGetSchema,
} as const;

/**
 * `message:send` in its common form (`{ conversationId, clientId, text }` with a text that is not
 * blank, nothing else) checked by hand: what messageSendSchema answers for it, at a fraction of the
 * cost, on the path of every message. Undefined for anything else (files, other keys, a payload to
 * refuse): the schema decides, and names what is wrong.
 */
export function messageSendCommonForm(value: Readonly<Record<string, unknown>>): MessageSendPayload | undefined {
  const { conversationId, clientId, text } = value;
  if (typeof conversationId !== 'string' || typeof clientId !== 'string' || typeof text !== 'string') return undefined;
  // The three strings are there: a fourth key is one the schema would drop (or `attachments`).
  if (Object.keys(value).length !== 3) return undefined;
  if (conversationId.length < 1 || conversationId.length > LIMITS.maxIdLength) return undefined;
  if (clientId.length < 1 || clientId.length > LIMITS.maxClientIdLength) return undefined;
  if (isBlankText(text)) return undefined;
  if (LONE_SURROGATE.test(conversationId) || LONE_SURROGATE.test(clientId) || LONE_SURROGATE.test(text)) return undefined;
  return { conversationId, clientId, text };
}

/** Payloads checked by hand in their common form before their schema: the events on every message's path. */
export const commonForms: {
  readonly [E in keyof typeof clientEventSchemas]?: (value: Readonly<Record<string, unknown>>) => z.infer<(typeof clientEventSchemas)[E]> | undefined;
} = {
  'message:send': messageSendCommonForm,
};

/** One sentence naming the first offending field, e.g. `conversationId: expected string, received number`. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'payload is invalid';
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'payload';
  const message = issue.message.replace(/^Invalid input: /, '');
  return `${field}: ${message}`;
}
