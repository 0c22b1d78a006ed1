// Customers on their own XMPP accounts writing to the bot's JID in client mode (docs/customers.md,
// "XMPP, client mode"), against a real Prosody: the customer is a plain @xmpp/client user.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
import { crash, exited } from '../cli-process.js';
import { SITE, type TestBridge, agentAuth, call, collect, connect, connectTo, next, startBridge, until } from '../helpers.js';
import { ManualClock } from '../manual-clock.js';
import { prosodyClientNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { askingReceipt, chatWithOriginId, connectAgent, isChatFrom, xml } from '../xmpp-agent.js';
import { customerBeforeCrash, runXmppCli, untilGone, whenTeamOpens } from '../xmpp-customer-desk.js';

const RECEIPTS = 'urn:xmpp:receipts';
const CHAT_STATES = 'http://jabber.org/protocol/chatstates';
const NICK = 'http://jabber.org/protocol/nick';
const HOURS = { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } };

type Stanza = ReturnType<typeof xml>;

/** The bot's client-mode network entry with its customers going to team `support`. */
const botNetwork = (prosody: ProsodyServer, username: string) =>
  prosodyClientNetwork(prosody, { username, password: `${username}pw` }, { customers: { team: 'support' } });

describe("customers writing from XMPP to the bot's JID (client mode) against a real Prosody", () => {
  let prosody: ProsodyServer;
  before(async () => {
    prosody = await startProsody({
      users: ['carol', 'dave', 'frank', 'gina', 'erin', 'ivy', 'deskbot', 'hoursbot', 'crashbot'].map((user): [string, string] => [user, `${user}pw`]),
      offline: true, // the bot's messages wait for it while it is down (XEP-0160), as on a usual server
    });
  });
  after(async () => {
    await prosody?.destroy();
  });

  describe('while the team is open', () => {
    const BOT = 'deskbot@localhost';
    let t: TestBridge;
    before(async () => {
      t = await startBridge({
        teams: [{ id: 'support', name: 'Support', members: ['web:a_alice', 'xmpp:erin@localhost'], sites: [SITE], capacity: 100 }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, botNetwork(prosody, 'deskbot')],
      });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
    });
    after(async () => {
      await t?.stop();
    });

    it('opens a team conversation answered by a web agent from the bot, with receipts, chat states, /help and retransmissions', async () => {
      const CAROL = 'xmpp:carol@localhost';
      const carol = await connectAgent(prosody.c2sPort, 'carol', 'carolpw');
      try {
        const alice = await connect(t, agentAuth('alice'));
        const offered = next(alice.socket, 'conversation', (c) => c.participants.includes(CAROL) && c.assignee !== undefined);
        const atAgent = collect(alice.socket, 'message');
        await carol.send(askingReceipt(BOT, 'My order has not arrived', 'c-1'));
        const conversation: Conversation = await offered;
        assert.equal(conversation.team, 'support');
        assert.equal(conversation.assignee, 'web:a_alice');
        // XEP-0184: the receipt comes once the message is stored.
        await carol.next((s) => isFromBot(BOT)(s) && s.getChild('received', RECEIPTS)?.attrs.id === 'c-1');
        await until(() => atAgent.some((m) => m.text === 'My order has not arrived'), 5000, 'the message at the agent');

        // Chat states both ways (XEP-0085).
        const typing = next(alice.socket, 'typing', (e) => e.from === CAROL && e.state === 'composing');
        await carol.send(xml('message', { type: 'chat', to: BOT }, xml('composing', { xmlns: CHAT_STATES })));
        await typing;
        await call(alice.socket, 'typing', { conversationId: conversation.id, state: 'composing' });
        await carol.next((s) => isFromBot(BOT)(s) && s.getChild('composing', CHAT_STATES) !== undefined && s.getChildText('body') === null);

        // The answer: the text alone from the bot's JID, the agent named by the nick; its receipt reaches the agent.
        const statuses = collect(alice.socket, 'message:status');
        const sent = await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Let me look into it' });
        const answer = await carol.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === 'Let me look into it');
        assert.equal(answer.getChildText('nick', NICK), 'alice');
        assert.ok(answer.getChild('request', RECEIPTS));
        await carol.send(xml('message', { to: BOT }, xml('received', { xmlns: RECEIPTS, id: answer.attrs.id })));
        await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'delivered'), 5000, 'the answer delivered');

        // `/help` is answered and stored nowhere; any other `/...` is words for the team; a retransmission is stored once.
        await carol.send(xml('message', { type: 'chat', to: BOT, id: 'help-1' }, xml('body', {}, '/help'), xml('request', { xmlns: RECEIPTS })));
        await carol.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === 'Write here and the Support team answers you here.');
        // Taken, with the receipt asked for (XEP-0184), before its answer.
        assert.ok(carol.stanzas.some((s) => s.getChild('received', RECEIPTS)?.attrs.id === 'help-1'));
        await carol.send(chatWithOriginId(BOT, '/order 42 is late', 'c-2'));
        await carol.send(chatWithOriginId(BOT, '/order 42 is late', 'c-2'));
        await carol.send(chatWithOriginId(BOT, 'Thanks', 'c-3'));
        await until(() => atAgent.some((m) => m.text === 'Thanks'), 5000, 'the last message');
        const history = await call(alice.socket, 'history:get', { conversationId: conversation.id });
        assert.deepEqual(
          history.messages.filter((m: Message) => m.from === CAROL).map((m: Message) => m.text),
          ['My order has not arrived', '/order 42 is late', 'Thanks'],
        );
        alice.socket.disconnect();
      } finally {
        await carol.stop();
      }
    });

    it("sends the customer <displayed> for a markable message once an XMPP agent's client displays it (XEP-0333)", async () => {
      const MARKERS = 'urn:xmpp:chat-markers:0';
      const gina = await connectAgent(prosody.c2sPort, 'gina', 'ginapw');
      const erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
      try {
        await until(() => t.bridge.core.presence.get('xmpp:erin@localhost').status === 'available', 10_000, 'erin available');
        await until(() => t.bridge.core.presence.get(`web:a_alice@${SITE}`).status === 'offline', 10_000, 'no web agent');
        await gina.send(
          xml(
            'message',
            { type: 'chat', to: BOT, id: 'gi-1' },
            xml('body', {}, 'Please read me'),
            xml('markable', { xmlns: MARKERS }),
            xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'gi-1' }),
          ),
        );
        const line = await erin.next((s) => isChatFrom(BOT)(s) && (s.getChildText('body') ?? '').endsWith('] Please read me'), 10_000);
        await erin.send(xml('message', { type: 'chat', to: BOT }, xml('displayed', { xmlns: MARKERS, id: line.attrs.id })));
        await gina.next((s) => isFromBot(BOT)(s) && s.getChild('displayed', MARKERS)?.attrs.id === 'gi-1');
      } finally {
        await gina.stop();
        await erin.stop();
      }
    });

    it("relays a customer's reaction (XEP-0444) as words quoting the answer it names, and refuses one to a closed conversation's", async () => {
      const reaction = (id: string, emoji: string, stanzaId: string) =>
        xml('message', { type: 'chat', to: BOT, id: stanzaId }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id }, xml('reaction', {}, emoji)));
      const frank = await connectAgent(prosody.c2sPort, 'frank', 'frankpw');
      try {
        const alice = await connect(t, agentAuth('alice'));
        const atAgent = collect(alice.socket, 'message');
        await frank.send(chatWithOriginId(BOT, 'Can I pay by card?', 'fr-1'));
        await until(() => atAgent.some((m) => m.text === 'Can I pay by card?'), 5000, 'the question at the agent');
        const { conversationId } = atAgent.find((m) => m.text === 'Can I pay by card?')!;
        await call(alice.socket, 'message:send', { conversationId, clientId: 'fr-a1', text: 'Yes, any card' });
        const answer = await frank.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === 'Yes, any card');
        await frank.send(reaction(answer.attrs.id!, '🙏', 'fr-2'));
        await until(() => atAgent.some((m) => m.text === 'reacted 🙏 to: "Yes, any card"' && m.conversationId === conversationId), 5000, 'the reaction');
        await call(alice.socket, 'conversation:close', { conversationId });
        await frank.send(reaction(answer.attrs.id!, '👍', 'fr-3'));
        const error = await frank.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'fr-3');
        assert.ok(error.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
        alice.socket.disconnect();
      } finally {
        await frank.stop();
      }
    });

    it('asks a customer who subscribes to the bot for their presence in return, and shows it to the web agent of their conversation', async () => {
      const IVY = 'xmpp:ivy@localhost';
      const ivy = await connectAgent(prosody.c2sPort, 'ivy', 'ivypw');
      try {
        await ivy.send(xml('presence', { type: 'subscribe', to: BOT }));
        // Her client approves the bot's request (RFC 6121 section 3.1), and her server sends her presence.
        // The request names the team, for her client to show who asks (XEP-0172).
        const asked = await ivy.next((s) => s.is('presence') && s.attrs.from === BOT && s.attrs.type === 'subscribe');
        assert.equal(asked.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Support');
        await until(() => t.bridge.core.presence.get(IVY).status === 'available', 10_000, "ivy's presence known to the desk");
        const alice = await connect(t, agentAuth('alice'));
        const opened = next(alice.socket, 'conversation', (c) => c.participants.includes(IVY));
        await ivy.send(chatWithOriginId(BOT, 'Do you ship to Norway?', 'i-1'));
        await opened;
        const changes = collect(alice.socket, 'presence');
        const watched = await call(alice.socket, 'presence:subscribe', { addresses: [IVY] });
        assert.deepEqual(watched.presences, [{ address: IVY, status: 'available' }]);
        await ivy.send(xml('presence', {}, xml('show', {}, 'xa'), xml('status', {}, 'Back tomorrow')));
        await until(() => changes.some((p) => p.address === IVY && p.status === 'away' && p.text === 'Back tomorrow'), 5000, 'ivy away, to alice');
        await ivy.stop();
        await until(() => changes.some((p) => p.address === IVY && p.status === 'offline'), 5000, 'ivy offline, to alice');
        alice.socket.disconnect();
      } finally {
        await ivy.stop();
      }
    });

    it('is answered by an XMPP agent of the team talking to the same bot, after a transfer', async () => {
      const DAVE = 'xmpp:dave@localhost';
      const dave = await connectAgent(prosody.c2sPort, 'dave', 'davepw');
      const erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
      try {
        const alice = await connect(t, agentAuth('alice'));
        const offered = next(alice.socket, 'conversation', (c) => c.participants.includes(DAVE) && c.assignee === 'web:a_alice');
        await dave.send(chatWithOriginId(BOT, 'Do you ship to Norway?', 'd-1'));
        const ref = (await offered).id.slice(-5).toLowerCase();
        const moved = await call(alice.socket, 'agent:command', { text: `/transfer ${ref} erin` });
        // Erin has no name in the config: her address names her.
        assert.match(moved.answer, new RegExp(`^#${ref} is now with xmpp:erin@localhost[.,]`));

        // The agent reads who the customer is, and what they wrote, from the bot.
        const context = await erin.next((s) => isChatFrom(BOT)(s) && (s.getChildText('body') ?? '').startsWith(`#${ref} `));
        assert.match(context.getChildText('body')!, new RegExp(`^#${ref} xmpp:dave@localhost .*team support`));
        await erin.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === `[xmpp:dave@localhost #${ref}] Do you ship to Norway?`);
        await erin.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'Yes, we do')));
        await dave.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === 'Yes, we do');

        // Chat states both ways, through the agent's latest conversation.
        await dave.send(xml('message', { type: 'chat', to: BOT }, xml('composing', { xmlns: CHAT_STATES })));
        await erin.next((s) => isFromBot(BOT)(s) && s.getChild('composing', CHAT_STATES) !== undefined);
        await erin.send(xml('message', { type: 'chat', to: BOT }, xml('paused', { xmlns: CHAT_STATES })));
        await dave.next((s) => isFromBot(BOT)(s) && s.getChild('paused', CHAT_STATES) !== undefined);
        alice.socket.disconnect();
      } finally {
        await dave.stop();
        await erin.stop();
      }
    });
  });

  describe('outside business hours', () => {
    const BOT = 'hoursbot@localhost';
    let t: TestBridge;
    let clock: ManualClock;
    before(async () => {
      clock = new ManualClock(new Date('2026-11-28T10:00:00+01:00')); // a Saturday in Paris
      t = await startBridge(
        {
          teams: [
            { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], hours: HOURS, offlineMessage: 'We are away; we answer on Monday.' },
          ],
          networks: [{ type: 'web', presenceGraceMs: 50 }, botNetwork(prosody, 'hoursbot')],
        },
        { clock },
      );
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
    });
    after(async () => {
      await t?.stop();
    });

    it("sends the team's offline message from the bot, and the agent gets the message when the team opens", async () => {
      const frank = await connectAgent(prosody.c2sPort, 'frank', 'frankpw');
      try {
        const alice = await connect(t, agentAuth('alice'));
        const conversations = collect(alice.socket, 'conversation');
        await frank.send(chatWithOriginId(BOT, 'Anyone there?', 'f-1'));
        const offline = await frank.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === 'We are away; we answer on Monday.');
        assert.equal(offline.getChildText('nick', NICK), 'Support');
        assert.equal(
          conversations.some((c) => c.assignee !== undefined),
          false,
          'closed: nobody gets it, although alice is online',
        );

        const { texts } = await whenTeamOpens(alice.socket, clock, 'xmpp:frank@localhost');
        assert.deepEqual(texts, ['Anyone there?', 'We are away; we answer on Monday.']);
      } finally {
        await frank.stop();
      }
    });
  });

  it('loses nothing when the bridge is killed (kill -9) in the middle of a conversation', async (t) => {
    const BOT = 'crashbot@localhost';
    const GINA = 'xmpp:gina@localhost';
    const {
      config,
      first,
      alice,
      customer: gina,
      conversation,
    } = await customerBeforeCrash(t, prosody, botNetwork(prosody, 'crashbot'), { user: 'gina', door: BOT });
    await crash(first.child);
    alice.disconnect();
    await untilGone(gina, `${BOT}/switchboard`); // the bot's resource: the config's default

    // While the bridge is down, the server keeps the customer's message for the bot; a retransmission of the first too.
    await gina.send(chatWithOriginId(BOT, 'While it was down', 'gina-2'));
    await gina.send(chatWithOriginId(BOT, 'Before the crash', 'gina-1'));
    const second = await runXmppCli(config);
    try {
      const { socket: again } = await connectTo(t, second.url, agentAuth('alice'));
      const customerTexts = async () =>
        (await call(again, 'history:get', { conversationId: conversation.id })).messages.filter((m: Message) => m.from === GINA).map((m: Message) => m.text);
      await until(async () => (await customerTexts()).includes('While it was down'), 15_000, 'the message kept by the server');
      await gina.send(chatWithOriginId(BOT, 'After the restart', 'gina-3'));
      await until(async () => (await customerTexts()).includes('After the restart'), 10_000, 'the message after the restart');
      assert.deepEqual(await customerTexts(), ['Before the crash', 'While it was down', 'After the restart']);
      await call(again, 'message:send', { conversationId: conversation.id, clientId: 'a-2', text: 'Answer after the restart' });
      await gina.next((s) => isChatFrom(BOT)(s) && s.getChildText('body') === 'Answer after the restart', 15_000);
      const history = await call(again, 'history:get', { conversationId: conversation.id });
      assert.deepEqual(
        history.messages.map((m: Message) => m.text),
        ['Before the crash', 'Answer before the crash', 'While it was down', 'After the restart', 'Answer after the restart'],
      );
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });
});

/** Any message from the bot's bare JID (a receipt, a chat state, words). */
const isFromBot = (bot: string) => (stanza: Stanza) => stanza.is('message') && stanza.attrs.from?.split('/')[0] === bot;
