/**
 * The bridge's inbox: one IMAP connection (imapflow) to the support mailbox's folder, which hands
 * every new message over exactly once and in UID order. Where it got to is a `MailboxState`
 * (UIDVALIDITY and the last UID handed over, RFC 9051 section 2.3.1.1) that the caller keeps in
 * its store: each message comes with the state to commit beside it, and the inbox flags the
 * message \Seen (or moves it) and goes on only once the caller's promise resolved. A rejected
 * promise leaves the message as it is, to be handed over again on the next sweep.
 *
 * The message the stored state names is flagged (or moved) again at start, in case the bridge
 * stopped between storing it and flagging it; one whose flag failed, at the next sweep.
 *
 * A sweep runs at connect (which is how mail that came while the bridge or the server was down is
 * fetched), whenever the server announces new mail during IDLE (RFC 2177), and after a failed
 * hand-over with backoff. The link (networks/kit/link.ts) reconnects with backoff after a drop.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { type BackoffOptions, backoffDelay } from '../../util/backoff.js';
import { Link } from '../kit/link.js';
import type { NetworkStatus } from '../network.js';
import type { ImapEndpoint } from './endpoints-config.js';

/** Where the inbox got to in its folder; keep it with the messages it came with. */
export interface MailboxState {
  /** The folder's UIDVALIDITY (a decimal string: it is a 32-bit number some stores hold as text). */
  uidValidity: string;
  /** The last UID this state covers (0: none yet); read messages skipped on a first start count too. */
  lastUid: number;
  /** The UID of the message this state was committed with, the one to flag (or move) once stored. */
  handedUid?: number;
}

export interface InboxMail {
  uid: number;
  /** The whole message as the server holds it (RFC 5322). */
  source: Buffer;
  /** The state once this message is handled: commit it together with the message. */
  state: MailboxState;
}

export interface ImapInboxOptions {
  endpoint: ImapEndpoint;
  /**
   * Where to go on from, as kept in the store. Without one (a first start) the inbox takes the
   * folder's unseen messages only: mail already read there was handled, by a person or a program.
   * After a UIDVALIDITY change it starts over and takes every message (the caller drops the ones it
   * has by Message-ID).
   */
  state?: MailboxState;
  /** Takes one message; resolves once it is stored. Reject only when storing failed (it comes again). */
  deliver(mail: InboxMail): Promise<void>;
  /** Where the link's status goes. */
  report(status: NetworkStatus): void;
  logger: Logger;
  /** Reconnection and re-delivery backoff (DEFAULT_BACKOFF). */
  backoff?: BackoffOptions;
  /** How long one IDLE lasts before it is renewed (servers drop idle sessions after 30 minutes). */
  idleRenewMs?: number;
}

const DEFAULT_IDLE_RENEW_MS = 5 * 60_000;

export class ImapInbox {
  private readonly link: Link;
  private client: ImapFlow | undefined;
  private current: MailboxState | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepAgain = false;
  private failedSweeps = 0;
  /** A message stored but not yet flagged (or moved): the last one of the last run, or one whose flag failed. */
  private toSettle: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ImapInboxOptions) {
    this.current = options.state;
    this.toSettle = options.state?.handedUid;
    this.link = new Link({
      name: 'email (IMAP)',
      connect: () => this.connectOnce(),
      report: (status) => options.report(status),
      logger: options.logger,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  get status(): NetworkStatus {
    return this.link.status;
  }

  /** The state after the last message handed over (the one the store holds once it committed). */
  get state(): MailboxState | undefined {
    return this.current;
  }

  /** Connects and takes what is waiting; a first failure is retried in the background. */
  start(): Promise<void> {
    return this.link.start();
  }

  /** Stops reconnecting, lets a hand-over under way finish, then logs out. */
  stop(): Promise<void> {
    return this.link.stop(async () => {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      await this.sweeping;
      const client = this.client;
      this.client = undefined;
      if (client) await client.logout().catch(() => client.close());
    });
  }

  private async connectOnce(): Promise<void> {
    const { endpoint } = this.options;
    const client = new ImapFlow({
      host: endpoint.host,
      port: endpoint.port,
      secure: endpoint.secure,
      // imapflow: true requires STARTTLS, false never tries it, undefined uses it when offered.
      ...(endpoint.secure ? {} : endpoint.starttls === 'required' ? { doSTARTTLS: true } : endpoint.starttls === 'never' ? { doSTARTTLS: false } : {}),
      tls: endpoint.tls,
      auth: { user: endpoint.user, pass: endpoint.password },
      connectionTimeout: endpoint.connectTimeoutMs,
      greetingTimeout: endpoint.connectTimeoutMs,
      // IDLE is started after each sweep, not after a pause (new mail must be seen at once).
      disableAutoIdle: true,
      maxIdleTime: this.options.idleRenewMs ?? DEFAULT_IDLE_RENEW_MS,
      logger: false,
    });
    client.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'email: IMAP connection error'));
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.link.dropped(`connection to the IMAP server lost${client.byeReason ? `: ${client.byeReason}` : ''}`);
    });
    client.on('exists', () => this.sweep());
    // Opened again with another UIDVALIDITY (every UID kept is void): the sweep starts over.
    client.on('mailboxOpen', () => {
      if (this.client === client) this.sweep();
    });
    try {
      await client.connect();
      if (endpoint.moveTo) await this.ensureFolder(client, endpoint.moveTo);
      await client.mailboxOpen(endpoint.folder);
    } catch (error) {
      client.close();
      throw error;
    }
    if (this.link.stopped) {
      // Stopped while connecting: stop() found no connection to close.
      await client.logout().catch(() => client.close());
      return;
    }
    this.client = client;
    this.sweep();
  }

  /** Runs a sweep, or asks the running one to look again when it is done. */
  private sweep(): void {
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.sweeping = this.sweepUntilQuiet().finally(() => {
      this.sweeping = undefined;
      // Asked while the last look was already over (new mail, a new connection).
      if (this.sweepAgain) this.sweep();
      else this.idle();
    });
  }

  /** IDLE (RFC 2177): the server tells of new mail at once; the next command (a sweep's) ends it. */
  private idle(): void {
    const client = this.client;
    if (!client || this.link.stopped) return;
    void client.idle().catch((error: unknown) => this.options.logger.debug({ err: error }, 'email: IDLE ended with an error'));
  }

  private async sweepUntilQuiet(): Promise<void> {
    do {
      this.sweepAgain = false;
      const client = this.client;
      if (!client || this.link.stopped) return;
      try {
        if (!(await this.takeNew(client))) {
          this.sweepAgain = false; // the retry after backoff takes newer mail too
          return this.retryLater();
        }
        this.failedSweeps = 0;
      } catch (error) {
        // A command failed: mostly the connection going away (its close reconnects and sweeps
        // again); if it stays, the retry looks again.
        this.options.logger.warn({ err: error }, 'email: reading the IMAP folder failed');
        this.sweepAgain = false;
        return this.retryLater();
      }
    } while (this.sweepAgain);
  }

  /** Hands over what is new in UID order; false when a hand-over failed (the rest waits for the retry). */
  private async takeNew(client: ImapFlow): Promise<boolean> {
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error(`the folder ${this.options.endpoint.folder} is not open`);
    const uidValidity = mailbox.uidValidity.toString();
    if (this.toSettle !== undefined) await this.settle(client, uidValidity, this.toSettle);
    for (const { uid, lastUid } of await this.plan(client, uidValidity)) {
      if (this.link.stopped || this.client !== client) return true;
      const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (!message || !message.source) continue; // expunged meanwhile
      const state = { uidValidity, lastUid, handedUid: uid };
      try {
        await this.options.deliver({ uid, source: message.source, state });
      } catch (error) {
        this.options.logger.warn({ err: error, uid }, 'email: a message could not be stored; it stays unread and comes again');
        return false;
      }
      this.current = state;
      this.toSettle = uid;
      if (await this.markHandled(client, uid)) this.toSettle = undefined;
    }
    return true;
  }

  /**
   * The messages to hand over, each with the last UID its state covers. A first start takes the
   * unseen ones only, the seen ones between them counting as handled; otherwise every UID after
   * the last one handed over (all of them after a UIDVALIDITY change).
   */
  private async plan(client: ImapFlow, uidValidity: string): Promise<{ uid: number; lastUid: number }[]> {
    const uidsOf = (found: number[] | false | undefined) => (found || []).sort((a, b) => a - b);
    if (!this.current) {
      const all = uidsOf(await client.search({ all: true }, { uid: true }));
      const unseen = uidsOf(await client.search({ seen: false }, { uid: true }));
      const highest = all.at(-1) ?? 0;
      if (unseen.length === 0) this.current = { uidValidity, lastUid: highest };
      return unseen.map((uid, i) => ({ uid, lastUid: (unseen[i + 1] ?? highest + 1) - 1 }));
    }
    if (this.current.uidValidity !== uidValidity) {
      this.options.logger.warn(
        { was: this.current.uidValidity, now: uidValidity, folder: this.options.endpoint.folder },
        'email: the folder UIDVALIDITY changed; reading it again from the start',
      );
      this.current = { uidValidity, lastUid: 0 };
    }
    const from = this.current.lastUid + 1;
    // `N:*` matches the highest UID even when it is below N (RFC 9051 section 6.4.8): filter it out.
    const uids = uidsOf(await client.search({ uid: `${from}:*` }, { uid: true })).filter((uid) => uid >= from);
    return uids.map((uid) => ({ uid, lastUid: uid }));
  }

  /**
   * The state is committed with the message and the flag (or move) comes after, so a crash or a
   * failed flag in between leaves that message stored but unread in the folder, where a person
   * would take it for unhandled. Only the message the state names can be left so (each later one is
   * handed over after the flag of the one before); a message already flagged, moved or gone is
   * left alone, and so are the read messages a first start skipped.
   */
  private async settle(client: ImapFlow, uidValidity: string, uid: number): Promise<void> {
    if (this.current?.uidValidity !== uidValidity) {
      this.toSettle = undefined; // the folder was recreated: that UID names nothing now
      return;
    }
    const query = this.options.endpoint.moveTo ? { uid: String(uid) } : { uid: String(uid), seen: false };
    const found = await client.search(query, { uid: true });
    if (!found || !found.includes(uid) || (await this.markHandled(client, uid))) this.toSettle = undefined;
  }

  /** Creates the folder handled mail moves to, unless it exists (RFC 9051 section 6.3.4). */
  private async ensureFolder(client: ImapFlow, path: string): Promise<void> {
    const folders = await client.list();
    if (folders.some((folder) => folder.path === path)) return;
    await client.mailboxCreate(path);
  }

  /** Flags a stored message \Seen, or moves it to `moveTo`; false when that failed (it is tried again at the next sweep). */
  private async markHandled(client: ImapFlow, uid: number): Promise<boolean> {
    const { moveTo } = this.options.endpoint;
    try {
      if (moveTo) await client.messageMove(String(uid), moveTo, { uid: true });
      else await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
      return true;
    } catch (error) {
      this.options.logger.warn({ err: error, uid }, `email: a stored message could not be ${moveTo ? `moved to ${moveTo}` : 'flagged \\Seen'}`);
      return false;
    }
  }

  private retryLater(): void {
    this.failedSweeps += 1;
    const delay = backoffDelay(this.failedSweeps, this.options.backoff);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.sweep();
    }, delay);
    this.retryTimer.unref?.();
  }
}
