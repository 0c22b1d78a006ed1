// A visitor's puppet across a restart of the bridge, against a real ngircd: the agent's query
// window names the puppet's nick, so the puppet is back under that nick as soon as the bot is, and
// a reply typed there reaches the visitor instead of drawing "No such nick" from the server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { SITE, type TestBridge, call, connect, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

describe('IRC puppets of open conversations after a restart of the bridge', () => {
  let ngircd: NgircdServer;
  let alice: IrcAgent;
  let t: TestBridge | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-irc-restart-'));
  const start = async () => {
    t = await startBridge(
      {
        teams: [{ id: 'support', members: ['irc:alice@test'], sites: [SITE] }],
        networks: [{ type: 'web' }, ngircdNetwork(ngircd, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 })],
      },
      { dir },
    );
    const bridge = t.bridge;
    await until(() => bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  };
  /** The numeric errors alice's server sends her (401 ERR_NOSUCHNICK among them; her WHOIS of a nick not there draws one too). */
  const errors: string[] = [];
  /** Whether a user with this nick is on the server (WHOIS has their host). */
  const online = async (nick: string) => (await new Promise<{ hostname?: string }>((resolve) => alice.client.whois(nick, resolve))).hostname !== undefined;

  before(async () => {
    ngircd = await startNgircd();
    alice = await connectIrcAgent(ngircd.port, 'alice');
    alice.client.on('irc error', (event: { error: string; nick?: string; reason?: string }) => errors.push(`${event.error} ${event.nick ?? ''}`));
    await start();
  });
  after(async () => {
    await alice?.quit();
    await t?.stop();
    await ngircd?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("brings the visitor's puppet back under its nick, and the agent's reply in her query window reaches the visitor", async () => {
    const dana = await openVisitor(t!, { profile: { name: 'Dana' }, assignee: 'irc:alice@test' });
    const session = dana.session;
    await sendText(dana, 'Hello, is my order on its way?');
    const first = await alice.next((m) => m.type === 'privmsg' && m.message === 'Hello, is my order on its way?');
    const nick = first.nick;
    assert.equal(nick, 'Dana');
    dana.socket.disconnect();

    await t!.stop();
    t = undefined;
    await until(async () => !(await online(nick)), 10_000, 'the puppet gone with the bridge');
    await start();
    // Back without the visitor writing: alice answers in the query window she has.
    await until(() => online(nick), 15_000, 'the puppet back under its nick');

    const errorsBefore = errors.length;
    alice.say(nick, 'Yes, it left the warehouse this morning.');
    const { socket } = await connect(t!, { siteKey: SITE, token: session.token });
    let history: Message[] = [];
    await until(
      async () => {
        history = (await call(socket, 'history:get', { conversationId: dana.conversationId, limit: 10 })).messages;
        return history.some((m) => m.text === 'Yes, it left the warehouse this morning.');
      },
      10_000,
      "alice's reply in the conversation",
    );
    const reply = history.find((m) => m.text === 'Yes, it left the warehouse this morning.')!;
    assert.equal(reply.from, 'irc:alice@test');
    assert.deepEqual(
      errors.slice(errorsBefore).filter((error) => error.startsWith('no_such_nick')),
      [],
      'no "No such nick" for the reply',
    );
  });
});
