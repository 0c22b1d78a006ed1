// What the tests' IRC clients use of irc-framework beyond the part the bridge declares
// (src/networks/irc/irc-framework.d.ts).
import 'irc-framework';

declare module 'irc-framework' {
  /** The answer to WHOIS (RPL_WHOISUSER and RPL_AWAY among others). */
  export interface IrcWhoisEvent {
    nick: string;
    real_name?: string;
    away?: string;
  }

  interface Client {
    /** Sends one raw protocol line. */
    raw(line: string): void;
    whois(nick: string, callback: (event: IrcWhoisEvent) => void): void;
  }
}
