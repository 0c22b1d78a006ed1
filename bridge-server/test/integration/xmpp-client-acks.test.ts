// Client mode on a server with Stream Management (XEP-0198, Prosody's mod_smacks): a message is
// `sent` once the server acknowledged it, and one the server never read (it froze, then crashed)
// is sent again once the bot is back, not lost.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, agentAuth, call, collect, connect, openVisitor, startBridge, until } from '../helpers.js';
import { prosodyClientNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, connectAgent, xml } from '../xmpp-agent.js';

const BOT = 'switchboard@localhost';

/** Bytes waiting unread in the server's sockets on `port` (the Recv-Q of /proc/net/tcp's established connections). */
function unreadBytesAt(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === local && fields[3] === '01')
    .reduce((sum, fields) => sum + parseInt(fields[4]!.split(':')[1]!, 16), 0);
}

/** `promise`, or a rejection naming `what` once `ms` have passed without it settling (a hang shows as a failure). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('XMPP client mode with Stream Management against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let alice: Agent | undefined;

  before(async () => {
    prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['switchboard', 'botpw'],
        ['relay', 'relaypw'],
      ],
      offline: true,
      streamManagement: true,
    });
    t = await startBridge({
      teams: [
        { id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 },
        { id: 'web-desk', members: ['web:a_wendy'], sites: [SITE], capacity: 100 },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyClientNetwork(prosody, { username: 'switchboard', password: 'botpw' })],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
  });
  const bridgeIn = (dir: string) =>
    startBridge(
      {
        teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
        // An account of its own: two bridges on one account would take the session from each other.
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyClientNetwork(prosody, { username: 'relay', password: 'relaypw' })],
      },
      { dir },
    );
  after(async () => {
    prosody?.signal('SIGCONT');
    await alice?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  const fromBotWith =
    (text: string, bot = BOT) =>
    (stanza: ReturnType<typeof xml>) =>
      stanza.is('message') && stanza.attrs.from?.startsWith(`${bot}/`) === true && (stanza.getChildText('body') ?? '').endsWith(text);

  it('counts a message sent once the server acknowledged it, and sends again one the server lost', async () => {
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
    const statuses = collect(v.socket, 'message:status');
    const sentOf = (id: string) => statuses.some((status) => status.id === id && status.status === 'sent');

    const first = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'acked', text: 'first, acknowledged' });
    await alice.next(fromBotWith('first, acknowledged'));
    await until(() => sentOf(first.message.id), 5000, 'the first message sent');
    await alice.stop();
    alice = undefined;

    // The server stops reading: the bot's stanza is written to it, and never acknowledged.
    prosody.signal('SIGSTOP');
    const held = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'lost', text: 'second, to a frozen server' });
    await until(() => unreadBytesAt(prosody.c2sPort) > 0, 5000, 'the stanza written to the frozen server');
    assert.equal(sentOf(held.message.id), false, 'not sent while the server has not acknowledged it');

    // It crashes with the stanza unread and comes back: the stream cannot resume; the bridge sends the message again.
    prosody.signal('SIGKILL');
    await prosody.stop();
    await prosody.start();
    await until(() => sentOf(held.message.id), 30_000, 'the second message sent once the server is back');
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    await alice.next(fromBotWith('second, to a frozen server'), 10_000);
    const copies = () => alice!.stanzas.filter(fromBotWith('second, to a frozen server')).length;
    assert.equal(copies(), 1, 'delivered once');
    await alice.stop();
    alice = undefined;
  });

  it('hands a conversation to an XMPP agent with its context line, then what was said before, then what came after', async () => {
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 20_000, 'the bot back online');
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    const { socket: wendy } = await connect(t, agentAuth('wendy'));
    const v = await openVisitor(t, { team: 'web-desk', assignee: 'web:a_wendy' });
    for (const text of ['said before 1', 'said before 2']) await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: text, text });

    // The server takes nothing while the conversation changes hands: the context line waits for its
    // acknowledgement, and the visitor writes meanwhile.
    prosody.signal('SIGSTOP');
    const transferred = call(wendy, 'conversation:transfer', { conversationId: v.conversationId, to: { agent: 'xmpp:alice@localhost' } });
    await until(async () => (await t.bridge.store.getConversation(v.conversationId))?.assignee === 'xmpp:alice@localhost', 5000, 'the transfer stored');
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'after', text: 'said after the transfer' });
    prosody.signal('SIGCONT');
    assert.equal((await transferred).ok, true);

    await alice.next(fromBotWith('said after the transfer'), 10_000);
    const bodies = alice.stanzas
      .filter((stanza) => stanza.is('message') && stanza.attrs.from?.startsWith(`${BOT}/`) === true)
      .map((stanza) => stanza.getChildText('body') ?? '')
      .filter((body) => body.includes(v.conversationId.slice(-5).toLowerCase()) || body.includes('said '));
    assert.match(bodies[0]!, /^#[0-9a-f]{5} Visitor .*Reply here/, 'the context line first');
    assert.deepEqual(
      bodies.slice(1).map((body) => body.replace(/^\[[^\]]*\] /, '')),
      ['said before 1', 'said before 2', 'said after the transfer'],
      'what was said before, in order, then what came after, each once',
    );
  });

  it('stops within the drain time while the server holds an acknowledgement back, the message kept for the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-it-'));
    const text = 'written as the bridge stops';
    let running: TestBridge | undefined = await bridgeIn(dir);
    try {
      const first = running;
      await until(() => first.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot online');
      await alice?.stop();
      alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
      const v = await openVisitor(first, { assignee: 'xmpp:alice@localhost' });
      await alice.stop();
      alice = undefined;
      prosody.signal('SIGSTOP');
      await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'held', text });
      await until(() => unreadBytesAt(prosody.c2sPort) > 0, 5000, 'the stanza written to the frozen server');
      // Stream Management would wait a minute for the acknowledgement; the stop waits its drain time (2 s here).
      running = undefined;
      await within(first.stop(), 20_000, 'the bridge stopped');
      const db = new Database(join(dir, 'switchboard.db'), { readonly: true });
      const queued = db.prepare('SELECT count(*) AS n FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.text = ?').get(text) as { n: number };
      db.close();
      assert.equal(queued.n, 1, 'still queued, not counted sent');

      prosody.signal('SIGCONT');
      running = await bridgeIn(dir);
      alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
      // At least once: the copy the frozen server had unread may arrive too (XMPP cannot tell it is the same).
      await alice.next(fromBotWith(text, 'relay@localhost'), 20_000);
    } finally {
      prosody.signal('SIGCONT');
      await running?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
