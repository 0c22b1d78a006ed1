/** A real IRC client (irc-framework) acting as a support agent in the tests. */
import IRC, { type Client, type IrcMessageEvent } from 'irc-framework';

export interface IrcAgent {
  client: Client;
  nick: string;
  messages: IrcMessageEvent[];
  /** Resolves with the next message matching `predicate` (including ones already received). */
  next(predicate: (message: IrcMessageEvent) => boolean, timeoutMs?: number): Promise<IrcMessageEvent>;
  /** Waits until `count` messages match, and returns them in arrival order. */
  collect(predicate: (message: IrcMessageEvent) => boolean, count: number, timeoutMs?: number): Promise<IrcMessageEvent[]>;
  say(target: string, text: string): void;
  quit(): Promise<void>;
}

export function connectIrcAgent(port: number, nick: string, options: { channels?: string[] } = {}): Promise<IrcAgent> {
  const client = new IRC.Client();
  const messages: IrcMessageEvent[] = [];
  const waiters = new Set<() => void>();
  const push = (type: IrcMessageEvent['type']) => (event: IrcMessageEvent) => {
    messages.push({ ...event, type });
    for (const wake of waiters) wake();
  };
  client.on('privmsg', push('privmsg'));
  client.on('action', push('action'));
  client.on('notice', push('notice'));
  function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const run = () => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${nick} timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(run);
      };
      waiters.add(run);
      run();
    });
  }
  const agent: IrcAgent = {
    client,
    nick,
    messages,
    async next(predicate, timeoutMs = 10_000) {
      let found: IrcMessageEvent | undefined;
      await waitFor(() => (found = messages.find(predicate)) !== undefined, timeoutMs, 'a message');
      return found!;
    },
    async collect(predicate, count, timeoutMs = 10_000) {
      await waitFor(() => messages.filter(predicate).length >= count, timeoutMs, `${count} messages`);
      return messages.filter(predicate);
    },
    say(target, text) {
      client.raw(`PRIVMSG ${target} :${text}`);
    },
    quit() {
      return new Promise((resolve) => {
        if (!client.connected) return resolve();
        client.once('socket close', () => resolve());
        client.quit('bye');
      });
    },
  };
  return new Promise((resolve, reject) => {
    client.once('registered', () => {
      for (const channel of options.channels ?? []) client.raw(`JOIN ${channel}`);
      resolve(agent);
    });
    client.once('socket close', () => reject(new Error(`${nick} could not register`)));
    client.connect({ host: '127.0.0.1', port, nick, username: nick.slice(0, 9), gecos: 'test agent', auto_reconnect: false, version: null });
  });
}
