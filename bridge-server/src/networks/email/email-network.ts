/**
 * The email network (docs/networks/email.md): customers write to a team's mailbox and agents answer
 * by mail. Mail in through one IMAP connection to the mailbox (imap-inbox.ts, read by
 * email-inbound.ts), mail out through SMTP submission (smtp-sender.ts, written by
 * email-outbound.ts), threads kept in the store (email-thread.ts). Addresses are `mailto:` and a
 * lowercased mail address; no typing, no presence, no receipts: delivery is the SMTP server's
 * acceptance, and a bounce fails the message. Files are MIME attachments both ways.
 */
import type { Address } from '@switchboard/protocol';
import { ConfigError } from '../../config-error.js';
import type {
  BurstFeature,
  CustomerDoorFeature,
  DeskFeature,
  DeskTeam,
  GatewayFeature,
  IdentityFeature,
  PresenceFeature,
  NetworkContext,
  NetworkCore,
  NetworkRecords,
  VisitorFallbackFeature,
} from '../network.js';
import { type EmailNetworkConfig, teamProblems } from './config.js';
import { EmailAgents } from './email-agents.js';
import { EmailInbound } from './email-inbound.js';
import { EmailOutbound, mailAddressOf } from './email-outbound.js';
import { MailThreads } from './email-thread.js';
import { resolveImapEndpoint, resolveSmtpEndpoint } from './endpoints-config.js';
import { ImapInbox, type MailboxState } from './imap-inbox.js';
import { plusAddressSecretOf, teamMailboxOf } from './mail-config.js';
import { MailDates } from './mail-dates.js';
import { PlusAddresses } from './mail-threading.js';
import { createSmtpSender } from './smtp-sender.js';
import { TeamMailer } from './team-mailer.js';

export { emailNetworkConfigSchema, type EmailNetworkConfig } from './config.js';

type EmailNetwork = NetworkCore &
  BurstFeature &
  GatewayFeature &
  CustomerDoorFeature &
  IdentityFeature &
  DeskFeature &
  Required<Pick<PresenceFeature, 'subscribePresence'>> &
  Partial<VisitorFallbackFeature>;

/** The mailbox state kept in the store; none (a first start: unseen mail only) when it cannot be read. */
function readState(value: string | null): MailboxState | undefined {
  let state: Partial<MailboxState> | null;
  try {
    state = value === null ? null : (JSON.parse(value) as Partial<MailboxState> | null);
  } catch {
    return undefined;
  }
  if (!state) return undefined;
  if (typeof state.uidValidity !== 'string' || typeof state.lastUid !== 'number') return undefined;
  return { uidValidity: state.uidValidity, lastUid: state.lastUid, ...(typeof state.handedUid === 'number' ? { handedUid: state.handedUid } : {}) };
}

/** The plus-address secret, or a configuration error saying where to set it. */
function secretOf(config: EmailNetworkConfig): string {
  try {
    return plusAddressSecretOf(config);
  } catch (error) {
    throw new ConfigError(`networks (email).${(error as Error).message}`);
  }
}

/** Each team mailbox's team is one of the desk's (`teamProblems`, checked with the configuration too, for a network made in code). */
function checkTeams(config: EmailNetworkConfig, teams: readonly DeskTeam[]): void {
  const [problem] = teamProblems(config, { teams, siteKeys: [] });
  if (problem) throw new ConfigError(`networks (email).${problem}`);
}

/** The network's form of a `mailto:` address (lowercased), or null when it is none. */
function mailtoOf(address: string): Address | null {
  const bare = mailAddressOf(address);
  return bare ? `mailto:${bare}` : null;
}

export function createEmailNetwork({
  config,
  sink,
  logger,
  records,
  refs,
  teams = [],
  maxTextLength,
  files,
}: NetworkContext<EmailNetworkConfig>): EmailNetwork {
  if (!records) throw new Error('the email network needs the bridge store (NetworkContext.records)');
  checkTeams(config, teams);
  const store: NetworkRecords = records;
  const imap = resolveImapEndpoint(config.imap, process.env, 'email.imap');
  const smtp = createSmtpSender(resolveSmtpEndpoint(config.smtp, process.env, 'email.smtp'));
  const secret = secretOf(config);
  const plusAddresses = new PlusAddresses(secret, config.subaddressSeparator);
  const threads = new MailThreads(store, { secret, domain: config.messageIdDomain });
  const stateKey = `mailbox:${imap.user}@${imap.host}/${imap.folder}`;
  const teamName = (id: string) => teams.find((team) => team.id === id)?.name;
  const dates = new MailDates();
  const agents = new EmailAgents({
    sink,
    smtp,
    records: store,
    threads,
    plusAddresses,
    secret,
    refs,
    settings: config,
    teamName,
    files,
    dates,
    logger,
    graceSeconds: config.agentGraceSeconds,
  });
  const inbound = new EmailInbound({
    sink,
    records: store,
    threads,
    plusAddresses,
    settings: config,
    logger,
    agents,
    mailer: new TeamMailer({ smtp, settings: config, teamName, dates }),
    ...(maxTextLength !== undefined ? { maxTextLength } : {}),
  });
  const outbound = new EmailOutbound({ smtp, threads, records: store, refs, plusAddresses, secret, settings: config, teamName, files, dates, logger });
  let inbox: ImapInbox | undefined;
  const teamIds = new Set(Object.values(config.teams));
  const visitorFallback: Partial<VisitorFallbackFeature> = config.visitorFallback
    ? { visitorFallbackAfterSeconds: config.visitorFallback.afterSeconds, visitorAddressOf: (email) => mailtoOf(`mailto:${email}`) }
    : {};

  return {
    ...visitorFallback,
    scheme: 'mailto',
    deliversFromStore: false,
    status: () => inbox?.status ?? { state: 'offline', reason: 'not started' },
    async start() {
      const state = readState(await store.state(stateKey));
      inbox = new ImapInbox({
        endpoint: imap,
        ...(state ? { state } : {}),
        // The mail and where the inbox got to are committed before the inbox marks it handled.
        deliver: async (mail) => {
          await inbound.handle(mail);
          await store.setState(stateKey, JSON.stringify(mail.state));
        },
        report: (status) => {
          agents.connected(status.state === 'online');
          sink.status('mailto', status);
        },
        logger,
      });
      await inbox.start();
    },
    async stop() {
      await inbox?.stop();
      agents.stop();
      smtp.close();
    },
    send: (outboundMessage) => (agents.isAgent(outboundMessage.to) ? agents.send(outboundMessage) : outbound.send(outboundMessage)),
    // Customers get an agent's lines as one mail; agents by mail get each as it comes, and what
    // the desk writes itself (a greeting) goes at once.
    burstMs: (to, message) => (agents.isAgent(to) || message.from.startsWith('team:') ? 0 : config.burstSeconds * 1000),
    notice: (notice) => agents.notice(notice),
    subscribePresence(addresses) {
      agents.watch(addresses);
      return Promise.resolve();
    },
    normalizeAddress: mailtoOf,
    // The teams' mailboxes and their plus addresses are the bridge's own.
    ownsAddress(address) {
      const bare = mailAddressOf(address);
      return bare !== null && teamMailboxOf(config, bare) !== null;
    },
    // The bridge checks no signature (DKIM) nor sending host (SPF): a From address is what the sender wrote.
    identityOf: () => Promise.resolve({ vouched: false, how: "the bridge does not check mail senders' signatures: the From address is what the sender wrote" }),
    customerDoor: (team) => (teamIds.has(team) ? { id: team, ...(config.site !== undefined ? { site: config.site } : {}) } : null),
  };
}
