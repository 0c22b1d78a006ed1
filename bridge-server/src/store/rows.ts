/** Row shapes and rules every SQL engine shares, so the engines answer alike. */
import {
  LIMITS,
  MESSAGE_STATUSES,
  type Address,
  type Attachment,
  type ConversationState,
  type Message,
  type MessageStatus,
  statusMovesForward,
} from '@switchboard/protocol';
import { withoutSite } from '../networks/web/site-scope.js';
import {
  type BlockRecord,
  type ContinuationRecord,
  type ConversationRecord,
  type NewMessage,
  type PartyRecord,
  type WebhookDeliveryRecord,
  isSharedCustomer,
} from './store.js';

export interface ConversationRow {
  id: string;
  site_key: string;
  team: string | null;
  assignee: string | null;
  state: ConversationState;
  opened_by: string;
  created_at: string;
  updated_at: string;
  last_seq: number;
  rating: number | null;
  rating_comment: string | null;
  subject: string | null;
}

/** What an advance of a message's status reads back of it. */
export interface StatusChangeRow {
  conversation_id: string;
  sender: string;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender: string;
  client_id: string | null;
  text: string;
  sent_at: string;
  status: MessageStatus;
  sent_from: string | null;
  /** JSON of the message's attachments (store/file-rows.ts); null without any. */
  attachments: string | null;
  /** JSON of the hop marker a gateway message came with (`NewMessage.via`); null without one. */
  via?: string | null;
  /** The message this one corrects (`Message.corrects`); null for any other. */
  corrects?: string | null;
}

/** A waiting webhook delivery's row. */
export interface WebhookRow {
  id: string;
  hook: string;
  event: string;
  site_key: string;
  body: string;
  attempts: number;
  /** Postgres returns a BIGINT as a string. */
  next_attempt_at: number | string;
}

export function toWebhookDelivery(row: WebhookRow): WebhookDeliveryRecord {
  return {
    id: row.id,
    hook: row.hook,
    event: row.event,
    siteKey: row.site_key,
    body: row.body,
    attempts: row.attempts,
    nextAttemptAt: Number(row.next_attempt_at),
  };
}

/** The `via` column of a message: JSON of its hop marker, null without one. */
export function viaColumn(via: readonly string[] | undefined): string | null {
  return via === undefined ? null : JSON.stringify(via);
}

/** An outbox item's `via` from its message's row, when the message came with a hop marker. */
export function viaOfRow(row: MessageRow): { via?: readonly string[] } {
  return row.via === null || row.via === undefined ? {} : { via: JSON.parse(row.via) as string[] };
}

export interface PartyRow {
  address: string;
  site_key: string | null;
  role: PartyRecord['role'];
  name: string | null;
  email: string | null;
  /** SQLite keeps 0 or 1, Postgres a boolean. */
  verified: number | boolean;
  page_url: string | null;
}

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    from: row.sender as Address,
    text: row.text,
    sentAt: row.sent_at,
    status: row.status,
  };
  if (row.client_id !== null) message.clientId = row.client_id;
  if (row.sent_from !== null) message.sentFrom = row.sent_from as Address;
  if (row.attachments !== null) message.attachments = JSON.parse(row.attachments) as Attachment[];
  if (row.corrects) message.corrects = row.corrects;
  return message;
}

export interface ContinuationRow {
  conversation_id: string;
  site_key: string;
  visitor: string;
  address: string;
  state: ContinuationRecord['state'];
  proof: ContinuationRecord['proof'];
  code_hash: string | null;
  /** Postgres returns a BIGINT as a string. */
  expires_at: number | string | null;
  attempts_left: number | null;
  proven_at: string | null;
  reason: ContinuationRecord['reason'] | null;
  updated_at: string;
  team: string | null;
}

export function toContinuation(row: ContinuationRow): ContinuationRecord {
  const record: ContinuationRecord = {
    conversationId: row.conversation_id,
    siteKey: row.site_key,
    visitor: row.visitor as Address,
    address: row.address as Address,
    state: row.state,
    proof: row.proof,
    updatedAt: row.updated_at,
  };
  if (row.code_hash !== null) record.codeHash = row.code_hash;
  if (row.expires_at !== null) record.expiresAt = Number(row.expires_at);
  if (row.attempts_left !== null) record.attemptsLeft = row.attempts_left;
  if (row.proven_at !== null) record.provenAt = row.proven_at;
  if (row.reason !== null) record.reason = row.reason;
  if (row.team !== null) record.team = row.team;
  return record;
}

/** A continuation's columns in table order, for an upsert. */
export function continuationColumns(record: ContinuationRecord): (string | number | null)[] {
  return [
    record.conversationId,
    record.siteKey,
    record.visitor,
    record.address,
    record.state,
    record.proof,
    record.codeHash ?? null,
    record.expiresAt ?? null,
    record.attemptsLeft ?? null,
    record.provenAt ?? null,
    record.reason ?? null,
    record.updatedAt,
    record.team ?? null,
  ];
}

export function toConversation(row: ConversationRow, participants: readonly string[]): ConversationRecord {
  const conversation: ConversationRecord = {
    id: row.id,
    participants: participants as Address[],
    state: row.state,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    siteKey: row.site_key,
    openedBy: row.opened_by as Address,
    updatedAt: row.updated_at,
  };
  if (row.team !== null) conversation.team = row.team;
  if (row.assignee !== null) conversation.assignee = row.assignee as Address;
  if (row.rating !== null) conversation.rating = row.rating;
  if (row.rating_comment !== null) conversation.ratingComment = row.rating_comment;
  if (row.subject !== null) conversation.subject = row.subject;
  return conversation;
}

export function toParty(row: PartyRow): PartyRecord {
  const party: PartyRecord = { address: row.address as Address, siteKey: row.site_key, role: row.role, verified: row.verified === true || row.verified === 1 };
  if (row.name !== null) party.name = row.name;
  if (row.email !== null) party.email = row.email;
  if (row.page_url !== null) party.pageUrl = row.page_url;
  return party;
}

export interface BlockRow {
  site_key: string;
  address: string;
  blocked_by: string;
  blocked_at: string;
  told: number | boolean;
}

/**
 * What a site may learn of a party: one filed under that site, or a customer on their own network
 * the site has heard from (`heardFromSql`).
 */
export function partyOfSite(party: PartyRecord | null, siteKey: string, heardFrom: boolean): PartyRecord | null {
  if (!party) return null;
  return party.siteKey === siteKey || (isSharedCustomer(party) && heardFrom) ? party : null;
}

/**
 * SQL (the engine's placeholders or columns for `site` and `address`): whether the site has heard
 * from the address, a conversation of the site it opened holding a message from it. An outreach
 * the customer never answered tells the site nothing of what they told another site.
 */
export function heardFromSql(site: string, address: string): string {
  return `EXISTS (SELECT 1 FROM conversations hc WHERE hc.site_key = ${site} AND hc.opened_by = ${address}
    AND EXISTS (SELECT 1 FROM messages hm WHERE hm.conversation_id = hc.id AND hm.sender = hc.opened_by))`;
}

/** SQL: whether a customer search entry's address is a customer on their own network the site heard from (`isSharedCustomer`, `heardFromSql`). */
export function sharedCustomerHeardSql(site: string, address: string): string {
  return `substr(${address}, 1, 4) <> 'web:' AND ${heardFromSql(site, address)}`;
}

/** SQL (the engine's placeholder for the address): the site that heard from it last, to file a shared customer under once the site it was filed under erased it. */
export function lastHeardSiteSql(address: string): string {
  return `SELECT hc.site_key FROM conversations hc WHERE hc.opened_by = ${address}
    AND EXISTS (SELECT 1 FROM messages hm WHERE hm.conversation_id = hc.id AND hm.sender = hc.opened_by)
    ORDER BY hc.updated_at DESC, hc.id DESC LIMIT 1`;
}

export function toBlock(row: BlockRow): BlockRecord {
  return {
    siteKey: row.site_key,
    address: row.address as Address,
    by: row.blocked_by as Address,
    at: row.blocked_at,
    told: row.told === true || row.told === 1,
  };
}

/** Line breaks and tabs: they separate words (a folded header's lines), so each run becomes one space. */
const SUBJECT_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/;
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/**
 * A conversation's subject as stored: one line (breaks become one space, other control characters
 * go), trimmed, cut to `LIMITS.maxSubjectLength` code points; null when nothing is left.
 */
export function cleanSubject(subject: string): string | null {
  const line = subject
    .split(SUBJECT_BREAKS)
    .map((part) => part.replace(CONTROL_CHARACTERS, '').trim())
    .filter((part) => part !== '')
    .join(' ');
  // By code points, so a cut never splits a surrogate pair.
  const cut = Array.from(line).slice(0, LIMITS.maxSubjectLength).join('').trimEnd();
  return cut === '' ? null : cut;
}

/** The statuses a message may move to `next` from (statusMovesForward), for a conditional UPDATE. */
export function statusesBefore(next: MessageStatus): MessageStatus[] {
  return MESSAGE_STATUSES.filter((current) => statusMovesForward(current, next));
}

/** Whether a message to append takes back the one it corrects (`isRetraction` of what it will be). */
export function takesBack(input: Pick<NewMessage, 'corrects' | 'text' | 'attachments'>): boolean {
  return input.corrects !== undefined && input.text === '' && !input.attachments?.length;
}

/** What a `conversation.message` delivery's body holds of its message's id (the message as JSON: `"id":"m_…"`). */
export function webhookNeedleOf(messageId: string): string {
  return `"id":${JSON.stringify(messageId)}`;
}

/**
 * How a party appears in a stored webhook body: as a JSON string in the form the site's backend
 * knows (a web identity without its site), so an erasure finds exactly its deliveries.
 */
export function webhookNeedles(address: Address): string[] {
  return [...new Set([JSON.stringify(address), JSON.stringify(withoutSite(address))])];
}

/** Subscribers' rows (ordered by subscriber, then team) as each subscriber's teams. */
export function teamsBySubscriber(rows: readonly { subscriber: string; team: string }[]): Map<Address, string[]> {
  const teams = new Map<Address, string[]>();
  for (const { subscriber, team } of rows) {
    const list = teams.get(subscriber as Address);
    if (list) list.push(team);
    else teams.set(subscriber as Address, [team]);
  }
  return teams;
}
