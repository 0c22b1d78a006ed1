// The IRC network against a real InspIRCd 3, beside the ngircd tests: the server many networks run,
// once with its core only (no CAP, no MONITOR, NICKLEN 30, CASEMAPPING rfc1459) and once with the
// IRCv3 modules public networks load (CAP, MONITOR, echo-message, server-time, message-tags), and
// its flood defaults (fakelag: about a command a second past a short burst).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, collect, connect, next, openVisitor, sendText, startBridge, until, untilTeam } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type InspircdServer, startInspircd } from '../servers/inspircd.js';
import { ngircdNetwork as ircNetwork } from '../servers/networks.js';
import { type Tap, startTap } from '../servers/tap.js';

const ALICE = 'irc:alice@test';
/** An agent configured with `[]`, who connects as `Ed{w}`: the same nick under CASEMAPPING rfc1459. */
const ED = 'irc:ed[w]@test';

/** A visitor named `name` with an open conversation routed to `assignee`. */
const visitor = (t: TestBridge, name: string, assignee: string) => openVisitor(t, { profile: { name }, assignee });

for (const modules of ['none', 'ircv3'] as const) {
  describe(`IRC against a real InspIRCd 3 (${modules === 'none' ? 'core only: ISON and WHO' : 'IRCv3 modules: CAP, MONITOR, echo-message'})`, () => {
    let server: InspircdServer;
    let tap: Tap;
    let t: TestBridge;
    let alice: IrcAgent;

    before(async () => {
      server = await startInspircd({ modules });
      tap = await startTap(server.port);
      alice = await connectIrcAgent(server.port, 'alice');
      t = await startBridge({
        teams: [
          { id: 'support', members: [ALICE], sites: [SITE], capacity: 100 },
          { id: 'workshop', members: [ED], sites: [SITE] },
        ],
        // Presence polls far apart: with MONITOR the server tells of a quit at once, without polling.
        networks: [
          { type: 'web', presenceGraceMs: 50 },
          ircNetwork(tap, { presencePollSeconds: modules === 'ircv3' ? 120 : 0.5, connectTimeoutSeconds: 5, maxPuppets: 20 }),
        ],
      });
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
    });
    after(async () => {
      await alice?.quit();
      await t?.stop();
      await tap?.close();
      await server?.destroy();
    });

    it("carries a visitor's message to the agent from a puppet with the visitor's whole name, once, and the reply back", async () => {
      const v = await visitor(t, 'Dana Scully', ALICE);
      const received = collect(v.socket, 'message');
      const atAlice: string[] = [];
      alice.client.on('privmsg', (event: { message: string }) => atAlice.push(event.message));
      await sendText(v, 'Hello from the shop');
      const got = await alice.next((m) => m.message === 'Hello from the shop');
      assert.equal(got.nick, 'Dana_Scully', "the server's NICKLEN (30) keeps the whole name");

      alice.say(got.nick, 'Hi Dana! How can I help?');
      await until(() => received.some((m) => m.from === ALICE), 10_000, "the agent's reply");
      await sendText(v, 'Where is my parcel?');
      await alice.next((m) => m.message === 'Where is my parcel?');
      // echo-message (when the server offers it) returns the bridge's own lines: none comes back as the agent's.
      assert.deepEqual(
        received.filter((m) => m.from === ALICE).map((m) => m.text),
        ['Hi Dana! How can I help?'],
      );
      assert.equal(atAlice.filter((text) => text === 'Hello from the shop').length, 1, 'the line reached the agent once');
    });

    it('takes a nick in another rfc1459 case (`{}|^` for `[]\\~`, CASEMAPPING) for the same person: the agent is online, written to, and answers as the agent', async () => {
      const ed = await connectIrcAgent(server.port, 'Ed{w}');
      try {
        // The team is available once the bridge sees its agent online (ISON, MONITOR: the server answers `Ed{w}`).
        const v = await openVisitor(t, { profile: { name: 'Gus' }, team: 'workshop', assignee: ED });
        const received = collect(v.socket, 'message');
        await sendText(v, 'Hello Ed');
        const got = await ed.next((m) => m.message === 'Hello Ed', 15_000);
        ed.say(got.nick, 'Hi Gus');
        await until(() => received.some((m) => m.text === 'Hi Gus'), 10_000, "the agent's reply");
        assert.deepEqual(
          received.filter((m) => m.text === 'Hi Gus').map((m) => m.from),
          [ED],
          'from the configured agent, not a stranger',
        );
      } finally {
        await ed.quit();
      }
    });

    it(
      modules === 'none'
        ? "follows the agent's away status (WHO) and their quit (ISON)"
        : 'hears of the agent quitting and coming back from the server (MONITOR), with no poll due',
      async () => {
        const { socket } = await connect(t, { siteKey: SITE });
        await untilTeam(socket, 'support', (a) => a.available === true);
        if (modules === 'none') {
          const away = next(socket, 'team:availability', (a) => a.available === false && a.online === 1, 10_000);
          alice.client.raw('AWAY :lunch');
          await away;
          const back = next(socket, 'team:availability', (a) => a.available === true, 10_000);
          alice.client.raw('AWAY');
          await back;
        }
        const gone = next(socket, 'team:availability', (a) => a.online === 0, 10_000);
        await alice.quit();
        assert.deepEqual(await gone, { team: 'support', available: false, online: 0 });
        const again = next(socket, 'team:availability', (a) => a.available === true, 10_000);
        alice = await connectIrcAgent(server.port, 'alice');
        await again;
      },
    );
  });
}

describe('IRC relay mode against a real InspIRCd 3 (core only)', () => {
  let server: InspircdServer;
  let t: TestBridge;
  let bob: IrcAgent;
  const BOB = 'irc:bob@test';

  before(async () => {
    server = await startInspircd();
    bob = await connectIrcAgent(server.port, 'bob', { channels: ['#support'] });
    t = await startBridge({
      teams: [{ id: 'support', members: [BOB], sites: [SITE], capacity: 100 }],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        ircNetwork(server, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5, mode: 'relay', nick: 'desk', channel: '#support' }),
      ],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await bob?.quit();
    await t?.stop();
    await server?.destroy();
  });

  it('relays each visitor as "[name #ref] text", and the agent answers by replying or by "#ref text"', async () => {
    const one = await visitor(t, 'Gina', BOB);
    const two = await visitor(t, 'Hal', BOB);
    await sendText(one, 'first visitor here');
    const fromOne = await bob.next((m) => m.message.endsWith('first visitor here'));
    assert.equal(fromOne.nick, 'desk');
    const ref = /^\[Gina #([0-9a-z]+)\] first visitor here$/.exec(fromOne.message)?.[1];
    assert.ok(ref, fromOne.message);
    await sendText(two, 'second visitor here');
    await bob.next((m) => m.message.endsWith('second visitor here'));

    const atTwo = next(two.socket, 'message', (m) => m.from === BOB);
    bob.say('desk', 'answering the latest');
    assert.equal((await atTwo).text, 'answering the latest');
    const atOne = next(one.socket, 'message', (m) => m.from === BOB);
    bob.say('desk', `#${ref} answering Gina`);
    assert.equal((await atOne).text, 'answering Gina');
  });
});

describe("IRC flood control against InspIRCd 3's default limits (fakelag)", () => {
  let server: InspircdServer;
  let tap: Tap;
  let t: TestBridge;
  let dora: IrcAgent;
  const DORA = 'irc:dora@test';

  before(async () => {
    server = await startInspircd({ modules: 'ircv3', limits: 'default' });
    tap = await startTap(server.port);
    dora = await connectIrcAgent(server.port, 'dora');
    t = await startBridge({
      teams: [{ id: 'support', members: [DORA], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ircNetwork(tap, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5, maxLines: 100 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await dora?.quit();
    await t?.stop();
    await tap?.close();
    await server?.destroy();
  });

  it('delivers a paste of long lines at the server pace: every line in order, and the puppet never dropped', { timeout: 180_000 }, async (context) => {
    const v = await visitor(t, 'Paster', DORA);
    // Long lines (each within one IRC line): a client that wrote ahead of the server would pass its receive queue (8 KiB).
    const lines = Array.from({ length: 30 }, (_, n) => `paste line ${n + 1} ${'x'.repeat(300)}`);
    const started = Date.now();
    await sendText(v, lines.join('\n'));
    const got = await dora.collect((m) => m.message.startsWith('paste line '), lines.length, 170_000);
    assert.deepEqual(
      got.map((m) => m.message),
      lines,
    );
    const puppetConnections = tap.connections.filter((wire) => wire.some((line) => line.startsWith('NICK Paster')));
    assert.equal(puppetConnections.length, 1, 'the puppet never reconnected');
    context.diagnostic(`${lines.length} lines in ${((Date.now() - started) / 1000).toFixed(1)} s under InspIRCd's default limits`);
  });
});
