/**
 * Wins back a connection's own nick when registration had to settle for another (`desk_` for
 * `desk`): the nick was held by someone, often the bridge's own connection from before a network
 * drop that the server has not timed out yet. Until the nick is back, users who write to it reach
 * the holder, or nobody. It is asked for again (RFC 2812 section 3.1.2) the moment the holder is
 * seen to quit or rename in a channel the connection shares with it, and on a timer besides: after
 * `retryMs`, then twice as long after each ask, up to MAX_RETRY_MS. A ghost goes at the server's
 * ping timeout (minutes), so the first asks find it gone; a nick still held after that belongs to
 * someone who uses it, who need not see a `NICK` attempt a minute for good. A refusal (433) while
 * registered leaves the current nick as it is.
 */
import type { Client } from 'irc-framework';
import type { Logger } from 'pino';
import { type CaseMapping, ircLower } from './nicks.js';

export interface NickRegainOptions {
  client: Client;
  /** The connection's first nick candidate (the configured one, for the bot). */
  configured(): string;
  /**
   * Which nick it asks for again: the `configured` one (the bot, whose nick is its documented
   * address), or the one it `first` registered under (a puppet, whose nick the agent's query window
   * holds: a new nick mid-conversation would send the agent's answers nowhere).
   */
  ownNick: 'configured' | 'first';
  casemapping(): CaseMapping;
  /** Writes a line through the connection's flood control. */
  send(line: string): void;
  retryMs: number;
  logger: Logger;
}

/** The longest wait between two asks on the timer. */
export const MAX_RETRY_MS = 30 * 60_000;

export class NickRegain {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The wait before the next ask on the timer. */
  private delayMs = 0;
  private firstNick: string | undefined;

  constructor(private readonly options: NickRegainOptions) {
    const { client } = options;
    client.on('quit', (event: { nick?: string }) => {
      if (this.timer && event.nick && this.isWanted(event.nick)) this.ask();
    });
    client.on('nick', (event: { nick?: string; new_nick?: string }) => {
      if (!this.timer) return;
      if (this.holdsWanted()) this.won();
      else if (event.nick && this.isWanted(event.nick)) this.ask(); // the holder took another nick
    });
  }

  /**
   * Called on each registration with the nick the server gave (irc-framework's `user.nick` may not
   * be updated yet): starts asking when it is not the connection's own.
   */
  start(registeredAs: string): void {
    this.stop();
    this.firstNick ??= registeredAs;
    if (this.isWanted(registeredAs)) return;
    this.options.logger.info({ nick: registeredAs, wanted: this.wanted() }, 'irc nick taken; asking for it again until it is free');
    this.delayMs = this.options.retryMs;
    this.schedule();
  }

  /** The connection dropped or closed. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.delayMs = Math.min(this.delayMs * 2, Math.max(MAX_RETRY_MS, this.options.retryMs));
      this.schedule();
      this.ask();
    }, this.delayMs);
    this.timer.unref();
  }

  private ask(): void {
    if (this.holdsWanted()) this.won();
    else this.options.send(`NICK ${this.wanted()}`);
  }

  private won(): void {
    this.stop();
    this.options.logger.info({ nick: this.options.client.user.nick }, 'irc nick won back');
  }

  private wanted(): string {
    return this.options.ownNick === 'first' && this.firstNick !== undefined ? this.firstNick : this.options.configured();
  }

  private isWanted(nick: string): boolean {
    const casemapping = this.options.casemapping();
    return ircLower(nick, casemapping) === ircLower(this.wanted(), casemapping);
  }

  private holdsWanted(): boolean {
    return this.isWanted(this.options.client.user.nick);
  }
}
