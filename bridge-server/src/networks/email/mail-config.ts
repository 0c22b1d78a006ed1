/**
 * The email network's own settings, apart from its IMAP and SMTP endpoints: the domain of the
 * Message-IDs it writes, the teams' addresses and the secret of its plus-address tokens (a
 * sender's rate is the core's `limits.customers`, as on every network). The network's full entry
 * of `networks` spreads `mailSettingsShape` and runs `checkMailSettings` in its own refinement.
 */
import { z } from 'zod';
import { isMailAddress } from './mail-headers.js';

/** The environment variable that holds the plus-address secret when the configuration does not. */
export const PLUS_ADDRESS_SECRET_ENV = 'SWITCHBOARD_EMAIL_SECRET';
/** Shortest secret taken: a plus-address token is only as hard to forge as its key is to guess. */
export const MIN_SECRET_LENGTH = 32;

const domainName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'must be a domain name such as bridge.example.com');

/**
 * A mailbox the bridge reads (RFC 5322 dot-atom local part). No `+`: the plus address of a
 * conversation is `<local>+<token>@<domain>`, so a team's own address cannot hold one.
 */
export const TEAM_MAIL_ADDRESS = /^[a-z0-9!#$%&'*/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*/=?^_`{|}~-]+)*@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

export const mailSettingsShape = {
  /** The domain of every Message-ID the bridge writes (`<...@bridge.example.com>`): one the bridge owns. */
  messageIdDomain: domainName,
  /**
   * The teams' addresses, each the team it serves (`{ "support@example.com": "support" }`): a
   * customer's mail to one opens or continues a conversation with that team, and the team's answers
   * leave from it.
   */
  teams: z.record(z.string(), z.string().min(1)).refine((teams) => Object.keys(teams).length > 0, 'must name at least one address'),
  /** The site of a customer's conversation with a team that serves several sites. */
  site: z.string().min(1).optional(),
  /**
   * The key of the conversations' plus-address tokens (`support+<token>@example.com`), at least 32
   * characters; else the environment variable SWITCHBOARD_EMAIL_SECRET. The key of the bridge's
   * Message-IDs too: changing it orphans the plus addresses and Message-IDs already sent.
   */
  plusAddressSecret: z.string().min(MIN_SECRET_LENGTH).optional(),
  /** What separates a mailbox from its tag in the mail server (Postfix `recipient_delimiter`, Dovecot's the same). */
  subaddressSeparator: z.enum(['+', '-']).default('+'),
  /** Subject of a mail about a conversation that has none (a web visitor's); replies keep the customer's. */
  subject: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must be one line')
    .default('Your conversation with us'),
  /** Send a minimal HTML alternative beside the text (escaped, links not made). */
  html: z.boolean().default(true),
  /**
   * Copy the answers to a customer to whom their latest mail had in Cc (and To, but the team's
   * mailboxes). Off by default: a From is what the sender wrote, so whoever writes as a customer,
   * their own address in Cc, gets that customer's answers.
   */
  keepCc: z.boolean().default(false),
  /**
   * Senders that write for someone else (a website's contact form sending as `noreply@`): a mail of
   * theirs whose `Reply-To` names one mailbox is that customer's. Nobody else's `Reply-To` is
   * taken: it is checked by no one, where a forged `From` often meets DMARC.
   */
  formSenders: z
    .array(z.string().refine((address) => isMailAddress(address.toLowerCase()), 'must be a mail address (noreply@shop.example)'))
    .default([])
    .transform((senders) => senders.map((sender) => sender.toLowerCase())),
};

export const mailSettingsSchema = z.strictObject(mailSettingsShape).superRefine((settings, context) => checkMailSettings(settings, context));

export type MailSettings = z.infer<typeof mailSettingsSchema>;

/**
 * Adds an issue for each team address that is not a plain mailbox, and for each that differs from
 * an earlier one only in case (mail servers fold them together).
 */
export function checkMailSettings(settings: Pick<MailSettings, 'teams'>, context: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const address of Object.keys(settings.teams)) {
    if (address.length > 254 || !TEAM_MAIL_ADDRESS.test(address))
      context.addIssue({ code: 'custom', path: ['teams', address], message: 'must be an address such as support@example.com, without "+"' });
    const folded = address.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) context.addIssue({ code: 'custom', path: ['teams', address], message: `is the same address as "${earlier}"` });
    else seen.set(folded, address);
  }
}

/**
 * The plus-address secret: the configuration's, else the environment's. Throws when neither holds
 * one long enough: with none, a stranger could write into any conversation.
 */
export function plusAddressSecretOf(settings: Pick<MailSettings, 'plusAddressSecret'>, env: NodeJS.ProcessEnv = process.env): string {
  const secret = settings.plusAddressSecret ?? env[PLUS_ADDRESS_SECRET_ENV];
  if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) return secret;
  throw new Error(`plusAddressSecret: set it (at least ${MIN_SECRET_LENGTH} characters), or the environment variable ${PLUS_ADDRESS_SECRET_ENV}`);
}

/** A team's mailbox as the configuration writes it, and the team it serves. */
export interface TeamMailbox {
  address: string;
  team: string;
}

/**
 * The team mailbox an address reaches, compared without regard to case: the mailbox itself, or a
 * subaddress of it (`support+anything@example.com`, RFC 5233), as the mail server delivers both to it.
 */
export function teamMailboxOf(settings: Pick<MailSettings, 'teams' | 'subaddressSeparator'>, address: string): TeamMailbox | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const local = address.slice(0, at).toLowerCase();
  const domain = address.slice(at + 1).toLowerCase();
  const teams = new Map(Object.entries(settings.teams).map(([teamAddress, team]) => [teamAddress.toLowerCase(), { address: teamAddress, team }]));
  const exact = teams.get(`${local}@${domain}`);
  if (exact) return exact;
  // The mailbox's own name may hold the separator (`customer-care` with `-`): each place it appears may start the tag.
  for (let cut = local.indexOf(settings.subaddressSeparator); cut > 0; cut = local.indexOf(settings.subaddressSeparator, cut + 1)) {
    const mailbox = teams.get(`${local.slice(0, cut)}@${domain}`);
    if (mailbox) return mailbox;
  }
  return null;
}
