/**
 * An IRC bot connection for unit tests: an event emitter for irc-framework's events, the lines the
 * bridge writes recorded, online, with ISUPPORT MONITOR's value `monitor` (0: none).
 */
import { EventEmitter } from 'node:events';
import type { IrcConnection } from '../src/networks/irc/connection.js';

export function standInBot(monitor: number): { client: EventEmitter; written: string[]; bot: IrcConnection } {
  const client = new EventEmitter();
  const written: string[] = [];
  const bot = {
    client,
    writer: { send: (line: string) => (written.push(line), Promise.resolve()) },
    state: 'online',
    monitorLimit: monitor,
  } as unknown as IrcConnection;
  return { client, written, bot };
}
