// What the tests' IRC clients use of irc-framework beyond the part the bridge declares
// (src/networks/irc/irc-framework.d.ts).
import 'irc-framework';

declare module 'irc-framework' {
  /** The answer to WHOIS (RPL_WHOISUSER and RPL_AWAY among others). */
  export interface IrcWhoisEvent {
    nick: string;
    real_name?: string;
    away?: string;
    /** The user's host (RPL_WHOISUSER): absent when the nick is not on the server. */
    hostname?: string;
  }

  interface Client {
    /** Sends one raw protocol line. */
    raw(line: string): void;
    whois(nick: string, callback: (event: IrcWhoisEvent) => void): void;
  }
}
