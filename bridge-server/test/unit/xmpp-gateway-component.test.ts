// Component mode with gateway domains, on stand-in component connections: which connection each
// stanza leaves from, one status for all of them, presence subscriptions and probes through the
// gateway, presence shown again after a reconnection, and the hop marker both ways. Also the
// main domain's own JIDs: probes to visitors' JIDs, and group chat and headlines sent to them.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import { type Component, type Element, type IqHandler, xml } from '@xmpp/component';
import pino from 'pino';
import type { FollowOutcome, InboundFollow, InboundMessage, InboundSink, Network, NetworkStatus } from '../../src/networks/network.js';
import { RefBook } from '../../src/networks/refs.js';
import { createComponentNetwork } from '../../src/networks/xmpp/component-mode.js';
import { bare } from '../xmpp-agent.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { type XmppComponentConfig, xmppComponentConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';

const MAIN = 'web.example.org';
const SIP_GW = 'sip.gw.example';
const IRC_GW = 'irc.gw.example';
const BOB = 'sip:bob@example.com' as Address;
const BOB_JID = `bob\\40example.com@${SIP_GW}`;
const CARL = 'xmpp:carl@example.org' as Address;

/** A component connection that comes online at once (or is refused), recording what is sent. */
class FakeEntity extends EventEmitter {
  status = 'offline';
  readonly sent: Element[] = [];
  readonly reconnect = { stop: () => undefined };
  readonly handlers = new Map<string, IqHandler>();
  readonly iqCallee = {
    get: (ns: string, _name: string, handler: IqHandler) => this.handlers.set(`get ${ns}`, handler),
    set: (ns: string, _name: string, handler: IqHandler) => this.handlers.set(`set ${ns}`, handler),
  };
  refuse: string | null = null;

  constructor(readonly domain: string) {
    super();
  }

  async connect(): Promise<void> {
    if (this.refuse) throw new Error(this.refuse);
  }

  async open(): Promise<void> {
    setImmediate(() => {
      this.status = 'online';
      this.emit('online');
    });
  }

  async stop(): Promise<void> {
    this.status = 'offline';
  }

  async send(element: Element): Promise<void> {
    this.sent.push(element);
    this.emit('sent', element);
  }

  /** The server sends a stanza to the component. */
  receive(stanza: Element): void {
    this.emit('stanza', stanza);
  }

  /** The connection drops. */
  drop(): void {
    this.status = 'offline';
    this.emit('disconnect');
  }

  /** Resolves with the next stanza sent (or one already sent) that matches. */
  next(predicate: (stanza: Element) => boolean, timeoutMs = 5000): Promise<Element> {
    const seen = this.sent.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('sent', listener);
        reject(new Error(`nothing matching sent from ${this.domain}`));
      }, timeoutMs);
      const listener = (stanza: Element) => {
        if (!predicate(stanza)) return;
        clearTimeout(timer);
        this.off('sent', listener);
        resolve(stanza);
      };
      this.on('sent', listener);
    });
  }
}

class FakeSink implements InboundSink {
  readonly messages: InboundMessage[] = [];
  readonly follows: InboundFollow[] = [];
  readonly statuses: NetworkStatus[] = [];
  followWith: (input: InboundFollow) => Promise<FollowOutcome> = async () => ({ ok: true });
  private seq = 0;

  // What the network says of the message (its place-taken callback aside).
  async message({ onQueued: _queued, ...input }: InboundMessage): Promise<Message | null> {
    this.messages.push(input);
    this.seq += 1;
    return {
      id: `m${this.seq}`,
      conversationId: 'c1',
      seq: this.seq,
      from: input.from,
      text: input.text,
      sentAt: new Date(0).toISOString(),
      status: 'accepted',
    } as unknown as Message;
  }
  presence(): void {}
  typing(): void {}
  receipt(): void {}
  status(_network: string, status: NetworkStatus): void {
    this.statuses.push(status);
  }
  isAgent(): boolean {
    return false;
  }
  async claim(): Promise<never> {
    throw new Error('not used');
  }
  async command(): Promise<string> {
    return 'help';
  }
  follow(input: InboundFollow): Promise<FollowOutcome> {
    this.follows.push(input);
    return this.followWith(input);
  }
}

function setUp(
  gateways: XmppComponentConfig['gateways'] = [
    { domain: SIP_GW, network: 'sip' },
    { domain: IRC_GW, network: 'irc' },
  ],
) {
  const entities = new Map<string, FakeEntity>();
  const sink = new FakeSink();
  const config = xmppComponentConfigSchema.parse({ type: 'xmpp', service: 'xmpp://127.0.0.1:5347', domain: MAIN, password: 's', gateways });
  const capabilitiesOf = (scheme: string) => (scheme === 'irc' ? { typing: false, presence: true, receipts: false, retractions: false } : undefined);
  const network = createComponentNetwork({ config, sink, logger: pino({ level: 'silent' }), capabilitiesOf, refs: new RefBook(), hosted }, ({ domain }) => {
    const entity = new FakeEntity(domain);
    entities.set(domain, entity);
    return entity as unknown as Component;
  });
  return { network, sink, entity: (domain: string) => entities.get(domain)! };
}

const message = (from: Address, text = 'hi', id = 'msg-1') =>
  ({ id, conversationId: 'c1', seq: 1, from, text, sentAt: new Date(0).toISOString(), status: 'accepted' }) as unknown as Message;
const conversation = { id: 'c1' } as never;
const presence = (type: string, to: string, from = 'carl@example.org/phone') => xml('presence', { type, to, from });

let running: Network | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function started(gateways?: XmppComponentConfig['gateways']) {
  const setup = setUp(gateways);
  running = setup.network;
  await setup.network.start();
  // The session takes a drop for a failed attempt until the tick after it came online.
  await new Promise((resolve) => setImmediate(resolve));
  return setup;
}

describe('XMPP component with gateway domains', () => {
  it('connects once per domain and is online only when all are', async () => {
    const { network, sink, entity } = await started();
    assert.deepEqual(network.status(), { state: 'online' });
    assert.deepEqual(sink.statuses.at(-1), { state: 'online' });
    for (const domain of [MAIN, SIP_GW, IRC_GW]) assert.equal(entity(domain).status, 'online');
    entity(IRC_GW).refuse = 'host-unknown';
    entity(IRC_GW).drop();
    assert.deepEqual(network.status(), { state: 'offline', reason: `${IRC_GW}: connection to the XMPP server lost` });
    assert.deepEqual(sink.statuses.at(-1), network.status());
    await network.stop();
    for (const domain of [MAIN, SIP_GW, IRC_GW]) assert.equal(entity(domain).status, 'offline');
  });

  it('names the domain whose connection is refused', async () => {
    const setup = setUp();
    running = setup.network;
    // The factory runs at creation: refuse the IRC domain before starting.
    setup.entity(IRC_GW).refuse = 'host-unknown';
    await setup.network.start();
    assert.deepEqual(setup.network.status(), { state: 'offline', reason: `${IRC_GW}: host-unknown` });
  });

  it('keeps the one-connection status as it was without gateway domains', async () => {
    const { network, entity } = await started([]);
    entity(MAIN).drop();
    assert.deepEqual(network.status(), { state: 'offline', reason: 'connection to the XMPP server lost' });
  });

  it("sends the team's greeting to an agent in the conversation's own chat, named, not from a JID of its own", async () => {
    const { network, entity } = await started([]);
    const desk = { id: 'c1', team: 'support', openedBy: 'web:v_1' } as never;
    await network.send({
      message: message('team:support', 'Hello! An agent will be with you in a moment.'),
      to: CARL,
      conversation: desk,
      fromName: 'Support',
    });
    const sent = entity(MAIN).sent.find((s) => s.is('message'))!;
    assert.equal(bare(sent.attrs.from), `v_1@${MAIN}`);
    assert.equal(sent.getChildText('body'), '[Support] Hello! An agent will be with you in a moment.');
    assert.equal(sent.getChild('nick', 'http://jabber.org/protocol/nick'), undefined, "the visitor's chat keeps the visitor's name");
  });

  it("sends a gateway user's message from its gateway JID, through that domain's connection, with the hop marker", async () => {
    const { network, entity } = await started();
    await network.send({ message: message(BOB, 'Hello Carl'), to: CARL, conversation, via: ['bridge-x', 'bridge-a'] });
    const sent = entity(SIP_GW).sent.find((s) => s.is('message'))!;
    assert.equal(bare(sent.attrs.from), BOB_JID);
    assert.equal(sent.attrs.to, 'carl@example.org');
    assert.deepEqual(
      sent
        .getChild('hops', 'urn:switchboard:hops:0')!
        .getChildren('hop')
        .map((hop) => hop.attrs.bridge),
      ['bridge-x', 'bridge-a'],
    );
    assert.equal(entity(MAIN).sent.filter((s) => s.is('message')).length, 0);
    // A visitor stays on the main domain, and without hops no marker is written.
    await network.send({ message: message('web:v_1', 'Hello', 'msg-2'), to: CARL, conversation });
    const visitor = entity(MAIN).sent.find((s) => s.is('message'))!;
    assert.equal(bare(visitor.attrs.from), `v_1@${MAIN}`);
    assert.equal(visitor.getChild('hops', 'urn:switchboard:hops:0'), undefined);
    assert.ok(sent.getChild('active', 'http://jabber.org/protocol/chatstates'), 'chat states where the network has typing');
    assert.ok(sent.getChild('request', 'urn:xmpp:receipts') && sent.getChild('markable', 'urn:xmpp:chat-markers:0'), 'receipts where the network has them');
    await network.send({ message: message('irc:dave@libera', 'Hi', 'msg-3'), to: CARL, conversation });
    const fromIrc = entity(IRC_GW).sent.at(-1)!;
    assert.equal(fromIrc.getChild('active', 'http://jabber.org/protocol/chatstates'), undefined, 'none from IRC, which has no typing');
    // Nor receipts or markers, which the IRC user's JID does not announce either.
    assert.equal(fromIrc.getChild('request', 'urn:xmpp:receipts'), undefined);
    assert.equal(fromIrc.getChild('markable', 'urn:xmpp:chat-markers:0'), undefined);
    // Typing, read markers and notices about it too.
    await network.setTyping({ conversation, from: 'irc:dave@libera', to: CARL, state: 'composing' });
    assert.equal(bare(entity(IRC_GW).sent.at(-1)!.attrs.from), `dave\\40libera@${IRC_GW}`);
    await network.notice({ to: CARL, text: 'note', about: { conversation, visitor: BOB } });
    assert.equal(bare(entity(SIP_GW).sent.at(-1)!.attrs.from), BOB_JID);
  });

  it('reads the hop marker of a message from XMPP, and the user it is for from either form of its JID', async () => {
    const { network, sink, entity } = await started();
    entity(SIP_GW).receive(
      xml(
        'message',
        { type: 'chat', from: 'carl@example.org/phone', to: BOB_JID, id: 's1' },
        xml('body', {}, 'hi'),
        xml('hops', { xmlns: 'urn:switchboard:hops:0' }, xml('hop', { bridge: 'bridge-b' }), xml('hop', { bridge: 'bad id' }), 'junk'),
      ),
    );
    entity(MAIN).receive(
      xml(
        'message',
        { type: 'chat', from: 'carl@example.org/phone', to: `sip\\3abob\\40example.com@${MAIN}`, id: 's2' },
        xml('body', {}, 'again'),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    );
    await until(() => sink.messages.length === 2);
    // Without an origin-id, a message is named by its stanza id and a digest of its words (stanzas.ts).
    const named = (id: string) => new RegExp(`^${CARL}/${id}#[0-9a-f]{16}$`);
    assert.match(sink.messages[0]!.remoteId!, named('s1'));
    assert.match(sink.messages[1]!.remoteId!, named('s2'));
    assert.deepEqual(sink.messages[0], { network: 'xmpp', from: CARL, to: BOB, text: 'hi', remoteId: sink.messages[0]!.remoteId, via: ['bridge-b'] });
    assert.deepEqual(sink.messages[1], { network: 'xmpp', from: CARL, to: BOB, text: 'again', remoteId: sink.messages[1]!.remoteId });
    // Its receipt comes from the gateway JID, once the other network confirms.
    await network.reportStatus!({ message: message(BOB, 'again', 'm2'), status: 'delivered' });
    const receipt = entity(SIP_GW).sent.at(-1)!;
    assert.equal(bare(receipt.attrs.from), BOB_JID);
    assert.equal(receipt.getChild('received', 'urn:xmpp:receipts')!.attrs.id, 's2');
  });

  it("follows a gateway user's presence for a subscription, and says so; refuses with the reason", async () => {
    const { sink, entity } = await started();
    const sip = entity(SIP_GW);
    sip.receive(presence('subscribe', BOB_JID, 'carl@example.org'));
    const subscribed = await sip.next((s) => s.attrs.type === 'subscribed');
    assert.deepEqual(subscribed.attrs, { type: 'subscribed', from: BOB_JID, to: 'carl@example.org' });
    assert.deepEqual(sink.follows[0], { watcher: CARL, target: BOB, follow: true });

    sink.followWith = async () => ({ ok: false, reason: 'this gateway does not connect xmpp to irc' });
    const dave = `dave\\40libera@${IRC_GW}`;
    entity(IRC_GW).receive(presence('subscribe', dave, 'carl@example.org'));
    const refused = await entity(IRC_GW).next((s) => s.attrs.type === 'unsubscribed');
    assert.equal(bare(refused.attrs.from), dave);
    assert.equal(refused.getChildText('status'), 'this gateway does not connect xmpp to irc');

    sink.followWith = async () => {
      throw new Error('store down');
    };
    sip.receive(presence('subscribe', `eve\\40example.com@${SIP_GW}`, 'carl@example.org'));
    const failed = await sip.next((s) => s.attrs.type === 'unsubscribed');
    assert.match(failed.getChildText('status')!, /could not follow/);

    sink.followWith = async () => ({ ok: true });
    sip.receive(presence('unsubscribe', BOB_JID, 'carl@example.org'));
    await sip.next((s) => s.attrs.type === 'unsubscribed' && bare(s.attrs.from) === BOB_JID);
    sip.receive(presence('unsubscribed', BOB_JID, 'carl@example.org'));
    await until(() => sink.follows.filter((f) => !f.follow).length === 2);
    assert.deepEqual(
      sink.follows.filter((f) => !f.follow),
      [
        { watcher: CARL, target: BOB, follow: false },
        { watcher: CARL, target: BOB, follow: false },
      ],
    );
  });

  it('answers a probe with the presence last shown, and unavailable before or after it', async () => {
    const { network, entity } = await started();
    const sip = entity(SIP_GW);
    sip.receive(presence('probe', BOB_JID));
    const unknown = await sip.next((s) => s.is('presence') && s.attrs.to === 'carl@example.org/phone');
    assert.equal(unknown.attrs.type, 'unavailable');

    await network.sharePresence!({ from: BOB, to: CARL, status: 'away', text: 'lunch' });
    sip.sent.length = 0;
    sip.receive(presence('probe', BOB_JID));
    const away = await sip.next((s) => s.is('presence') && s.attrs.to === 'carl@example.org/phone');
    assert.equal(away.attrs.type, undefined);
    assert.equal(away.getChildText('show'), 'away');
    assert.equal(away.getChildText('status'), 'lunch');

    await network.sharePresence!({ from: BOB, to: CARL, status: 'offline' });
    sip.sent.length = 0;
    sip.receive(presence('probe', BOB_JID));
    assert.equal((await sip.next((s) => s.is('presence') && s.attrs.to === 'carl@example.org/phone')).attrs.type, 'unavailable');
  });

  it("shows a gateway user's presence again after its domain's connection comes back", async () => {
    const { network, entity } = await started();
    await network.sharePresence!({ from: BOB, to: CARL, status: 'busy', text: 'in a call' });
    const sip = entity(SIP_GW);
    assert.equal(sip.sent.filter((s) => s.is('presence')).length, 1);
    sip.sent.length = 0;
    sip.drop();
    const again = await sip.next((s) => s.is('presence') && bare(s.attrs.from) === BOB_JID, 10_000);
    assert.equal(again.getChildText('show'), 'dnd');
    assert.equal(again.getChildText('status'), 'in a call');
    assert.deepEqual(network.status(), { state: 'online' });
  });

  it("answers discovery and jabber:iq:gateway on each domain's own connection", async () => {
    const { entity } = await started();
    const ask = (domain: string, key: string, query: Element) =>
      entity(domain).handlers.get(key)!({
        stanza: xml('iq', { to: domain, from: 'carl@example.org/phone' }, query),
        element: query,
        from: null,
        to: null,
      }) as Element;
    const items = ask(MAIN, 'get http://jabber.org/protocol/disco#items', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }));
    assert.deepEqual(
      items.getChildren('item').map((item) => item.attrs.jid),
      [SIP_GW, IRC_GW],
    );
    const answer = ask(SIP_GW, 'set jabber:iq:gateway', xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'bob@example.com')));
    assert.equal(answer.getChildText('jid'), BOB_JID);
    const info = ask(IRC_GW, 'get http://jabber.org/protocol/disco#info', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    assert.equal(info.getChild('identity')!.attrs.type, 'irc');
  });

  it('owns the JIDs of every domain', async () => {
    const { network } = await started();
    for (const address of [`xmpp:${BOB_JID}`, `xmpp:${SIP_GW}`, `xmpp:v_1@${MAIN}`, `xmpp:x@${IRC_GW}`])
      assert.ok(network.ownsAddress(address as Address), address);
    assert.ok(!network.ownsAddress(CARL));
  });
});

describe("XMPP component, the main domain's JIDs", () => {
  /** The answer the main domain's connection sends to a probe of `to` from `from`. */
  async function probe(main: FakeEntity, to: string, from = 'carl@example.org/phone'): Promise<Element> {
    main.sent.length = 0;
    main.receive(presence('probe', to, from));
    return main.next((s) => s.is('presence') && s.attrs.to === from);
  }

  it("answers a probe to a visitor's JID with what that user was last shown, else unavailable (RFC 6121 section 4.3.2)", async () => {
    const { network, entity } = await started();
    const main = entity(MAIN);
    const visitorJid = `v_1@${MAIN}`;
    assert.equal((await probe(main, visitorJid)).attrs.type, 'unavailable', 'never shown');

    // The visitor writes: shown online first, and a probe says so.
    await network.send({ message: message('web:v_1', 'Hello'), to: CARL, conversation });
    const online = await probe(main, visitorJid);
    assert.deepEqual(online.attrs, { from: `${visitorJid}/switchboard`, to: 'carl@example.org/phone' });
    assert.equal((await probe(main, visitorJid, 'dave@example.org/pc')).attrs.type, 'unavailable', 'shown to Carl only');

    await network.sharePresence!({ from: 'web:v_1', to: CARL, status: 'away', text: 'back soon' });
    const away = await probe(main, visitorJid);
    assert.equal(away.attrs.type, undefined);
    assert.equal(away.getChildText('show'), 'away');
    assert.equal(away.getChildText('status'), 'back soon');

    // The visitor left: unavailable, as after the main connection dropped (nothing shown is known then).
    await network.sharePresence!({ from: 'web:v_1', to: CARL, status: 'offline' });
    assert.equal((await probe(main, visitorJid)).attrs.type, 'unavailable');
    await network.sharePresence!({ from: 'web:v_1', to: CARL, status: 'available' });
    main.drop();
    await until(() => network.status().state === 'online', 10_000);
    assert.equal((await probe(main, visitorJid)).attrs.type, 'unavailable', 'forgotten with the connection');
  });

  it('answers a probe to a JID that stands for no one with unsubscribed, and one to the domain with its presence', async () => {
    const { entity } = await started();
    const main = entity(MAIN);
    for (const nobody of [`someone@${MAIN}`, `web\\3anobody@${MAIN}`]) {
      const answer = await probe(main, nobody);
      assert.deepEqual(answer.attrs, { type: 'unsubscribed', from: nobody, to: 'carl@example.org/phone' }, nobody);
    }
    assert.equal((await probe(main, MAIN)).attrs.type, undefined);
  });

  it("neither stores nor answers group chat and headlines sent to a visitor's JID or to no one's", async () => {
    const { sink, entity } = await started();
    const main = entity(MAIN);
    for (const type of ['groupchat', 'headline'])
      for (const to of [`v_1@${MAIN}`, `someone@${MAIN}`])
        main.receive(xml('message', { type, from: 'carl@example.org/phone', to, id: `${type}-${to}` }, xml('body', {}, 'news')));
    // A chat message after them, handled once they were (each sender's stanzas in order).
    main.receive(xml('message', { type: 'chat', from: 'carl@example.org/phone', to: `someone@${MAIN}`, id: 'chat-1' }, xml('body', {}, 'hi')));
    const refused = await main.next((s) => s.is('message') && s.attrs.type === 'error');
    assert.equal(refused.attrs.id, 'chat-1', 'only the chat message is refused');
    assert.equal(main.sent.filter((s) => s.is('message')).length, 1);
    assert.equal(sink.messages.length, 0);
  });
});

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
