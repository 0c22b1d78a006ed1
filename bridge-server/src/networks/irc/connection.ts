/**
 * One IRC connection (the bridge's bot, or a visitor's puppet) through irc-framework, on the
 * network kit's link: register with a nick chosen by the caller (the next candidate after each
 * 433/432), write every line of ours through the flood writer, and reconnect with the shared
 * backoff after a drop. RFC 1459/2812 registration; IRCv3 CAP and SASL are irc-framework's.
 */
import IRC, { type Client } from 'irc-framework';
import type { Logger } from 'pino';
import { Link } from '../kit/link.js';
import { NetworkError, type NetworkState, type NetworkStatus } from '../network.js';
import { type FloodOptions, FloodWriter } from './flood.js';
import { LineDecodingTransport } from './line-decoding.js';
import { NickRegain } from './nick-regain.js';
import { type CaseMapping, ircLower } from './nicks.js';

/** How often a connection registered under another nick asks for its own again (besides when the holder leaves). */
const NICK_RETRY_MS = 60_000;

export interface IrcServerOptions {
  host: string;
  port: number;
  tls: boolean;
  tlsVerify: boolean;
  password?: string;
  sasl?: { account: string; password: string };
}

export interface IrcConnectionOptions {
  server: IrcServerOptions;
  /**
   * The nick to try next; `rejected` holds the ones the server refused (lowercased), `maxLength`
   * the length to fit once the server refused a longer nick as erroneous (NICKLEN is only
   * announced after registration; RFC 1459's 9 is the safe guess).
   */
  nick(rejected: ReadonlySet<string>, maxLength?: number): string;
  username: string;
  realname: string;
  flood: FloodOptions;
  connectTimeoutMs: number;
  logger: Logger;
  /** The link's name in logs (`irc`, `irc puppet`). */
  name: string;
  /** Where the link's status changes go (the sink's, for the bot). */
  report(status: NetworkStatus): void;
  /** Called on each registration (the first and after every reconnection). */
  onOnline?(): void;
  /** Called when a registered connection drops (it reconnects by itself unless closed). */
  onOffline?(reason: string): void;
  /** How often to ask for the nick again while another holds it (a minute). */
  nickRetryMs?: number;
  /** The nick asked for again when it registers under another (NickRegain's `ownNick`; `configured`). */
  ownNick?: 'configured' | 'first';
}

export class IrcConnection {
  readonly client: Client;
  readonly writer: FloodWriter;
  private readonly link: Link;
  private attempt: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private lastError: string | undefined;
  private readonly rejected = new Set<string>();
  private maxNickLength: number | undefined;
  private readonly regain: NickRegain;

  constructor(private readonly options: IrcConnectionOptions) {
    this.client = new IRC.Client();
    this.writer = new FloodWriter({ write: (line) => this.write(line) }, options.flood);
    this.link = new Link({ name: options.name, connect: () => this.connectOnce(), report: (status) => options.report(status), logger: options.logger });
    const { client } = this;
    this.regain = new NickRegain({
      client,
      configured: () => options.nick(new Set(), this.maxNickLength),
      ownNick: options.ownNick ?? 'configured',
      casemapping: () => this.casemapping,
      send: (line) => void this.writer.send(line).catch(() => undefined),
      retryMs: options.nickRetryMs ?? NICK_RETRY_MS,
      logger: options.logger,
    });
    client.on('registered', (event: { nick: string }) => {
      if (this.link.stopped) {
        // Closed while it was still registering: leave now rather than come online after stop.
        client.quit('Closed');
        return;
      }
      this.rejected.clear();
      const attempt = this.attempt;
      this.attempt = undefined;
      this.link.up();
      this.regain.start(event.nick);
      options.onOnline?.();
      attempt?.resolve();
    });
    // The connection registers all the same, known to the services by its nick only: say why
    // (irc-framework's reason `capability_missing` is a server that offers no SASL).
    client.on('sasl failed', (event: { reason?: string; message?: string }) => {
      const why = event.reason === 'capability_missing' ? 'the server offers no SASL' : 'SASL login refused';
      options.logger.warn(
        { server: options.server.host, account: options.server.sasl?.account, reason: event.reason, message: event.message },
        `irc: ${why}; registered without logging in`,
      );
    });
    client.on('pong', (event: { message?: string }) => {
      if (event.message) this.writer.pong(event.message);
    });
    const refuseNick = (invalid: boolean) => (event: { nick?: string; reason?: string }) => {
      if (this.state === 'online') return; // a later NICK change: the current nick stays
      const refused = event.nick ?? client.user.nick;
      this.rejected.add(ircLower(refused, this.casemapping));
      if (invalid && refused.length > 9) this.maxNickLength = 9;
      let next: string;
      try {
        next = options.nick(this.rejected, this.maxNickLength);
      } catch (error) {
        this.fail(`no nick accepted by the server (${(error as Error).message})`);
        return;
      }
      options.logger.info({ refused: event.nick, reason: event.reason, next }, 'irc nick refused; trying another');
      client.changeNick(next);
    };
    client.on('nick in use', refuseNick(false));
    client.on('nick invalid', refuseNick(true));
    client.on('irc error', (event: { error: string; reason?: string; nick?: string; channel?: string }) => {
      // ERROR (the server closes the link: a ban, a K-line, too many connections) or 465.
      if (event.error === 'irc' || event.error === 'banned_from_server' || event.error === 'password_mismatch') {
        this.lastError = event.reason ?? event.error;
      }
    });
    client.on('socket close', (hadError?: Error | boolean) =>
      this.dropped(this.lastError ?? (hadError ? String(hadError) : 'connection closed by the IRC server')),
    );
  }

  get state(): NetworkState {
    return this.link.status.state;
  }

  get status(): NetworkStatus {
    return this.link.status;
  }

  /** Fails with a retryable error unless registered, so the outbox keeps the message. */
  assertOnline(): void {
    this.link.assertOnline();
  }

  get nick(): string {
    return this.client.user.nick;
  }

  /** ISUPPORT NICKLEN (RFC 2812's 9 when the server does not say). */
  get nickLen(): number {
    return Number(this.client.network.options.NICKLEN) || 9;
  }

  /** ISUPPORT AWAYLEN: the longest away message the server keeps, in bytes; undefined when it does not say. */
  get awayLen(): number | undefined {
    return Number(this.client.network.options.AWAYLEN) || undefined;
  }

  get casemapping(): CaseMapping {
    const value = this.client.network.options.CASEMAPPING;
    return value === 'ascii' || value === 'strict-rfc1459' ? value : 'rfc1459';
  }

  /** ISUPPORT MONITOR (IRCv3): how many nicks the server follows for us; 0 when unsupported. */
  get monitorLimit(): number {
    const value = this.client.network.options.MONITOR;
    if (value === undefined || value === false) return 0;
    return Number(value) || 100;
  }

  /**
   * Connects, registers, and keeps the connection up until `close`. A first failure is reported
   * and retried in the background.
   */
  start(): Promise<void> {
    return this.link.start();
  }

  /** Connects and registers; rejects when the first attempt failed (it is retried until `close`). */
  async open(): Promise<void> {
    await this.link.start();
    const { state, reason } = this.link.status;
    if (state !== 'online') throw new Error(reason ?? `irc is ${state}`);
  }

  /** Sends QUIT and stops reconnecting. */
  close(message: string): Promise<void> {
    const registered = this.state === 'online' && this.client.connected;
    this.regain.stop();
    return this.link.stop(() => {
      this.writer.reset('the connection was closed');
      if (registered) this.client.quit(message);
      else this.client.connection.end(); // still connecting: drop the socket
      return Promise.resolve();
    });
  }

  /**
   * Queues lines through flood control, one after another; resolves true when the last one was
   * written, false when `proceed` said to stop before one (the lines after it are not queued).
   */
  async sendLines(lines: readonly string[], onWritten?: (index: number) => void, proceed: () => boolean = () => true): Promise<boolean> {
    for (let index = 0; index < lines.length; index++) {
      if (!proceed()) return false;
      await this.writer.send(lines[index]!);
      onWritten?.(index);
    }
    return true;
  }

  private write(line: string): Promise<void> {
    if (this.state !== 'online' || this.link.stopped || !this.client.connected) return Promise.reject(new NetworkError(`irc is ${this.state}`, true));
    return new Promise<void>((resolve, reject) => {
      this.client.connection.write(line, (error) => (error ? reject(new NetworkError(error.message, true)) : resolve()));
    });
  }

  private connectOnce(): Promise<void> {
    const { options, client } = this;
    this.lastError = undefined;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`no registration within ${options.connectTimeoutMs} ms`);
      }, options.connectTimeoutMs);
      this.attempt = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const { server } = options;
      client.connect({
        host: server.host,
        port: server.port,
        tls: server.tls,
        rejectUnauthorized: server.tlsVerify,
        nick: options.nick(this.rejected, this.maxNickLength),
        username: options.username,
        gecos: options.realname,
        ...(server.password ? { password: server.password } : {}),
        ...(server.sasl ? { account: server.sasl } : {}),
        auto_reconnect: false, // the kit's link drives reconnection, with the shared backoff
        ping_interval: 30,
        ping_timeout: 120,
        version: null,
        transport: LineDecodingTransport, // UTF-8, or windows-1252 for a line that is not UTF-8
      });
    });
  }

  /** A registration that cannot succeed: close the socket; the attempt fails with the reason. */
  private fail(reason: string): void {
    this.lastError = reason;
    this.client.connection.end();
    this.dropped(reason);
  }

  private dropped(reason: string): void {
    this.regain.stop();
    this.writer.reset(reason);
    const attempt = this.attempt;
    this.attempt = undefined;
    if (attempt) {
      attempt.reject(new Error(reason));
      return; // the link reports a failed attempt and retries it
    }
    if (this.state !== 'online' || this.link.stopped) return;
    this.options.onOffline?.(reason);
    this.link.dropped(`connection to the IRC server lost: ${reason}`);
  }
}
