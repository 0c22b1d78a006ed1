// irc-framework 4.14 ships no types; this is the part the bridge uses.
declare module 'irc-framework' {
  import type { EventEmitter } from 'node:events';

  export interface IrcConnectOptions {
    host: string;
    port: number;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    nick: string;
    username?: string;
    gecos?: string;
    password?: string;
    account?: { account: string; password: string };
    auto_reconnect?: boolean;
    ping_interval?: number;
    ping_timeout?: number;
    version?: string | null;
    /** The class of the connection's transport (irc-framework's TCP/TLS one by default). */
    transport?: new (options: IrcConnectOptions) => unknown;
  }

  export interface IrcMessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    /** Not set by irc-framework (the event name says it); the tests' agent adds it. */
    type?: 'privmsg' | 'action' | 'notice';
    tags: Record<string, string>;
    /** The sender's services account (IRCv3 account-tag), when the server tells it. */
    account?: string;
  }

  export class Client extends EventEmitter {
    constructor(options?: Partial<IrcConnectOptions>);
    connect(options?: IrcConnectOptions): void;
    quit(message?: string): void;
    changeNick(nick: string): void;
    requestCap(cap: string | string[]): void;
    readonly connected: boolean;
    user: { nick: string; username: string; host: string; away: boolean };
    network: {
      options: Record<string, string | string[] | boolean | undefined>;
      cap: { isEnabled(name: string): boolean };
    };
    connection: {
      write(line: string, callback?: (error?: Error | null) => void): boolean;
      end(line?: string): void;
    };
  }

  const IRC: { Client: typeof Client };
  export default IRC;
}

// irc-framework's TCP/TLS transport: the bridge's own decodes lines its way (irc/line-decoding.ts).
declare module 'irc-framework/src/transports/net.js' {
  import { EventEmitter } from 'node:events';

  export default class NetTransport extends EventEmitter {
    constructor(options: unknown);
    /** Called with every chunk the socket reads; emits `line` with each whole line's text. */
    onSocketData(data: Buffer): void;
  }
}
