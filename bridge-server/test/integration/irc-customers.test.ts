// Customers on IRC writing to the bridge's bot in private (docs/customers.md), against a real ngircd:
// the customer is a plain irc-framework client; the agents answer from SIP (a real Kamailio) and
// from the web console. Business hours with a clock the test moves, and a kill -9 of the bridge.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import { crash, exited, runCli } from '../cli-process.js';
import { BLOCKED_NOTICE } from '../../src/core/abuse/customer-controls.js';
import { SITE, type TestBridge, agentAuth, baseConfig, call, collect, connect, connectTo, next, startBridge, until, untilTeam } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ManualClock } from '../manual-clock.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork, ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type SipAgent, connectSipAgent, pidf } from '../sip-agent.js';

const HOURS = { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } };
const QUICK = { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 };

/** What a customer reads from the bot: its private messages (answers), or its notices (command answers). */
const fromBot =
  (bot: string, type: 'privmsg' | 'notice', text?: string | RegExp) =>
  (m: IrcMessageEvent): boolean =>
    m.nick === bot && m.type === type && m.target !== bot && (text === undefined || (typeof text === 'string' ? m.message === text : text.test(m.message)));

describe('customers writing from IRC to the bot against a real ngircd', () => {
  let ngircd: NgircdServer;
  before(async () => {
    ngircd = await startNgircd();
  });
  after(async () => {
    await ngircd?.destroy();
  });

  describe('answered from SIP (Kamailio) and from the web', () => {
    const CUSTOMER = 'irc:carol@test';
    let kamailio: KamailioServer;
    let t: TestBridge;
    let alice: SipAgent;
    let carol: IrcAgent;
    let erin: IrcAgent;
    let customerUri: string;
    before(async () => {
      kamailio = await startKamailio({ users: { alice: 'alicepw', switchboard: 'bridgepw' }, routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' } });
      const ALICE = `sip:alice@${kamailio.domain}`;
      alice = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'alice', 'alicepw');
      await alice.publish(pidf(ALICE, 'open'));
      erin = await connectIrcAgent(ngircd.port, 'erin');
      t = await startBridge({
        teams: [
          { id: 'support', name: 'Support', sites: [SITE], members: [{ id: 'alice', name: 'Alice', addresses: [ALICE] }], capacity: 100 },
          { id: 'sales', name: 'Sales', sites: [SITE], members: ['web:a_bob'], capacity: 100, greeting: 'Hello from Sales!' },
          { id: 'tech', name: 'Tech', sites: [SITE], members: ['irc:erin@test'], capacity: 100 },
          { id: 'billing', sites: [SITE], members: ['web:a_bob'] },
        ],
        networks: [
          { type: 'web', presenceGraceMs: 50 },
          ngircdNetwork(ngircd, { ...QUICK, nick: 'support', customers: { team: 'support', teams: ['sales', 'tech'] } }),
          kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 }),
        ],
      });
      await until(() => ['irc', 'sip'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
      const watcher = await connect(t, { siteKey: SITE });
      for (const team of ['support', 'tech']) {
        await untilTeam(watcher.socket, team, (a) => (a.online ?? 0) >= 1, 15_000);
      }
      watcher.socket.disconnect();
      carol = await connectIrcAgent(ngircd.port, 'carol');
      // The customer is shown to the SIP agent under the bridge's visitor domain, whole.
      customerUri = `sip:irc%3Acarol%40test@${VISITOR_DOMAIN}`;
    });
    after(async () => {
      await Promise.all([carol?.quit(), erin?.quit(), alice?.stop()]);
      await t?.stop();
      await kamailio?.destroy();
    });

    it("opens a conversation with the network's team, answered by a SIP agent as [name] text from the bot", async () => {
      carol.say('support', 'My order has not arrived');
      const got = await alice.next((m) => m.request.body === 'My order has not arrived', 15_000);
      assert.equal(got.request.from.uri.toString(), customerUri);
      // The agent's context line names the customer by their nick, the only name IRC has.
      const context = await alice.next((m) => m.request.body.endsWith('for more.') && m.request.body.includes(CUSTOMER), 15_000);
      assert.match(context.request.body, /^#\w+ "carol" irc:carol@test \(not vouched: /);
      assert.equal(await alice.send(customerUri, 'Let me look into it'), 200);
      const answer = await carol.next(fromBot('support', 'privmsg', /Let me look into it$/));
      // A SIP agent is named as the team's configuration names it.
      assert.equal(answer.message, '[Alice] Let me look into it');
      assert.equal(answer.target, 'carol');

      // The next message goes to the same conversation.
      carol.say('support', 'It is order 42');
      await alice.next((m) => m.request.body === 'It is order 42');
      assert.equal(await alice.send(customerUri, 'Found it:\nit ships today\r\nPRIVMSG alice :not a command'), 200);
      const lines = await carol.collect(fromBot('support', 'privmsg', /^\[Alice\] (it ships today|PRIVMSG alice :not a command|Found it:)$/), 3);
      assert.deepEqual(
        lines.map((m) => m.message),
        ['[Alice] Found it:', '[Alice] it ships today', '[Alice] PRIVMSG alice :not a command'],
        'each line of the text a PRIVMSG of its own, prefixed; no line of it read as a command',
      );
    });

    it('lists the teams on /team, refuses one not offered, and takes another picked, greeted and answered from the web', async () => {
      carol.say('support', '/team');
      const listed = await carol.next(fromBot('support', 'notice', /Teams you can write to/));
      assert.equal(
        listed.message,
        'You write to Support (support), or to the team whose conversation you are in. Teams you can write to: Support (support), Sales (sales), Tech (tech). Send /team ID to pick one.',
      );
      carol.say('support', '/team billing');
      await carol.next(
        fromBot('support', 'notice', /^There is no team "billing" here\. Teams you can write to: Support \(support\), Sales \(sales\), Tech \(tech\)\./),
      );

      const bob = await connect(t, agentAuth('bob'));
      const offered = next(bob.socket, 'conversation', (c) => c.team === 'sales' && c.participants.includes(CUSTOMER) && c.assignee === 'web:a_bob');
      const atAgent = collect(bob.socket, 'message');
      carol.say('support', '/team sales');
      await carol.next(fromBot('support', 'notice', 'Your messages now go to Sales (sales).'));
      carol.say('support', 'Do you ship to Norway?');
      const conversation: Conversation = await offered;
      await carol.next(fromBot('support', 'privmsg', '[Sales] Hello from Sales!'));
      await until(() => atAgent.some((m) => m.text === 'Do you ship to Norway?'), 5000, 'the message at the web agent');
      await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: 'b-1', text: 'Yes, we do' });
      await carol.next(fromBot('support', 'privmsg', '[bob] Yes, we do'));
      await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: 'b-2', text: '/me checks the rates' });
      await carol.next(fromBot('support', 'privmsg', '* bob checks the rates'));

      // Without a new pick, the customer stays in the conversation they are in.
      carol.say('support', 'And to Iceland?');
      await until(() => atAgent.some((m) => m.text === 'And to Iceland?' && m.conversationId === conversation.id), 5000, 'the next message in it');

      // Closed: the next message goes to the network's team again.
      await call(bob.socket, 'conversation:close', { conversationId: conversation.id });
      carol.say('support', 'Back to my order');
      await alice.next((m) => m.request.body === 'Back to my order');
      const history = await call(bob.socket, 'history:get', { conversationId: conversation.id });
      assert.deepEqual(
        history.messages.filter((m: Message) => m.from === CUSTOMER).map((m: Message) => m.text),
        ['Do you ship to Norway?', 'And to Iceland?'],
      );
      bob.socket.disconnect();
    });

    it("carries the customer to an IRC agent, relayed by the bot with the conversation's ref, and the answer back", async () => {
      carol.say('support', '/team tech');
      await carol.next(fromBot('support', 'notice', 'Your messages now go to Tech (tech).'));
      carol.say('support', 'Is my router broken?');
      const relayed = await erin.next((m) => m.nick === 'support' && /^\[carol #(\w+)\] Is my router broken\?$/.test(m.message), 15_000);
      const ref = /#(\w+)/.exec(relayed.message)![1]!;
      erin.say('support', `#${ref} Try turning it off and on`);
      await carol.next(fromBot('support', 'privmsg', '[erin] Try turning it off and on'));
    });

    it('tells a blocked customer so once, in the words of the abuse controls, then nothing', async () => {
      const hank = await connectIrcAgent(ngircd.port, 'hank');
      const bob = await connect(t, agentAuth('bob'));
      try {
        const offered = next(bob.socket, 'conversation', (c) => c.participants.includes('irc:hank@test') && c.assignee === 'web:a_bob');
        hank.say('support', '/team sales');
        await hank.next(fromBot('support', 'notice', 'Your messages now go to Sales (sales).'));
        hank.say('support', 'hello');
        const conversation: Conversation = await offered;
        const blocked = await call(bob.socket, 'agent:command', { text: `/block ${conversation.id.slice(-5)}` });
        assert.match(blocked.answer, /^Blocked irc:hank@test on /);
        hank.say('support', 'still there?');
        hank.say('support', 'hello??');
        hank.say('support', '/team');
        await hank.next(fromBot('support', 'notice', /^You write to /));
        assert.deepEqual(
          hank.messages.filter((m) => m.nick === 'support' && m.type === 'notice' && !m.message.startsWith('You write to')).map((m) => m.message),
          ['Your messages now go to Sales (sales).', BLOCKED_NOTICE],
        );
        await call(bob.socket, 'agent:command', { text: '/unblock irc:hank@test' });
      } finally {
        await hank.quit();
        bob.socket.disconnect();
      }
    });

    it('fails the answer a customer who left IRC could not get, not the one they got before', async () => {
      const gwen = await connectIrcAgent(ngircd.port, 'gwen');
      const bob = await connect(t, agentAuth('bob'));
      try {
        const offered = next(bob.socket, 'conversation', (c) => c.team === 'sales' && c.participants.includes('irc:gwen@test') && c.assignee === 'web:a_bob');
        gwen.say('support', '/team sales');
        await gwen.next(fromBot('support', 'notice', 'Your messages now go to Sales (sales).'));
        gwen.say('support', 'Is my parcel lost?');
        const conversation: Conversation = await offered;
        const statuses = collect(bob.socket, 'message:status');
        const { message: got } = await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: 'g-1', text: 'Let me look' });
        await gwen.next(fromBot('support', 'privmsg', '[bob] Let me look'));
        await gwen.quit();
        // More lines than flood control lets go at once: the server's 401s come back while the rest is still being written.
        const long = Array.from({ length: 8 }, (_, i) => `Line ${i + 1} of what happened to the parcel.`).join('\n');
        const { message: lost } = await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: 'g-2', text: long });
        await until(() => statuses.some((s) => s.id === lost.id && s.status === 'failed'), 15_000, 'the long answer failed');
        const failed = statuses.find((s) => s.id === lost.id && s.status === 'failed')!;
        assert.equal(failed.error?.code, 'not_found');
        assert.match(failed.error?.message ?? '', /gwen/);
        assert.equal(statuses.filter((s) => s.id === lost.id && s.status === 'sent').length, 0, 'never sent after it failed');
        assert.equal(statuses.filter((s) => s.id === got.id && s.status === 'failed').length, 0, 'the answer gwen got is not failed');
      } finally {
        await gwen.quit();
        bob.socket.disconnect();
      }
    });

    it('tells an IRC agent, from the bot, of an answer that could not reach a customer who left', async () => {
      const ivan = await connectIrcAgent(ngircd.port, 'ivan');
      try {
        ivan.say('support', '/team tech');
        await ivan.next(fromBot('support', 'notice', 'Your messages now go to Tech (tech).'));
        ivan.say('support', 'Is the router on sale?');
        const relayed = await erin.next((m) => m.nick === 'support' && /^\[ivan #(\w+)\] Is the router on sale\?$/.test(m.message), 15_000);
        const ref = /#(\w+)/.exec(relayed.message)![1]!;
        await ivan.quit();
        erin.say('support', `#${ref} Yes, until Friday: shall I reserve one for you?`);
        const told = await erin.next((m) => m.nick === 'support' && m.type === 'notice' && m.message.startsWith('Not delivered'), 15_000);
        assert.match(told.message, new RegExp(`^Not delivered \\(#${ref}, "Yes, until Friday: shall I reserve one f…"\\): IRC: ivan: No such nick`));
      } finally {
        await ivan.quit();
      }
    });

    it('answers /help with what a customer can do', async () => {
      carol.say('support', '/help');
      await carol.next(fromBot('support', 'notice', 'Write here to reach Support (support); an agent answers here.'));
      await carol.next(fromBot('support', 'notice', '/team ID  write to that team instead'));
    });
  });

  describe("queued behind the agent's capacity", () => {
    const BOT = 'queuedesk';
    /** The bot shares its lines with quick presence polls: a faster pace keeps the test short (ngircd's limits are relaxed here). */
    const FAST = { burst: 20, linesPerSecond: 20 };
    /** Two lines: each goes out as a PRIVMSG of its own, never as a raw line of the protocol. */
    const QUEUED = 'Returns are busy.\nYou are number {position} in line.';
    let t: TestBridge;
    let oscar: IrcAgent;
    before(async () => {
      oscar = await connectIrcAgent(ngircd.port, 'oscar');
      t = await startBridge({
        teams: [
          {
            id: 'returns',
            name: 'Returns',
            members: [{ id: 'oscar', name: 'Oscar', addresses: ['irc:oscar@test'] }],
            sites: [SITE],
            capacity: 1,
            queueMessage: QUEUED,
          },
        ],
        networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, nick: BOT, customers: { team: 'returns' }, flood: FAST })],
      });
      await until(() => t.bridge.core.presence.get('irc:oscar@test').status === 'available', 15_000, 'the agent available');
    });
    after(async () => {
      await oscar?.quit();
      await t?.stop();
    });

    it('tells a queued customer their place from the bot, once, and the agent gets their messages once when room frees', async () => {
      const customers = await Promise.all(['kim', 'leo', 'mia'].map((nick) => connectIrcAgent(ngircd.port, nick)));
      const [kim, leo, mia] = customers as [IrcAgent, IrcAgent, IrcAgent];
      try {
        const relayedFrom = (nick: string, text: string) => (m: IrcMessageEvent) =>
          m.nick === BOT && m.type === 'privmsg' && new RegExp(`^\\[${nick} #\\w+\\] `).test(m.message) && m.message.endsWith(`] ${text}`);
        const refOf = (m: IrcMessageEvent) => /#(\w+)\]/.exec(m.message)![1]!;
        const told = (position: number) => [`[Returns] Returns are busy.`, `[Returns] You are number ${position} in line.`];
        const notices = (customer: IrcAgent) => customer.messages.filter(fromBot(BOT, 'privmsg', /^\[Returns\] /)).map((m) => m.message);

        // The first customer takes the agent's only room.
        kim.say(BOT, 'My parcel came broken');
        const kims = await oscar.next(relayedFrom('kim', 'My parcel came broken'), 15_000);

        // The next two wait in the queue, each told their place once by the bot, line by line.
        leo.say(BOT, 'I want a refund');
        await leo.collect(fromBot(BOT, 'privmsg', /^\[Returns\] /), 2, 15_000);
        assert.deepEqual(notices(leo), told(1));
        mia.say(BOT, 'Can I swap a size?');
        await mia.collect(fromBot(BOT, 'privmsg', /^\[Returns\] /), 2, 15_000);
        assert.deepEqual(notices(mia), told(2));
        // Writing again while waiting tells nothing more.
        leo.say(BOT, 'It is order 55');

        // The agent closes the first conversation: the first in line gets the room, with what they wrote.
        oscar.say(BOT, `/close ${refOf(kims)}`);
        await oscar.next((m) => m.type === 'notice' && m.nick === BOT && m.message === `#${refOf(kims)} is closed.`, 15_000);
        const leos = await oscar.next(relayedFrom('leo', 'It is order 55'), 15_000);
        oscar.say(BOT, `#${refOf(leos)} Your refund is on its way`);
        await leo.next(fromBot(BOT, 'privmsg', '[Oscar] Your refund is on its way'));
        leo.say(BOT, 'Thank you');
        // The customer's messages reach the agent in order: what came before this one came once.
        await oscar.next(relayedFrom('leo', 'Thank you'), 15_000);
        assert.deepEqual(
          oscar.messages.filter((m) => m.nick === BOT && m.type === 'privmsg' && m.message.startsWith(`[leo #${refOf(leos)}] `)).map((m) => m.message),
          ['I want a refund', 'It is order 55', 'Thank you'].map((text) => `[leo #${refOf(leos)}] ${text}`),
        );
        assert.deepEqual(notices(leo), told(1), 'told their place once');
        assert.deepEqual(notices(mia), told(2), 'told once, not again when their place changes');
        assert.deepEqual(notices(kim), [], 'the agent took the first at once: no queue message');
        assert.equal(
          oscar.messages.some((m) => m.message.endsWith('Can I swap a size?')),
          false,
          'the second in line still waits',
        );
      } finally {
        await Promise.all(customers.map((customer) => customer.quit()));
      }
    });
  });

  describe('outside business hours', () => {
    let t: TestBridge;
    let clock: ManualClock;
    let dave: IrcAgent;
    before(async () => {
      clock = new ManualClock(new Date('2026-11-28T10:00:00+01:00')); // a Saturday in Paris
      t = await startBridge(
        {
          teams: [
            { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], hours: HOURS, offlineMessage: 'We are away; we answer on Monday.' },
          ],
          networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, nick: 'helpdesk', customers: { team: 'support' } })],
        },
        { clock },
      );
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
      dave = await connectIrcAgent(ngircd.port, 'dave');
    });
    after(async () => {
      await dave?.quit();
      await t?.stop();
    });

    it("sends the team's offline message back on IRC, and the message to the agent when the team opens", async () => {
      const alice = await connect(t, agentAuth('alice'));
      dave.say('helpdesk', 'Anyone there?');
      await dave.next(fromBot('helpdesk', 'privmsg', '[Support] We are away; we answer on Monday.'));
      const assigned = next(alice.socket, 'conversation', (c) => c.participants.includes('irc:dave@test') && c.assignee === 'web:a_alice');
      clock.set(new Date('2026-11-30T09:00:00+01:00')); // Monday 09:00: the opening timer runs
      const conversation = await assigned;
      const history = await call(alice.socket, 'history:get', { conversationId: conversation.id });
      assert.deepEqual(
        history.messages.map((m: Message) => [m.from, m.text]),
        [
          ['irc:dave@test', 'Anyone there?'],
          ['team:support', 'We are away; we answer on Monday.'],
        ],
      );
      await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Good morning!' });
      await dave.next(fromBot('helpdesk', 'privmsg', '[alice] Good morning!'));
    });
  });

  describe('a kill -9 of the bridge in the middle of the conversation', () => {
    let dir: string;
    let frank: IrcAgent;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-irc-customers-'));
      frank = await connectIrcAgent(ngircd.port, 'frank');
    });
    after(async () => {
      await frank?.quit();
      rmSync(dir, { recursive: true, force: true });
    });

    it('loses nothing: answers not yet written go after the restart, and the customer stays in the team they picked', async (context) => {
      const path = join(dir, 'config.json');
      const config = baseConfig(dir, {
        teams: [
          { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
          { id: 'sales', name: 'Sales', members: ['web:a_bob'], sites: [SITE], capacity: 100 },
        ],
        networks: [
          { type: 'web', presenceGraceMs: 50 },
          ngircdNetwork(ngircd, { ...QUICK, nick: 'shopdesk', customers: { team: 'support', teams: ['sales'] } }),
        ],
      });
      writeFileSync(path, JSON.stringify({ ...config, log: { level: 'info' } }));
      const first = await runCli(path);
      context.after(() => first.child.kill('SIGKILL'));
      const bob = await connectTo(context, first.url, agentAuth('bob'));
      const offered = next(bob.socket, 'conversation', (c) => c.team === 'sales' && c.assignee === 'web:a_bob', 15_000);
      await until(() => frank.client.connected, 5000, 'the customer');
      // The bot comes online a moment after the CLI listens: ask until it answers.
      await until(
        async () => {
          frank.say('shopdesk', '/team sales');
          return (await frank.next(fromBot('shopdesk', 'notice', 'Your messages now go to Sales (sales).'), 1000).catch(() => null)) !== null;
        },
        15_000,
        'the bot to take the pick',
      );
      frank.say('shopdesk', 'Before the crash');
      const conversation = await offered;

      // More answers than the flood control lets out at once: the bridge dies with some not yet written.
      const answers = Array.from({ length: 12 }, (_, i) => `answer ${i + 1}`);
      for (const [i, text] of answers.entries()) await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: `b-${i}`, text });
      await frank.next(fromBot('shopdesk', 'privmsg', '[bob] answer 3'));
      await crash(first.child);
      const before = frank.messages.filter(fromBot('shopdesk', 'privmsg', /^\[bob\] answer/)).length;
      assert.ok(before < answers.length, `some answers still waiting at the crash (${before} written)`);

      const second = await runCli(path);
      try {
        await until(
          () => answers.every((text) => frank.messages.some(fromBot('shopdesk', 'privmsg', `[bob] ${text}`))),
          20_000,
          'every answer after the restart',
        );
        // The pick is not remembered across the restart; the conversation the customer is in is.
        const bobAgain = await connectTo(context, second.url, agentAuth('bob'));
        const atAgent = collect(bobAgain.socket, 'message');
        frank.say('shopdesk', 'After the restart');
        await until(() => atAgent.some((m) => m.text === 'After the restart'), 10_000, 'the message after the restart');
        assert.equal(atAgent.find((m) => m.text === 'After the restart')!.conversationId, conversation.id);
        const history = await call(bobAgain.socket, 'history:get', { conversationId: conversation.id });
        assert.deepEqual(
          history.messages.filter((m: Message) => m.from === 'irc:frank@test').map((m: Message) => m.text),
          ['Before the crash', 'After the restart'],
        );
      } finally {
        second.child.kill('SIGTERM');
        assert.equal(await exited(second.child), 0);
      }
    });
  });
});
