import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import fc from 'fast-check';
import { xmlSafe } from '../../src/networks/xmpp/xmpp-network.js';
import {
  SITE,
  type TestBridge,
  agentAuth,
  type WebVisitor,
  type Readiness,
  bodyOf,
  call,
  collect,
  connect,
  next,
  openVisitor,
  sendText,
  startBridge,
  streamFigures,
  until,
} from '../helpers.js';
import { HOSTILE_TEXTS } from '../hostile-texts.js';
import { ManualClock } from '../manual-clock.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, askingReceipt, chatWithOriginId, connectAgent, correction, retraction, xml, bare } from '../xmpp-agent.js';

/** A visitor's message (it carries its origin-id), not a notice from the bridge such as the context line. */
const isChat = (stanza: ReturnType<typeof xml>) =>
  stanza.is('message') && stanza.getChildText('body') !== null && stanza.getChild('origin-id', 'urn:xmpp:sid:0') !== undefined;

describe('XMPP network (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let alice: Agent;

  before(async () => {
    prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['mallory', 'mallorypw'],
      ],
      offline: true,
    });
    t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  /** A visitor with an open conversation routed to alice (waits for her presence to count). */
  async function visitor(): Promise<WebVisitor & { jid: string }> {
    const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
    return { ...v, jid: `${v.self.slice(4)}@${prosody.componentDomain}` };
  }

  it("carries a visitor's message to the agent's client and the reply back", async () => {
    const v = await visitor();
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'x1', text: 'Hello from the shop' });
    const stanza = await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid);
    assert.equal(stanza.attrs.type, 'chat');
    assert.equal(stanza.getChildText('body'), 'Hello from the shop');
    assert.equal(stanza.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, sent.message.id);
    assert.ok(stanza.getChild('request', 'urn:xmpp:receipts'));

    const reply = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(
      xml('message', { type: 'chat', to: v.jid, id: 'agent-1' }, xml('body', {}, 'Hi! How can I help?'), xml('request', { xmlns: 'urn:xmpp:receipts' })),
    );
    assert.equal((await reply).text, 'Hi! How can I help?');
    const receipt = await alice.next((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'agent-1');
    assert.equal(bare(receipt.attrs.from), v.jid);
  });

  it('works the same through the SDK: visitor to agent and back, with the nickname from the pre-chat form', async () => {
    const { createClient, memoryStorage } = await import('@switchboard/sdk');
    const sdk = createClient({ url: t.url, siteKey: SITE, storage: memoryStorage() });
    try {
      const availability = await sdk.ready().then(() => sdk.subscribePresence({ team: 'support' }));
      if (!availability.available) await new Promise<void>((resolve) => sdk.on('team:availability', (a) => a.available && resolve()));
      await sdk.updateProfile({ name: 'Sam' });
      const conversation = await sdk.openConversation({ team: 'support' });
      const jid = `${sdk.session!.self.slice(4)}@${prosody.componentDomain}`;
      const sent = await sdk.send(conversation.id, 'Hello through the SDK');
      assert.equal(sent.seq, 1);
      const stanza = await alice.next((s) => isChat(s) && bare(s.attrs.from) === jid);
      assert.equal(stanza.getChildText('body'), 'Hello through the SDK');
      assert.equal(stanza.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Sam');
      const reply = new Promise<Message>((resolve) => sdk.on('message', (m) => m.from === 'xmpp:alice@localhost' && resolve(m)));
      await alice.send(xml('message', { type: 'chat', to: jid }, xml('body', {}, 'Hello Sam')));
      assert.equal((await reply).text, 'Hello Sam');
      // The nick once (XEP-0172 section 4.1), and again when the name changes.
      const from = (body: string) => alice.next((s) => isChat(s) && bare(s.attrs.from) === jid && s.getChildText('body') === body);
      await sdk.send(conversation.id, 'Still Sam');
      assert.equal((await from('Still Sam')).getChild('nick', 'http://jabber.org/protocol/nick'), undefined);
      await sdk.updateProfile({ name: 'Samuel' });
      await sdk.send(conversation.id, 'Now Samuel');
      assert.equal((await from('Now Samuel')).getChildText('nick', 'http://jabber.org/protocol/nick'), 'Samuel');
    } finally {
      sdk.disconnect();
    }
  });

  it('shows two visitors as two JIDs and routes each reply to its own visitor', async () => {
    const one = await visitor();
    const two = await visitor();
    assert.notEqual(one.jid, two.jid);
    await call(one.socket, 'message:send', { conversationId: one.conversationId, clientId: 'a', text: 'I am one' });
    await call(two.socket, 'message:send', { conversationId: two.conversationId, clientId: 'b', text: 'I am two' });
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === one.jid);
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === two.jid);
    const atTwo = collect(two.socket, 'message');
    const atOne = next(one.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(xml('message', { type: 'chat', to: one.jid }, xml('body', {}, 'for one')));
    assert.equal((await atOne).text, 'for one');
    assert.equal(atTwo.filter((m) => m.text === 'for one').length, 0);
  });

  it('shows the visitor online to the agent while its page is open, offline after the grace period', async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'hello', text: 'hello' });
    const online = await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === undefined);
    assert.equal(online.getChild('show'), undefined);
    await call(v.socket, 'presence:set', { status: 'away' });
    const away = await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.getChildText('show') === 'away');
    assert.ok(away);
    v.socket.disconnect();
    await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === 'unavailable');
  });

  it('shows the visitor offline once it left, also when its conversation was closed before', async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'closing', text: 'thanks, bye' });
    await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === undefined);
    await call(v.socket, 'conversation:close', { conversationId: v.conversationId });
    v.socket.disconnect();
    await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === 'unavailable');
  });

  it("answers a probe to a visitor's JID with the visitor's presence now: unavailable once it left (RFC 6121 section 4.3.2)", async () => {
    const v = await visitor();
    /** The presence from the visitor's JID that answers a probe alice sends now. */
    const probe = async () => {
      const seen = alice.stanzas.length;
      await alice.send(xml('presence', { type: 'probe', to: v.jid }));
      return alice.next((s) => alice.stanzas.indexOf(s) >= seen && s.is('presence') && bare(s.attrs.from) === v.jid);
    };
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'probed', text: 'still here' });
    await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === undefined);
    assert.equal((await probe()).attrs.type, undefined, 'online while its page is open');
    v.socket.disconnect();
    await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === 'unavailable');
    assert.equal((await probe()).attrs.type, 'unavailable', 'not shown online again once it left');
  });

  it("accepts a subscription to a visitor's JID and denies one to a JID of no one (RFC 6121 section 3.2.2)", async () => {
    const v = await visitor();
    // RFC 6121 section 2.1.6: a client that fetched its roster is sent subscription answers.
    await alice.xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const nobody = `someone@${prosody.componentDomain}`;
    const answer = async (jid: string) => {
      await alice.send(xml('presence', { type: 'subscribe', to: jid }));
      return alice.next((s) => s.is('presence') && bare(s.attrs.from) === jid && ['subscribed', 'unsubscribed'].includes(s.attrs.type ?? ''));
    };
    assert.equal((await answer(v.jid)).attrs.type, 'subscribed');
    assert.equal((await answer(nobody)).attrs.type, 'unsubscribed');
  });

  it("shows a visitor's presence at once to an agent who adds its JID, as clients that show only their roster's presence need (RFC 6121 section 3.1.5)", async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'roster', text: 'add me' });
    await alice.next((s) => s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === undefined);
    await alice.xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const seen = alice.stanzas.length;
    await alice.send(xml('presence', { type: 'subscribe', to: v.jid }));
    const approved = await alice.next(
      (s) => alice.stanzas.indexOf(s) >= seen && s.is('presence') && bare(s.attrs.from) === v.jid && s.attrs.type === 'subscribed',
    );
    const after = alice.stanzas.indexOf(approved);
    const shown = await alice.next((s) => alice.stanzas.indexOf(s) > after && s.is('presence') && bare(s.attrs.from) === v.jid);
    assert.equal(shown.attrs.type, undefined, 'online: its page is open');
    assert.equal(shown.attrs.from, `${v.jid}/switchboard`);
  });

  it("turns the agent's presence into team availability", async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    await call(socket, 'presence:subscribe', { team: 'support' });
    const away = next(socket, 'team:availability', (a) => !a.available);
    await alice.send(xml('presence', {}, xml('show', {}, 'away')));
    assert.deepEqual(await away, { team: 'support', available: false, online: 1 });
    const back = next(socket, 'team:availability', (a) => a.available);
    await alice.send(xml('presence'));
    assert.equal((await back).available, true);
  });

  it('maps chat states both ways (XEP-0085)', async () => {
    const v = await visitor();
    await call(v.socket, 'typing', { conversationId: v.conversationId, state: 'composing' });
    const composing = await alice.next((s) => bare(s.attrs.from) === v.jid && Boolean(s.getChild('composing', 'http://jabber.org/protocol/chatstates')));
    assert.equal(composing.getChildText('body'), null);
    const typing = next(v.socket, 'typing', (e) => e.from === 'xmpp:alice@localhost');
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.deepEqual(await typing, { conversationId: v.conversationId, from: 'xmpp:alice@localhost', state: 'composing' });
  });

  it('says a chat state once while it lasts, however often the web client repeats it (XEP-0085 section 5.2)', async () => {
    const v = await visitor();
    const typing = (state: 'composing' | 'paused') => call(v.socket, 'typing', { conversationId: v.conversationId, state });
    for (const state of ['composing', 'composing', 'composing', 'paused', 'paused', 'composing'] as const) await typing(state);
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'typed', text: 'after typing' });
    assert.ok(sent.ok, JSON.stringify(sent));
    await typing('composing');
    const said: string[] = [];
    await alice.next((s) => {
      if (bare(s.attrs.from) !== v.jid) return false;
      const body = s.getChildText('body');
      const state = ['composing', 'paused'].find((name) => s.getChild(name, 'http://jabber.org/protocol/chatstates'));
      if (body === 'after typing') said.push(body);
      else if (body === null && state) said.push(state);
      return said.length === 5;
    });
    // A message ends the composing before it: the next composing is said again.
    assert.deepEqual(said, ['composing', 'paused', 'composing', 'after typing', 'composing']);
  });

  it('maps receipts and displayed markers to delivered and read (XEP-0184, XEP-0333)', async () => {
    const v = await visitor();
    const statuses = collect(v.socket, 'message:status');
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'r', text: 'please confirm' });
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid && s.getChildText('body') === 'please confirm');
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'sent'), 5000, 'sent');
    await alice.send(xml('message', { to: v.jid }, xml('received', { xmlns: 'urn:xmpp:receipts', id: sent.message.id })));
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'delivered'), 5000, 'delivered');
    await alice.send(xml('message', { to: v.jid }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: sent.message.id })));
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'read'), 5000, 'read');

    // A client that marks instead of receipts: XEP-0333's received and acknowledged markers (section 3).
    const marked = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'm', text: 'mark this' });
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid && s.getChildText('body') === 'mark this');
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('received', { xmlns: 'urn:xmpp:chat-markers:0', id: marked.message.id })));
    await until(() => statuses.some((s) => s.id === marked.message.id && s.status === 'delivered'), 5000, 'delivered by marker');
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('acknowledged', { xmlns: 'urn:xmpp:chat-markers:0', id: marked.message.id })));
    await until(() => statuses.some((s) => s.id === marked.message.id && s.status === 'read'), 5000, 'read by acknowledged');
  });

  it('takes the receipt of a client that answers the full JID a message came from (Profanity 0.13), and replies to either JID', async () => {
    const v = await visitor();
    const statuses = collect(v.socket, 'message:status');
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'prof', text: 'are you there?' });
    const stanza = await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid && s.getChildText('body') === 'are you there?');
    // Profanity's receipt (src/xmpp/message.c, _message_send_receipt): to the sender's full JID, no
    // type; from a bare JID it has no full JID and sends the receipt with no `to`, to its own account.
    const from = stanza.attrs.from as string;
    await alice.send(
      xml('message', { ...(from.includes('/') ? { to: from } : {}), id: 'prof-r1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: sent.message.id })),
    );
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'delivered'), 5000, 'delivered');
    assert.equal(from, `${v.jid}/switchboard`);
    // The agent's client answers the full JID (typing, then the words) or the bare one: the same conversation.
    const typing = next(v.socket, 'typing', (e) => e.from === 'xmpp:alice@localhost' && e.state === 'composing');
    await alice.send(xml('message', { type: 'chat', to: from }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.equal((await typing).conversationId, v.conversationId);
    const replies = collect(v.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: from, id: 'prof-1' }, xml('body', {}, 'to the full JID')));
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'prof-2' }, xml('body', {}, 'to the bare JID')));
    await until(() => replies.filter((m) => m.conversationId === v.conversationId).length === 2, 5000, 'both replies');
    assert.deepEqual(
      replies.map((m) => m.text),
      ['to the full JID', 'to the bare JID'],
    );
  });

  it("tells a visitor's read to every device of the agent, the one that wrote the reply included (XEP-0280, XEP-0333)", async () => {
    // Two clients of one account, as Gajim on a desk and Conversations on a phone: the phone answers.
    const desktop = await connectAgent(prosody.c2sPort, 'alice', 'alicepw', { carbons: true, priority: 10 });
    const phone = await connectAgent(prosody.c2sPort, 'alice', 'alicepw', { carbons: true, priority: 0 });
    try {
      const v = await visitor();
      const reply = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost' && m.text === 'Answered from my phone');
      await phone.send(
        xml(
          'message',
          { type: 'chat', to: v.jid, id: 'phone-1' },
          xml('body', {}, 'Answered from my phone'),
          xml('request', { xmlns: 'urn:xmpp:receipts' }),
          xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
        ),
      );
      const answered = await reply;
      await call(v.socket, 'read', { conversationId: v.conversationId, seq: answered.seq });
      // Directly or as a carbon copy (<received xmlns='urn:xmpp:carbons:2'><forwarded><message/>).
      const displayedHere = (stanza: ReturnType<typeof xml>): boolean =>
        stanza.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === 'phone-1' ||
        stanza
          .getChild('received', 'urn:xmpp:carbons:2')
          ?.getChild('forwarded', 'urn:xmpp:forward:0')
          ?.getChild('message')
          ?.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === 'phone-1';
      await Promise.all([phone.next(displayedHere), desktop.next(displayedHere)]);
    } finally {
      await Promise.all([desktop.stop(), phone.stop()]);
    }
  });

  it("acknowledges a command to the bridge's domain with the receipt its sender asked for (XEP-0184), then answers", async () => {
    await alice.send(
      xml('message', { type: 'chat', to: prosody.componentDomain, id: 'cmd-1' }, xml('body', {}, '/help'), xml('request', { xmlns: 'urn:xmpp:receipts' })),
    );
    const receipt = await alice.next((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'cmd-1');
    assert.equal(bare(receipt.attrs.from), prosody.componentDomain);
    await alice.next((s) => bare(s.attrs.from) === prosody.componentDomain && (s.getChildText('body') ?? '').includes('/list'));
  });

  it('sends a displayed marker for an agent message its client made markable only (XEP-0333 section 4)', async () => {
    const v = await visitor();
    const answers = collect(v.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'plain-1' }, xml('body', {}, 'No markers for this one')));
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: v.jid, id: 'marked-1' },
        xml('body', {}, 'Markers for this one'),
        xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
      ),
    );
    await until(() => answers.length === 2, 5000, 'both answers');
    const seen = alice.stanzas.length;
    const marker = (s: ReturnType<typeof xml>) => alice.stanzas.indexOf(s) >= seen && s.getChild('displayed', 'urn:xmpp:chat-markers:0') !== undefined;
    for (const answer of answers) await call(v.socket, 'read', { conversationId: v.conversationId, seq: answer.seq });
    await alice.next(marker);
    // In order: one for the first would have come before.
    assert.deepEqual(
      alice.stanzas.filter(marker).map((s) => s.getChild('displayed', 'urn:xmpp:chat-markers:0')!.attrs.id),
      ['marked-1'],
    );
  });

  it('reads every message up to the one a displayed marker names (XEP-0333 section 6)', async () => {
    const v = await visitor();
    const statuses = collect(v.socket, 'message:status');
    const sent: Message[] = [];
    for (const text of ['first', 'second', 'third'])
      sent.push((await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: `m-${text}`, text })).message);
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid && s.getChildText('body') === 'third');
    await alice.send(xml('message', { to: v.jid }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: sent[2]!.id })));
    await until(() => sent.every((m) => statuses.some((s) => s.id === m.id && s.status === 'read')), 5000, 'all three read');
    const { messages } = await call(v.socket, 'history:get', { conversationId: v.conversationId });
    assert.deepEqual(
      messages.filter((m) => sent.some((s) => s.id === m.id)).map((m) => m.status),
      ['read', 'read', 'read'],
    );
  });

  it("stores an agent's messages sent back to back in the order sent, each once (the next taken before the last is committed)", async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    const texts = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`);
    await Promise.all(texts.map((text, i) => alice.send(xml('message', { type: 'chat', to: v.jid, id: `burst-${i}` }, xml('body', {}, text)))));
    await until(() => received.filter((m) => m.from === 'xmpp:alice@localhost').length >= texts.length, 10_000, 'every line');
    const fromAlice = received.filter((m) => m.from === 'xmpp:alice@localhost');
    assert.deepEqual(
      fromAlice.map((m) => m.text),
      texts,
    );
    assert.deepEqual(
      fromAlice.map((m) => m.seq),
      [...fromAlice.map((m) => m.seq)].sort((a, b) => a - b),
    );
  });

  it('keeps every character of long non-ASCII messages, whichever reads of the stream split them (RFC 6120 section 11.6)', async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    // Four bytes each: the stream's reads end inside a character three times in four.
    const texts = Array.from({ length: 10 }, (_, i) => `${i} ${'😀🎉中文'.repeat(2400)}`);
    await Promise.all(texts.map((text, i) => alice.send(xml('message', { type: 'chat', to: v.jid, id: `wide-${i}` }, xml('body', {}, text)))));
    await until(() => received.filter((m) => m.from === 'xmpp:alice@localhost').length >= texts.length, 10_000, 'every message');
    const fromAlice = received.filter((m) => m.from === 'xmpp:alice@localhost').map((m) => m.text);
    assert.equal(fromAlice.filter((text) => text.includes('\uFFFD')).length, 0, 'no replacement character');
    assert.deepEqual(fromAlice, texts);
  });

  it('drops a retransmission with the same origin-id (XEP-0359)', async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    const stanza = () =>
      xml('message', { type: 'chat', to: v.jid, id: 'dup-1' }, xml('body', {}, 'only once'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'origin-dup-1' }));
    await alice.send(stanza());
    await alice.send(stanza());
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('body', {}, 'after')));
    await until(() => received.some((m) => m.text === 'after'), 5000, 'the later message');
    assert.equal(received.filter((m) => m.text === 'only once').length, 1);
  });

  it('without an origin-id, drops a copy under the same stanza id but keeps other words under a reused one (XEP-0359 section 5)', async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    // A client that counts its ids from 1 at each start: `1` again, later, is another message.
    const chat = (text: string) => xml('message', { type: 'chat', to: v.jid, id: 'counted-1' }, xml('body', {}, text));
    await alice.send(chat('before a restart'));
    await alice.send(chat('before a restart'));
    await alice.send(chat('after a restart'));
    await until(() => received.some((m) => m.text === 'after a restart'), 5000, 'the message under a reused id');
    assert.deepEqual(
      received.filter((m) => m.from === 'xmpp:alice@localhost').map((m) => m.text),
      ['before a restart', 'after a restart'],
    );
  });

  it("stores an agent's corrections (XEP-0308) as messages that correct the original, sent right after it or later", async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    const correcting = (id: string, text: string, replaces: string) => correction(v.jid, text, id, replaces);
    // The correction sent at once, before the original is committed.
    await Promise.all([
      alice.send(xml('message', { type: 'chat', to: v.jid, id: 'lmc-1' }, xml('body', {}, 'Helo, how can I hlep?'))),
      alice.send(correcting('lmc-2', 'Hello, how can I hlep?', 'lmc-1')),
    ]);
    await until(() => received.length >= 2, 5000, 'the message and its correction');
    // A client naming the last correction rather than the original: it still corrects the original.
    await alice.send(correcting('lmc-3', 'Hello, how can I help?', 'lmc-2'));
    // A correction of a message the bridge never had is an ordinary message.
    await alice.send(correcting('lmc-4', 'Anything else?', 'never-sent'));
    await until(() => received.some((m) => m.text === 'Anything else?'), 5000, 'the last message');
    const [original, first, second, unknown] = received;
    assert.deepEqual(
      received.map((m) => [m.text, m.corrects]),
      [
        ['Helo, how can I hlep?', undefined],
        ['Hello, how can I hlep?', original!.id],
        ['Hello, how can I help?', original!.id],
        ['Anything else?', undefined],
      ],
    );
    assert.ok(first!.seq > original!.seq && second!.seq > first!.seq && unknown!.seq > second!.seq);
    // History says the same.
    const { messages } = await call(v.socket, 'history:get', { conversationId: v.conversationId });
    assert.deepEqual(
      messages.filter((m) => m.from === 'xmpp:alice@localhost').map((m) => m.corrects),
      [undefined, original!.id, original!.id, undefined],
    );
  });

  it("stores an agent's retraction (XEP-0424) as taking the message back, and relays no fallback text", async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'ret-1' }, xml('body', {}, 'Your code is 4417')));
    await until(() => received.length === 1, 5000, 'the message');
    await alice.send(retraction(v.jid, 'ret-2', 'ret-1'));
    // A retraction of a message the bridge never had: nothing at all.
    await alice.send(retraction(v.jid, 'ret-3', 'never-sent'));
    // The form before XEP-0424 0.4: an apply-to (XEP-0422) holding the retraction.
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'ret-4' }, xml('body', {}, 'And 9000')));
    await until(() => received.length === 3, 5000, 'the retraction and the next message');
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: v.jid, id: 'ret-5' },
        xml('apply-to', { xmlns: 'urn:xmpp:fasten:0', id: 'ret-4' }, xml('retract', { xmlns: 'urn:xmpp:message-retract:0' })),
        xml('body', {}, 'This person attempted to retract a previous message, but it is unsupported by your client.'),
      ),
    );
    // A correction after the retraction does not put text back in the deleted message's place: it is
    // a message of its own.
    await alice.send(correction(v.jid, 'Your code is 4418', 'ret-7', 'ret-1'));
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'ret-6' }, xml('body', {}, 'Done')));
    await until(() => received.some((m) => m.text === 'Done'), 5000, 'the last message');
    const [first, taken, second, takenToo] = received;
    assert.deepEqual(
      received.map((m) => [m.text, m.corrects]),
      [
        ['Your code is 4417', undefined],
        ['', first!.id],
        ['And 9000', undefined],
        ['', second!.id],
        ['Your code is 4418', undefined],
        ['Done', undefined],
      ],
    );
    assert.equal(taken!.attachments, undefined);
    assert.equal(takenToo!.attachments, undefined);
    // What was taken back is gone from the store too: its place in the history is empty.
    const { messages } = await call(v.socket, 'history:get', { conversationId: v.conversationId });
    assert.deepEqual(
      messages.map((m) => m.text),
      ['', '', '', '', 'Your code is 4418', 'Done'],
    );
  });

  it('takes a message back by a retraction without a fallback body, as Dino sends it', async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: v.jid, id: 'dino-1' },
        xml('body', {}, 'Card 4417 on file'),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'dino-1' }),
      ),
    );
    await until(() => received.length === 1, 5000, 'the message');
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('retract', { xmlns: 'urn:xmpp:message-retract:1', id: 'dino-1' })));
    await until(() => received.length === 2, 5000, 'the retraction');
    assert.deepEqual([received[1]!.text, received[1]!.corrects], ['', received[0]!.id]);
    const { messages } = await call(v.socket, 'history:get', { conversationId: v.conversationId });
    assert.deepEqual(
      messages.map((m) => m.text),
      ['', ''],
    );
  });

  it('takes back the message a retraction names in its own conversation, whichever visitor the retraction was addressed to', async () => {
    const first = await visitor();
    const second = await visitor();
    const atFirst = collect(first.socket, 'message');
    const atSecond = collect(second.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: first.jid, id: 'away-1' }, xml('body', {}, 'The door code is 7731')));
    await until(() => atFirst.length === 1, 5000, 'the message');
    await alice.send(retraction(second.jid, 'away-2', 'away-1'));
    await until(() => atFirst.length === 2, 5000, 'the retraction');
    assert.deepEqual([atFirst[1]!.text, atFirst[1]!.corrects], ['', atFirst[0]!.id]);
    // Once is enough: the same retraction again stores nothing, and draws no error.
    await alice.send(retraction(first.jid, 'away-2b', 'away-1'));
    await alice.send(askingReceipt(first.jid, 'Bye', 'away-2c'));
    await until(() => atFirst.some((m) => m.text === 'Bye'), 5000, 'the next message');
    assert.deepEqual(
      atFirst.map((m) => m.text),
      ['The door code is 7731', '', 'Bye'],
    );
    // The receipt comes after any answer to the retraction before it.
    await alice.next((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'away-2c');
    assert.equal(
      alice.stanzas.some((s) => s.attrs.type === 'error' && s.attrs.id === 'away-2b'),
      false,
    );
    await alice.send(xml('message', { type: 'chat', to: second.jid, id: 'away-3' }, xml('body', {}, 'Hello')));
    await until(() => atSecond.length === 1, 5000, "the second visitor's message");
    assert.deepEqual(
      atSecond.map((m) => m.text),
      ['Hello'],
      'no empty message in the other conversation',
    );
  });

  it("takes receipts, markers and bounces of a visitor's message only from its recipients, not from a JID that knows its id", async () => {
    const v = await visitor();
    const statuses = collect(v.socket, 'message:status');
    const [spoofed, bounced] = [
      (await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'sp-1', text: 'for alice only' })).message,
      (await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'sp-2', text: 'for alice too' })).message,
    ];
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid && s.getChildText('body') === 'for alice too');
    const mallory = await connectAgent(prosody.c2sPort, 'mallory', 'mallorypw');
    try {
      await mallory.send(xml('message', { to: v.jid }, xml('received', { xmlns: 'urn:xmpp:receipts', id: spoofed.id })));
      await mallory.send(xml('message', { to: v.jid }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: spoofed.id })));
      await mallory.send(
        xml(
          'message',
          { type: 'error', to: v.jid, id: bounced.id },
          xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
        ),
      );
      // Alice's own receipt after them: once it shows, theirs were handled before it (one stream, in order).
      await alice.send(xml('message', { to: v.jid }, xml('received', { xmlns: 'urn:xmpp:receipts', id: bounced.id })));
      await until(() => statuses.some((s) => s.id === bounced.id && s.status === 'delivered'), 5000, "alice's receipt");
      assert.deepEqual(
        statuses.filter((s) => s.id === spoofed.id && s.status !== 'sent'),
        [],
      );
      assert.equal(
        statuses.some((s) => s.id === bounced.id && s.status === 'failed'),
        false,
      );
    } finally {
      await mallory.stop();
    }
  });

  it("refuses a JID that is not in the visitor's conversation, with an XMPP error", async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    const mallory = await connectAgent(prosody.c2sPort, 'mallory', 'mallorypw');
    try {
      await mallory.send(xml('message', { type: 'chat', to: v.jid, id: 'spam-1' }, xml('body', {}, 'buy now')));
      const error = await mallory.next((s) => s.attrs.type === 'error' && s.attrs.id === 'spam-1');
      assert.ok(error.getChild('error')?.getChild('not-allowed', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      assert.match(error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /not in a conversation with you/);
      assert.equal(received.length, 0);
      // A JID under the component that stands for nobody is told so, not that it is someone else's visitor.
      await mallory.send(xml('message', { type: 'chat', to: `someone@${v.jid.split('@')[1]}`, id: 'nobody-1' }, xml('body', {}, 'hello?')));
      const nobody = await mallory.next((s) => s.attrs.type === 'error' && s.attrs.id === 'nobody-1');
      assert.ok(nobody.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      assert.equal(
        nobody.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
        'No one has this address; your message was not delivered.',
      );
    } finally {
      await mallory.stop();
    }
  });

  it('refuses an OMEMO message with not-acceptable, saying to send it unencrypted, and relays none of its fallback (XEP-0384, XEP-0380)', async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: v.jid, id: 'omemo-1' },
        xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('header', { sid: '1' }), xml('payload', {}, 'c2VjcmV0')),
        xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: 'eu.siacs.conversations.axolotl' }),
        xml('body', {}, "I sent you an OMEMO encrypted message but your client doesn't seem to support that."),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    );
    const error = await alice.next((s) => s.attrs.type === 'error' && s.attrs.id === 'omemo-1');
    assert.equal(bare(error.attrs.from), v.jid);
    assert.equal(error.getChild('error')?.attrs.type, 'modify');
    assert.ok(error.getChild('error')?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.match(
      error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '',
      /cannot read OMEMO encrypted messages: turn OMEMO off/,
    );
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('body', {}, 'sent again without OMEMO')));
    await until(() => received.some((m) => m.text === 'sent again without OMEMO'), 5000, 'the unencrypted message');
    assert.deepEqual(
      received.map((m) => m.text),
      ['sent again without OMEMO'],
    );
  });

  it("takes the message's own body as its text, never an extension's element named body in another namespace (RFC 6121 section 5.2.3)", async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    const foreign = (text: string) => xml('x:body', { 'xmlns:x': 'urn:example:not-a-body' }, text);
    await alice.send(xml('message', { type: 'chat', to: v.jid }, foreign('HIDDEN'), xml('body', {}, 'visible words')));
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('body', { xmlns: 'urn:example:not-a-body' }, 'HIDDEN too')));
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('body', {}, 'and the last')));
    await until(() => received.some((m) => m.text === 'and the last'), 5000, 'the last message');
    assert.deepEqual(
      received.map((m) => m.text),
      ['visible words', 'and the last'],
    );
  });

  it('refuses a body of blanks and line breaks with bad-request, relaying nothing (a message says something, as in the widget)', async () => {
    const v = await visitor();
    const received = collect(v.socket, 'message');
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'blank-1' }, xml('body', {}, ' \n\n \n'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    const error = await alice.next((s) => s.attrs.type === 'error' && s.attrs.id === 'blank-1');
    assert.equal(bare(error.attrs.from), v.jid);
    assert.ok(error.getChild('error')?.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'), error.toString());
    assert.equal(error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'), 'text: must not be empty or blank');
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('body', {}, 'and now with words')));
    await until(() => received.some((m) => m.text === 'and now with words'), 5000, 'the message with words');
    assert.deepEqual(
      received.map((m) => m.text),
      ['and now with words'],
      'nothing of the blank one',
    );
  });

  it('carries any text intact through XML (property test: markup, ]]>, quotes, controls, emoji)', async () => {
    const v = await visitor();
    const alphabet = fc.constantFrom(
      '<',
      '>',
      '&',
      ']]>',
      '"',
      "'",
      '\u0000',
      '\u0001',
      '\u001f',
      '\t',
      '\n',
      '\r',
      '\u007f',
      'a',
      ' ',
      '\u{1F600}',
      'é',
      '\u202E',
      '</body>',
      '<![CDATA[',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(alphabet, { minLength: 1, maxLength: 40 }).map((parts) => `x${parts.join('')}`),
        async (text) => {
          const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: `p-${Math.random()}`, text });
          assert.equal(sent.ok, true);
          const stanza = await alice.next((s) => isChat(s) && s.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id === sent.message.id);
          // XML 1.0 cannot carry C0 controls: they arrive as U+FFFD; everything else arrives as sent.
          const expected = xmlSafe(text).replace(/\r\n?/g, '\n');
          assert.equal(stanza.getChildText('body'), expected);
        },
      ),
      { numRuns: 40 },
    );
    assert.equal(t.bridge.registry.get('xmpp')?.status().state, 'online');
  });

  it('turns a server error into a failed status with the reason (service-unavailable)', async () => {
    const { socket } = await connect(t, agentAuth('carol'));
    const conversationId = (await call(socket, 'conversation:open', { to: 'xmpp:nobody@localhost' })).conversation.id;
    const statuses = collect(socket, 'message:status');
    const sent = await call(socket, 'message:send', { conversationId, clientId: 'lost', text: 'anyone?' });
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'failed'), 8000, 'the failed status');
    const failed = statuses.find((s) => s.id === sent.message.id && s.status === 'failed')!;
    assert.match(failed.error!.message, /service-unavailable/);
  });

  it('carries the hostile corpus as exactly one stanza each, the body round-tripping, nothing injected', async (context) => {
    const v = await visitor();
    const sent: Message[] = [];
    for (const [i, text] of HOSTILE_TEXTS.entries())
      sent.push((await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: `hostile-${i}`, text })).message);
    await alice.next((s) => isChat(s) && s.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id === sent.at(-1)!.id, 15_000);
    const all = alice.stanzas.filter((s) => s.is('message') && bare(s.attrs.from) === v.jid && s.getChildText('body') !== null);
    // Beside the relayed messages, only the desk's one introduction of the visitor (a notice, which carries no origin-id).
    const fromVisitor = all.filter((s) => s.getChild('origin-id', 'urn:xmpp:sid:0'));
    assert.ok(all.length - fromVisitor.length <= 1);
    for (const [i, message] of sent.entries()) {
      const stanzas = fromVisitor.filter((s) => s.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id === message.id);
      assert.equal(stanzas.length, 1, `one stanza for text #${i}`);
      assert.equal(stanzas[0]!.getChildText('body'), xmlSafe(HOSTILE_TEXTS[i]!).replace(/\r\n?/g, '\n'), `body #${i}`);
      assert.equal(stanzas[0]!.getChildren('body').length, 1);
    }
    assert.equal(fromVisitor.length, sent.length, 'no stanza beyond one per message');
    assert.equal(
      alice.stanzas.some((s) => s.getChildText('body') === 'injected'),
      false,
    );
    context.diagnostic(`xmpp hostile corpus: sent ${sent.length}, stanzas ${fromVisitor.length}`);
  });

  it('keeps messages while Prosody is down and delivers them after, in order, once', async () => {
    const v = await visitor();
    const statuses = collect(v.socket, 'message:status');
    await prosody.stop();
    await until(() => t.bridge.registry.get('xmpp')?.status().state !== 'online', 10_000, 'the bridge to notice');
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.notEqual((await bodyOf<Readiness>(ready)).networks.xmpp!.state, 'online');
    const sent: Message[] = [];
    for (const text of ['one', 'two', 'three'])
      sent.push((await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: `outage-${text}`, text })).message);
    await until(() => sent.every((m) => statuses.some((s) => s.id === m.id && s.error?.code === 'unavailable')), 5000, 'the waiting notices');

    await prosody.start();
    await alice.stop();
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 30_000, 'the component to reconnect');
    for (const m of sent) await alice.next((s) => isChat(s) && s.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id === m.id, 15_000);
    const arrived = alice.stanzas.filter((s) => isChat(s) && bare(s.attrs.from) === v.jid).map((s) => s.getChildText('body'));
    assert.deepEqual(arrived, ['one', 'two', 'three']);
    await until(() => sent.every((m) => statuses.some((s) => s.id === m.id && s.status === 'sent')), 5000, 'sent statuses');
  });

  it('delivers a stream cut in its middle by a Prosody restart: every message once, in order', async (context) => {
    const v = await visitor();
    const COUNT = 40;
    const sent: Message[] = [];
    let stopping: Promise<void> | undefined;
    for (let i = 0; i < COUNT; i++) {
      sent.push((await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: `stream-${i}`, text: `stream ${i}` })).message);
      if (i === 14) {
        // The server goes down between two messages, and the stream goes on while it is down. (A
        // stanza written in the very instant the server shuts down can be lost: a component stream
        // has no acknowledgements; docs/networks/xmpp.md, "sent means the stanza was written".)
        await alice.next((s) => isChat(s) && s.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id === sent[14]!.id);
        stopping = prosody.stop();
        await until(() => t.bridge.registry.get('xmpp')?.status().state !== 'online', 10_000, 'the component to see the server go');
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await stopping;
    await prosody.start();
    const before = alice.stanzas; // what the agent's first session received before the server went down
    await alice.stop();
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 30_000, 'the component to reconnect');
    const arrived = () =>
      [...before, ...alice.stanzas]
        .filter((s) => isChat(s) && bare(s.attrs.from) === v.jid)
        .map((s) => s.getChild('origin-id', 'urn:xmpp:sid:0')!.attrs.id as string);
    await until(() => sent.every((m) => arrived().includes(m.id)), 15_000, 'every message of the stream').catch(() => undefined);
    const {
      arrived: distinct,
      lost,
      doubled,
    } = streamFigures(
      sent.map((m) => m.id),
      arrived(),
    );
    context.diagnostic(`xmpp stream through a Prosody restart: sent ${COUNT}, arrived ${distinct}, lost ${lost}, doubled ${doubled}`);
    assert.equal(lost, 0);
    assert.equal(doubled, 0);
  });

  it('answers an over-long message with policy-violation and keeps running', async () => {
    const v = await visitor();
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'long', text: 'hi' });
    await alice.next((s) => isChat(s) && bare(s.attrs.from) === v.jid && s.getChildText('body') === 'hi');
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'too-long' }, xml('body', {}, 'x'.repeat(10_001))));
    const error = await alice.next((s) => s.attrs.type === 'error' && s.attrs.id === 'too-long');
    assert.ok(error.getChild('error')?.getChild('policy-violation', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.match(error.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')!, /longer than/);
    const after = next(v.socket, 'message', (m) => m.text === 'still here');
    await alice.send(xml('message', { type: 'chat', to: v.jid }, xml('body', {}, 'still here')));
    await after;
  });
});

describe('XMPP component with a wrong secret', () => {
  it('keeps the bridge up, reports why in /readyz, and keeps the web working', async () => {
    const prosody = await startProsody();
    const t = await startBridge({
      networks: [{ type: 'web' }, prosodyNetwork(prosody, { password: 'wrong-secret' })],
    });
    try {
      await until(
        async () => {
          const body = await bodyOf<Readiness>(await fetch(`${t.url}/readyz`));
          return body.networks.xmpp!.state === 'offline' && /not-authorized|authoriz/i.test(body.networks.xmpp!.reason ?? '');
        },
        10_000,
        'the refusal in /readyz',
      );
      const { socket } = await connect(t, { siteKey: SITE });
      assert.equal((await call(socket, 'conversation:list', {})).ok, true);
    } finally {
      await t.stop();
      await prosody.destroy();
    }
  });
});

describe('XMPP agent who comes online after the visitor wrote', () => {
  it('receives what was written while the conversation waited, in order', async () => {
    const prosody = await startProsody({ users: [['bob', 'bobpw']], offline: true });
    const t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:Bob@LOCALHOST'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    let bob: Agent | undefined;
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      const { socket, session } = await connect(t, { siteKey: SITE });
      const opened = await call(socket, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, undefined);
      for (const text of ['first', 'second']) await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: text, text });
      const assigned = next(socket, 'conversation', (c) => c.assignee === 'xmpp:bob@localhost', 10_000);
      bob = await connectAgent(prosody.c2sPort, 'bob', 'bobpw');
      await assigned;
      const jid = `${session.self.slice(4)}@${prosody.componentDomain}`;
      await bob.next((s) => isChat(s) && bare(s.attrs.from) === jid && s.getChildText('body') === 'second');
      assert.deepEqual(
        bob.stanzas.filter((s) => isChat(s) && bare(s.attrs.from) === jid).map((s) => s.getChildText('body')),
        ['first', 'second'],
      );
    } finally {
      await bob?.stop();
      await t.stop();
      await prosody.destroy();
    }
  });
});

describe("XMPP agent who denied the bridge's subscription, then allowed it", () => {
  it('is seen available once they allow it, without a reconnection of the bridge (RFC 6121 sections 3.1, 3.4)', async () => {
    const prosody = await startProsody({ users: [['nora', 'norapw']] });
    const t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:nora@localhost'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    const nora = await connectAgent(prosody.c2sPort, 'nora', 'norapw', { subscriptions: 'deny' });
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      const domain = prosody.componentDomain;
      // Her client denies the bridge's request: her presence is not the bridge's to see.
      await nora.next((s) => s.is('presence') && bare(s.attrs.from) === domain && s.attrs.type === 'subscribe', 10_000);
      assert.equal(t.bridge.core.presence.get('xmpp:nora@localhost').status, 'offline');
      // She changes her mind: her client approves (a pre-approval now, RFC 6121 section 3.4) and adds the bridge back.
      await nora.send(xml('presence', { type: 'subscribed', to: domain }));
      await nora.send(xml('presence', { type: 'subscribe', to: domain }));
      await until(() => t.bridge.core.presence.get('xmpp:nora@localhost').status === 'available', 10_000, "nora's presence seen");
    } finally {
      await nora.stop();
      await t.stop();
      await prosody.destroy();
    }
  });
});

describe('XMPP agent configured with a JID the server prepares differently', () => {
  it('is the same agent as the server sees it (nodeprep: Straße is strasse)', async () => {
    const prosody = await startProsody({ users: [['strasse', 'strassepw']], offline: true });
    const t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:Straße@localhost'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    const agent = await connectAgent(prosody.c2sPort, 'strasse', 'strassepw');
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      const { socket } = await connect(t, { siteKey: SITE });
      const available = next(socket, 'team:availability', (a) => a.available, 10_000);
      const now = await call(socket, 'presence:subscribe', { team: 'support' });
      if (now.available) available.catch(() => undefined);
      else await available;
      const opened = await call(socket, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, 'xmpp:strasse@localhost');
    } finally {
      await agent.stop();
      await t.stop();
      await prosody.destroy();
    }
  });
});

describe('XMPP corrections across a restart of the bridge', () => {
  it('finds the original a correction names in the store, by the origin-id it came with (XEP-0308, XEP-0359)', async () => {
    const prosody = await startProsody({ users: [['alice', 'alicepw']], offline: true });
    const config = {
      teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    };
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-it-'));
    let t = await startBridge(config, { dir });
    const alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
      const jid = `${v.self.slice(4)}@${prosody.componentDomain}`;
      await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'rs-q', text: 'When do you open?' });
      await alice.next((s) => isChat(s) && bare(s.attrs.from) === jid && s.getChildText('body') === 'When do you open?');
      const answered = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
      await alice.send(chatWithOriginId(jid, 'We open at 8.', 'rs-1'));
      const original = await answered;

      await t.stop();
      t = await startBridge(config, { dir });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect again');
      await alice.send(correction(jid, 'We open at 9.', 'rs-2', 'rs-1'));
      const stored = async () => (await t.bridge.store.history(v.conversationId, { limit: 10 })).messages;
      await until(async () => (await stored()).length === 3, 5000, 'the correction stored');
      assert.deepEqual(
        (await stored()).slice(1).map((m) => [m.text, m.corrects]),
        [
          ['We open at 8.', undefined],
          ['We open at 9.', original.id],
        ],
      );
    } finally {
      await alice.stop();
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
      await prosody.destroy();
    }
  });
});

describe('XMPP agent who takes over a conversation later', () => {
  it('gets what was said before with the time it was said (XEP-0203), and what is said now without', async () => {
    const prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['bob', 'bobpw'],
      ],
      offline: true,
    });
    // The bridge's clock, moved on to make the history old when bob joins.
    const clock = new ManualClock(new Date());
    const t = await startBridge(
      {
        teams: [
          { id: 'support', members: ['xmpp:alice@localhost', 'xmpp:bob@localhost'], sites: [SITE], routing: 'first-available', offerTimeoutSeconds: 86_400 },
        ],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      },
      { clock },
    );
    const agents: Agent[] = [];
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      const [alice, bob] = [await connectAgent(prosody.c2sPort, 'alice', 'alicepw'), await connectAgent(prosody.c2sPort, 'bob', 'bobpw')];
      agents.push(alice, bob);
      const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
      const jid = `${v.self.slice(4)}@${prosody.componentDomain}`;
      const said = await sendText(v, 'Is the tent waterproof?');
      const live = await alice.next((s) => isChat(s) && bare(s.attrs.from) === jid && s.getChildText('body') === said.text);
      assert.equal(live.getChild('delay', 'urn:xmpp:delay'), undefined);

      // The visitor steps away: alice sees it.
      await call(v.socket, 'presence:set', { status: 'away', text: 'making tea' });
      await alice.next((s) => s.is('presence') && bare(s.attrs.from) === jid && s.getChildText('show') === 'away');

      clock.set(new Date(clock.now().getTime() + 10 * 60_000));
      const ref = v.conversationId.slice(-5);
      await alice.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, `/transfer ${ref} bob`)));
      const history = await bob.next((s) => isChat(s) && bare(s.attrs.from) === jid && s.getChildText('body') === said.text);
      const delay = history.getChild('delay', 'urn:xmpp:delay');
      assert.equal(delay?.attrs.stamp, said.sentAt);
      assert.equal(delay?.attrs.from, prosody.componentDomain);
      // Bob, given the conversation, sees the visitor as they are (away, with their words), not available.
      const away = await bob.next((s) => s.is('presence') && bare(s.attrs.from) === jid && s.getChildText('show') === 'away');
      assert.equal(away.getChildText('status'), 'making tea');
      const shown = bob.stanzas.filter((s) => s.is('presence') && bare(s.attrs.from) === jid);
      assert.equal(
        shown.at(-1)?.getChildText('show'),
        'away',
        `bob: ${bob.stanzas
          .filter((s) => bare(s.attrs.from ?? '') === jid)
          .map((s) => s.toString().slice(0, 160))
          .join('\n')}`,
      );
    } finally {
      for (const agent of agents) await agent.stop();
      await t.stop();
      await prosody.destroy();
    }
  });
});

describe('XMPP agent who gets a conversation another agent answered', () => {
  it("reads the other agent's answers in the visitor's chat, named, where a reply reaches the visitor", async () => {
    const prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['bob', 'bobpw'],
      ],
      offline: true,
    });
    const t = await startBridge({
      teams: [
        {
          id: 'support',
          members: [
            { id: 'alice', name: 'Alice', addresses: ['xmpp:alice@localhost'] },
            { id: 'bob', name: 'Bob', addresses: ['xmpp:bob@localhost'] },
          ],
          sites: [SITE],
          routing: 'first-available',
        },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    const agents: Agent[] = [];
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      const [alice, bob] = [await connectAgent(prosody.c2sPort, 'alice', 'alicepw'), await connectAgent(prosody.c2sPort, 'bob', 'bobpw')];
      agents.push(alice, bob);
      const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
      const jid = `${v.self.slice(4)}@${prosody.componentDomain}`;
      await sendText(v, 'Is the tent waterproof?');
      await alice.next((s) => isChat(s) && bare(s.attrs.from) === jid);
      for (const text of ['Yes, 3000 mm.', '/me checks the stock']) {
        const stored = next(v.socket, 'message', (m) => m.text === text);
        await alice.send(xml('message', { type: 'chat', to: jid }, xml('body', {}, text)));
        await stored;
      }
      const ref = v.conversationId.slice(-5);
      await alice.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, `/transfer ${ref} bob`)));
      await bob.next((s) => isChat(s) && bare(s.attrs.from) === jid && s.getChildText('body') === '* Alice checks the stock');
      const fromVisitorsJid = bob.stanzas.filter((s) => isChat(s) && bare(s.attrs.from) === jid).map((s) => s.getChildText('body'));
      assert.deepEqual(fromVisitorsJid.slice(-3), ['Is the tent waterproof?', '[Alice] Yes, 3000 mm.', '* Alice checks the stock']);
      assert.equal(bob.stanzas.filter((s) => isChat(s) && bare(s.attrs.from) !== jid && bare(s.attrs.from) !== prosody.componentDomain).length, 0);
      const answer = next(v.socket, 'message', (m) => m.from === 'xmpp:bob@localhost');
      await bob.send(xml('message', { type: 'chat', to: jid }, xml('body', {}, 'A 3-person one is in stock.')));
      assert.equal((await answer).text, 'A 3-person one is in stock.');
    } finally {
      for (const agent of agents) await agent.stop();
      await t.stop();
      await prosody.destroy();
    }
  });
});
