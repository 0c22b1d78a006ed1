// The line encoder against a real IRC server: every line arrives whole (nothing cut by the
// server's 512-byte limit), in order, and the text comes back exactly.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { toIrcLines } from '../../src/networks/irc/lines.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const require = createRequire(import.meta.url);
const IRC = require('irc-framework') as { Client: new () => IrcClient };
interface IrcClient {
  connect(options: { host: string; port: number; nick: string; username?: string; gecos?: string; auto_reconnect?: boolean }): void;
  on(event: 'privmsg' | 'action', listener: (event: { message: string }) => void): void;
  on(event: string, listener: () => void): void;
  raw(line: string): void;
  quit(message?: string): void;
  user: { nick: string; username: string; host: string };
}

function connectClient(server: NgircdServer, nick: string): Promise<IrcClient> {
  const client = new IRC.Client();
  return new Promise((resolve, reject) => {
    client.on('registered', () => resolve(client));
    client.on('socket close', () => reject(new Error(`${nick} could not register`)));
    client.connect({ host: '127.0.0.1', port: server.port, nick, username: 'switchboard', gecos: 'test', auto_reconnect: false });
  });
}

describe('IRC lines through a real ngircd', () => {
  let server: NgircdServer;
  let sender: IrcClient;
  let receiver: IrcClient;
  const received: { message: string; type: string }[] = [];

  before(async () => {
    server = await startNgircd();
    sender = await connectClient(server, 'v_visitor');
    receiver = await connectClient(server, 'alice');
    receiver.on('privmsg', (event) => received.push({ message: event.message, type: 'privmsg' }));
    receiver.on('action', (event) => received.push({ message: event.message, type: 'action' }));
  });
  after(async () => {
    sender?.quit();
    receiver?.quit();
    await server?.destroy();
  });

  async function sendLines(text: string): Promise<{ message: string; type: string }[]> {
    received.length = 0;
    // The longest prefix the server may prepend for this sender: its real nick, user and host.
    const prefix = `:${sender.user.nick}!~${sender.user.username}@${'x'.repeat(63)} `.length;
    const { lines } = toIrcLines(text, { target: 'alice', prefixBytes: prefix, maxLines: 100 });
    for (const line of lines) sender.raw(`PRIVMSG alice :${line}`);
    const deadline = Date.now() + 10_000;
    while (received.length < lines.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(received.length, lines.length, 'every line arrives');
    return [...received];
  }

  it('delivers a long multi-byte text as whole lines that join back exactly', async () => {
    const text = `${'Ünïcödé ✓ 中文 \u{1F600} '.repeat(120)}end`;
    const got = await sendLines(text);
    assert.ok(got.length > 2);
    assert.equal(got.map((g) => g.message).join(''), text);
  });

  it('turns line breaks into lines and keeps CR, LF and NUL off the wire', async () => {
    const got = await sendLines('first\r\nsecond\rthird\nwith \u0000 nul');
    assert.deepEqual(
      got.map((g) => g.message),
      ['first', 'second', 'third', 'with \uFFFD nul'],
    );
  });

  it('sends /me as CTCP ACTION, and neutralises any other CTCP', async () => {
    const action = await sendLines('/me waves');
    assert.deepEqual(action, [{ message: 'waves', type: 'action' }]);
    const ctcp = await sendLines('\u0001VERSION\u0001');
    assert.deepEqual(ctcp, [{ message: '\uFFFDVERSION\uFFFD', type: 'privmsg' }]);
  });
});
