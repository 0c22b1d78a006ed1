import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Component, component } from '@xmpp/component';
import { SITE, type TestBridge, call, collect, next, openVisitor, startBridge, until } from '../helpers.js';
import { prosodyClientNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, chatWithOriginId, connectAgent, correction, retraction, xml } from '../xmpp-agent.js';

const BOT = 'switchboard@localhost';
/** The bot's session (its configured resource): disco#info and group chat go to a full JID (RFC 6121 section 8.5). */
const BOT_SESSION = `${BOT}/switchboard`;
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const fromBot = (stanza: ReturnType<typeof xml>) =>
  stanza.is('message') && stanza.attrs.from?.startsWith(`${BOT}/`) === true && stanza.getChildText('body') !== null;

describe('XMPP network (client mode, one bot account) against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let alice: Agent;

  before(async () => {
    prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['switchboard', 'botpw'],
      ],
      offline: true,
    });
    t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyClientNetwork(prosody, { username: 'switchboard', password: 'botpw' })],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  const visitor = () => openVisitor(t, { assignee: 'xmpp:alice@localhost' });

  it('relays a visitor through the bot with a name and ref, and the plain reply goes to the latest visitor', async () => {
    const v = await visitor();
    await call(v.socket, 'profile:update', { name: 'Dana' });
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'c1', text: 'Is the tent waterproof?' });
    const stanza = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('Is the tent waterproof?'));
    assert.match(stanza.getChildText('body')!, /^\[Dana #[0-9a-f]{5}\] Is the tent waterproof\?$/);
    const reply = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'Yes, 3000 mm.')));
    assert.equal((await reply).text, 'Yes, 3000 mm.');
  });

  it("stores the agent's correction of its answer (XEP-0308) as correcting it", async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'lmc-q', text: 'Do you ship to Norway?' });
    const asked = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('Do you ship to Norway?'));
    assert.equal(asked.getChildText('body'), `[Visitor #${v.conversationId.slice(-5)}] Do you ship to Norway?`, 'a visitor who gave no name');
    const answers = collect(v.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: BOT, id: 'lmc-a1' }, xml('body', {}, 'We ship to Norwya.')));
    await alice.send(correction(BOT, 'We ship to Norway.', 'lmc-a2', 'lmc-a1'));
    await until(() => answers.length >= 2, 5000, 'the answer and its correction');
    assert.deepEqual(
      answers.map((m) => [m.text, m.corrects]),
      [
        ['We ship to Norwya.', undefined],
        ['We ship to Norway.', answers[0]!.id],
      ],
    );

    // Writing to another visitor since, the agent corrects and then takes back this answer: both
    // go to this conversation, and the agent's plain replies still go to the other visitor.
    const other = await visitor();
    await call(other.socket, 'message:send', { conversationId: other.conversationId, clientId: 'lmc-o', text: 'Me too?' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('Me too?'));
    const atOther = collect(other.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: BOT, id: 'lmc-b1' }, xml('body', {}, 'You too.')));
    await until(() => atOther.length === 1, 5000, "the other visitor's answer");
    await alice.send(correction(BOT, 'We ship to Norway and Sweden.', 'lmc-a3', 'lmc-a1'));
    await alice.send(retraction(BOT, 'lmc-a4', 'lmc-a1'));
    await alice.send(xml('message', { type: 'chat', to: BOT, id: 'lmc-b2' }, xml('body', {}, 'Anything else?')));
    await until(() => atOther.length === 2 && answers.length === 4, 5000, 'the correction, the retraction and the next reply');
    assert.deepEqual(
      answers.slice(2).map((m) => [m.text, m.corrects]),
      [
        ['We ship to Norway and Sweden.', answers[0]!.id],
        ['', answers[0]!.id],
      ],
    );
    assert.deepEqual(
      atOther.map((m) => m.text),
      ['You too.', 'Anything else?'],
    );
  });

  it('lets the agent address any visitor with #ref, and explains an unknown ref', async () => {
    const first = await visitor();
    const second = await visitor();
    await call(first.socket, 'message:send', { conversationId: first.conversationId, clientId: 'f', text: 'first visitor here' });
    const firstStanza = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('first visitor here'));
    const ref = /#([0-9a-f]{5})\]/.exec(firstStanza.getChildText('body')!)![1]!;
    await call(second.socket, 'message:send', { conversationId: second.conversationId, clientId: 's', text: 'second visitor here' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('second visitor here'));
    const atSecond = collect(second.socket, 'message');
    const atFirst = next(first.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, `#${ref} this is for the first one`)));
    assert.equal((await atFirst).text, 'this is for the first one');
    assert.equal(atSecond.filter((m) => m.from === 'xmpp:alice@localhost').length, 0);
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, '#zzzzz who is this')));
    const help = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').startsWith('No conversation has the ref #zzzzz'));
    assert.ok(help);
  });

  it('refuses a plain reply once the latest conversation was closed, and opens it again for its ref', async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'cl-1', text: 'all sorted, bye' });
    const relayed = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('all sorted, bye'));
    const ref = /#([0-9a-f]{5})\]/.exec(relayed.getChildText('body')!)![1]!;
    const goodbye = () =>
      xml(
        'message',
        { type: 'chat', to: BOT, id: 'bye-1' },
        xml('body', {}, `#${ref} thanks, bye`),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'origin-bye-1' }),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      );
    const atVisitorBefore = collect(v.socket, 'message');
    await alice.send(goodbye());
    await until(() => atVisitorBefore.some((m) => m.text === 'thanks, bye'), 5000, "alice's goodbye");
    const closed = await call(v.socket, 'conversation:close', { conversationId: v.conversationId });
    assert.ok(closed.ok, JSON.stringify(closed));
    // Her client sends the goodbye again (a stream resumed, XEP-0198): stored once, receipted again, and it opens nothing.
    const seen = alice.stanzas.length;
    await alice.send(goodbye());
    await alice.next((s) => alice.stanzas.indexOf(s) >= seen && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'bye-1');
    assert.equal((await t.bridge.store.getConversation(v.conversationId))?.state, 'closed', 'a resend opens nothing');
    const atVisitor = collect(v.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'meant for another visitor')));
    const refusal = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').startsWith(`#${ref} is closed:`));
    assert.equal(
      refusal.getChildText('body'),
      `#${ref} is closed: your message was not delivered. To open it again, write "#${ref} your text"; to answer another visitor, use its ref.`,
    );
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, `#${ref} one last thing`)));
    await until(() => atVisitor.some((m) => m.text === 'one last thing'), 5000, 'the addressed reply');
    assert.deepEqual(
      atVisitor.map((m) => m.text),
      ['one last thing'],
    );
    assert.equal((await t.bridge.store.getConversation(v.conversationId))?.state, 'open');
  });

  it("takes a reply to one of the bot's lines (XEP-0461) to that line's conversation, without the quote its fallback marks (XEP-0428)", async () => {
    const dana = await visitor();
    const eve = await visitor();
    await call(dana.socket, 'message:send', { conversationId: dana.conversationId, clientId: 'r1', text: 'My order is 4711, 5 Elm St. 🏠' });
    const asked = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('5 Elm St. 🏠'));
    await call(eve.socket, 'message:send', { conversationId: eve.conversationId, clientId: 'r2', text: 'Hello?' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('Hello?'));
    const atDana = next(dana.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    const atEve = collect(eve.socket, 'message');
    // As Conversations and Dino send it: the quote, its range in code points, then the answer.
    const quote = `> ${asked.getChildText('body')!}\n`;
    const answer = 'Thanks, it ships today.';
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: BOT, id: 'reply-1' },
        xml('body', {}, `${quote}${answer}`),
        xml('reply', { xmlns: 'urn:xmpp:reply:0', to: BOT, id: asked.attrs.id }),
        xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String([...quote].length) })),
      ),
    );
    assert.equal((await atDana).text, answer);
    // The next plain message goes to the conversation the agent answered last.
    const next2 = next(dana.socket, 'message', (m) => m.from === 'xmpp:alice@localhost' && m.text === 'Anything else?');
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'Anything else?')));
    await next2;
    assert.equal(atEve.filter((m) => m.from === 'xmpp:alice@localhost').length, 0, 'nothing of it at the other visitor');
  });

  it('takes agent commands sent to the bot, and never relays them to a visitor', async () => {
    const v = await visitor();
    const ref = v.conversationId.slice(-5).toLowerCase();
    // The context line names its conversation once: it starts with the ref, so no `[#ref]` tag.
    const context = await alice.next(
      (s) => fromBot(s) && (s.getChildText('body') ?? '').includes('Reply here') && (s.getChildText('body') ?? '').includes(ref),
    );
    assert.match(context.getChildText('body')!, new RegExp(`^#${ref} Visitor `));
    assert.equal(context.getChildText('body')!.split(`#${ref}`).length, 2, 'the ref written once');
    const atVisitor = collect(v.socket, 'message');
    const ask = async (text: string) => {
      const seen = alice.stanzas.length;
      await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, text)));
      return (await alice.next((s) => alice.stanzas.indexOf(s) >= seen && fromBot(s) && s.getChildText('body') !== null)).getChildText('body')!;
    };
    assert.match(await ask(`/whois ${ref}`), /identity: not verified/);
    assert.match(await ask('/frobnicate'), /^Unknown command "\/frobnicate"/);
    assert.match(await ask(`/close ${ref}`), /is closed/);
    assert.equal(atVisitor.length, 0);
    // A command asking for a receipt gets one, as the bot's disco#info promises (XEP-0184).
    await alice.send(xml('message', { type: 'chat', to: BOT, id: 'cmd-1' }, xml('body', {}, '/list'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    const receipt = await alice.next((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'cmd-1');
    assert.equal(receipt.attrs.from, BOT_SESSION);
  });

  it('answers disco#info as a bot, with the features client mode implements (XEP-0030)', async () => {
    const answer = await alice.xmpp.iqCaller.request(xml('iq', { type: 'get', to: BOT_SESSION }, xml('query', { xmlns: DISCO_INFO })));
    const query = answer.getChild('query', DISCO_INFO)!;
    assert.deepEqual(query.getChild('identity')!.attrs, { category: 'client', type: 'bot', name: 'Switchboard' });
    assert.deepEqual(
      query.getChildren('feature').map((feature) => feature.attrs.var),
      [
        DISCO_INFO,
        'http://jabber.org/protocol/chatstates',
        'urn:xmpp:receipts',
        'urn:xmpp:chat-markers:0',
        'urn:xmpp:sid:0',
        'jabber:x:oob',
        'urn:xmpp:message-correct:0',
        'urn:xmpp:message-retract:1',
      ],
    );
    await assert.rejects(
      alice.xmpp.iqCaller.request(xml('iq', { type: 'get', to: BOT_SESSION }, xml('query', { xmlns: DISCO_INFO, node: 'no-such-node' }))),
      (error: { condition?: string }) => error.condition === 'item-not-found',
    );
  });

  it('refuses an OpenPGP message to the bot with not-acceptable, and relays none of its fallback (XEP-0373)', async () => {
    const v = await visitor();
    const atVisitor = collect(v.socket, 'message');
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: BOT, id: 'pgp-1' },
        xml('openpgp', { xmlns: 'urn:xmpp:openpgp:0' }, 'QkFTRTY0'),
        xml('body', {}, 'This message is encrypted with OpenPGP.'),
      ),
    );
    const error = await alice.next((s) => s.attrs.type === 'error' && s.attrs.id === 'pgp-1');
    assert.ok(error.getChild('error')?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.match(error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /cannot read OpenPGP encrypted messages/);
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'sent again in the clear')));
    await until(() => atVisitor.some((m) => m.text === 'sent again in the clear'), 5000, 'the unencrypted message');
    assert.deepEqual(
      atVisitor.map((m) => m.text),
      ['sent again in the clear'],
    );
  });

  it("relays and answers no group chat, headline or server's message (RFC 6121 section 5.2.2)", async () => {
    // The server's own JID: a component's domain on it, as a MOTD or an admin's announcement comes.
    const server: Component = component({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.componentDomain,
      password: prosody.componentSecret,
    });
    server.on('error', () => undefined);
    const atServer: ReturnType<typeof xml>[] = [];
    server.on('stanza', (stanza: ReturnType<typeof xml>) => atServer.push(stanza));
    await server.start();
    try {
      const v = await visitor();
      await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'b1', text: 'anyone there?' });
      await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('anyone there?'));
      const atVisitor = collect(v.socket, 'message');
      const seen = alice.stanzas.length;
      for (const type of ['headline', 'groupchat']) await alice.send(xml('message', { type, to: BOT_SESSION }, xml('body', {}, `a ${type}`)));
      for (const type of ['normal', 'chat', 'headline'])
        await server.send(xml('message', { type, from: prosody.componentDomain, to: BOT_SESSION }, xml('body', {}, 'Maintenance tonight')));
      const reply = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
      await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'Yes, we are.')));
      assert.equal((await reply).text, 'Yes, we are.');
      // The bot answers each sender's disco#info after what that sender sent before it: a refusal
      // of any of those would have come back first, on the same way.
      const discoInfo = xml('iq', { type: 'get', to: BOT_SESSION }, xml('query', { xmlns: DISCO_INFO }));
      await alice.xmpp.iqCaller.request(discoInfo);
      await server.iqCaller.request(xml('iq', { type: 'get', from: prosody.componentDomain, to: BOT_SESSION }, xml('query', { xmlns: DISCO_INFO })));
      assert.deepEqual(
        atVisitor.filter((m) => m.from === 'xmpp:alice@localhost').map((m) => m.text),
        ['Yes, we are.'],
      );
      assert.equal(alice.stanzas.slice(seen).filter(fromBot).length, 0, 'no refusal to the agent');
      assert.equal(atServer.filter((s) => s.is('message')).length, 0, 'nothing back to the server');
    } finally {
      await server.stop().catch(() => undefined);
    }
  });

  it('tells the agent which of its markable messages the visitor read, by their origin-ids (XEP-0333), never by an oversized id', async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'mk-q', text: 'markers please' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('markers please'));
    const answers = collect(v.socket, 'message');
    const markable = (chat: ReturnType<typeof xml>) => {
      chat.children.push(xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }));
      return chat;
    };
    // An id of 300 characters is not remembered (held in memory 10,000 times over, it could be megabytes).
    const oversized = `mk-${'x'.repeat(297)}`;
    await alice.send(markable(chatWithOriginId(BOT, 'First answer.', oversized)));
    // No <markable/>: the client wants no marker for it (XEP-0333 section 4).
    await alice.send(chatWithOriginId(BOT, 'Second answer.', 'mk-plain'));
    await alice.send(markable(chatWithOriginId(BOT, 'Third answer.', 'mk-a3')));
    await until(() => answers.length === 3, 5000, 'the answers');
    const seen = alice.stanzas.length;
    const marker = (s: ReturnType<typeof xml>) =>
      s.is('message') && s.getChild('displayed', 'urn:xmpp:chat-markers:0') !== undefined && alice.stanzas.indexOf(s) >= seen;
    for (const answer of answers) await call(v.socket, 'read', { conversationId: v.conversationId, seq: answer.seq });
    await alice.next(marker);
    // Markers go in order: one for the first answer would have come before this one.
    assert.deepEqual(
      alice.stanzas.filter(marker).map((s) => s.getChild('displayed', 'urn:xmpp:chat-markers:0')!.attrs.id),
      ['mk-a3'],
    );
  });

  it('reads, by one marker in the chat with the bot, what came before it from every visitor (XEP-0333 section 6)', async () => {
    const first = await visitor();
    const second = await visitor();
    const firstStatuses = collect(first.socket, 'message:status');
    const secondStatuses = collect(second.socket, 'message:status');
    const earlier = await call(first.socket, 'message:send', { conversationId: first.conversationId, clientId: 'mk-1', text: 'first visitor here' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('first visitor here'));
    const latest = await call(second.socket, 'message:send', { conversationId: second.conversationId, clientId: 'mk-2', text: 'second visitor here' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('second visitor here'));
    // The agent's client displays the chat and marks its latest message only.
    await alice.send(xml('message', { to: BOT }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: latest.message.id })));
    await until(() => secondStatuses.some((s) => s.id === latest.message.id && s.status === 'read'), 5000, 'the marked message read');
    await until(() => firstStatuses.some((s) => s.id === earlier.message.id && s.status === 'read'), 5000, "the other visitor's earlier message read");
  });

  it("says the visitors' chat states from the bot once while they last (XEP-0085 section 5.2)", async () => {
    const v = await visitor();
    const typing = (state: 'composing' | 'paused') => call(v.socket, 'typing', { conversationId: v.conversationId, state });
    const marker = `before typing ${Date.now()}`;
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'cs-1', text: marker });
    for (const state of ['composing', 'composing', 'composing', 'paused', 'paused', 'composing'] as const) await typing(state);
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'cs-2', text: 'after typing' });
    await typing('composing');
    // Everything from the bot after the marker: the bot's chat is shared, so earlier tests' stanzas are before it.
    let started = false;
    const said: string[] = [];
    await alice.next((s) => {
      if (!s.is('message') || !s.attrs.from?.startsWith(`${BOT}/`)) return false;
      const body = s.getChildText('body');
      if (body?.endsWith(marker)) started = true;
      if (!started) return false;
      const state = ['composing', 'paused'].find((name) => s.getChild(name, 'http://jabber.org/protocol/chatstates'));
      if (body?.endsWith('after typing')) said.push('after typing');
      else if (body === null && state) said.push(state);
      return said.length === 5;
    });
    assert.deepEqual(said, ['composing', 'paused', 'composing', 'after typing', 'composing']);
  });

  it("relays the agent's reaction (XEP-0444) to a visitor's line as words quoting it, in that line's conversation", async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'rx', text: 'Thanks for your help!' });
    const line = await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('Thanks for your help!'));
    const got = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(
      xml('message', { type: 'chat', to: BOT, id: 'rx-1' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: line.attrs.id }, xml('reaction', {}, '❤️'))),
    );
    assert.equal((await got).text, 'reacted ❤️ to: "Thanks for your help!"');
  });

  it("follows the agent's presence, and maps receipts and chat states for the latest visitor", async () => {
    const v = await visitor();
    const statuses = collect(v.socket, 'message:status');
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'rc', text: 'receipt please' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('receipt please'));
    await alice.send(xml('message', { to: BOT }, xml('received', { xmlns: 'urn:xmpp:receipts', id: sent.message.id })));
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'delivered'), 5000, 'delivered');
    const typing = next(v.socket, 'typing', (e) => e.from === 'xmpp:alice@localhost');
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.equal((await typing).state, 'composing');
    const away = next(v.socket, 'team:availability', (a) => !a.available);
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd')));
    assert.equal((await away).available, false);
    const back = next(v.socket, 'team:availability', (a) => a.available);
    await alice.send(xml('presence'));
    assert.equal((await back).available, true);
  });
});

describe("XMPP agent who denied the bot's subscription, then allowed it (client mode)", () => {
  it('is seen available once they allow it and add the bot back, without a reconnection of the bridge (RFC 6121 sections 3.1, 3.4)', async () => {
    const prosody = await startProsody({
      users: [
        ['nora', 'norapw'],
        ['switchboard', 'botpw'],
      ],
    });
    const t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:nora@localhost'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyClientNetwork(prosody, { username: 'switchboard', password: 'botpw' })],
    });
    const nora = await connectAgent(prosody.c2sPort, 'nora', 'norapw', { subscriptions: 'deny' });
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
      // Her client denies the bot's request: her presence is not the bridge's to see.
      await nora.next((s) => s.is('presence') && s.attrs.from === BOT && s.attrs.type === 'subscribe', 10_000);
      assert.equal(t.bridge.core.presence.get('xmpp:nora@localhost').status, 'offline');
      // She changes her mind: her client approves (a pre-approval now, RFC 6121 section 3.4) and adds the bot back.
      await nora.send(xml('presence', { type: 'subscribed', to: BOT }));
      await nora.send(xml('presence', { type: 'subscribe', to: BOT }));
      await until(() => t.bridge.core.presence.get('xmpp:nora@localhost').status === 'available', 10_000, "nora's presence seen");
    } finally {
      await nora.stop();
      await t.stop();
      await prosody.destroy();
    }
  });
});
