// An agent on JsSIP (the SIP library of many web phones) over Kamailio's WebSocket, beside the
// SIP.js agents of the other SIP tests: it registers, publishes no presence (JsSIP has no PUBLISH),
// says `/back` to the bridge's URI to take conversations, then answers a visitor by MESSAGE
// (RFC 3428) from its own stack, which answers the bridge's MESSAGEs 200 by itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import JsSIP from 'jssip';
import type { IncomingMessageEvent, IncomingRTCSessionEvent, OutgoingMessageEvent } from 'jssip/lib/UA.js';
import WebSocket from 'ws';
import { SITE, type TestBridge, connect, next, openVisitor, sendText, startBridge, until, untilTeam } from '../helpers.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';

// JsSIP's WebSocket transport takes the W3C WebSocket interface.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

interface Received {
  from: string;
  body: string;
  contentType: string | undefined;
}

describe('a SIP agent on JsSIP against a real Kamailio', () => {
  let kamailio: KamailioServer;
  let t: TestBridge;
  let ua: JsSIP.UA;
  let BOB: string;
  const BRIDGE = `sip:switchboard@${VISITOR_DOMAIN}`;
  const received: Received[] = [];

  before(async () => {
    kamailio = await startKamailio({
      users: { bob: 'bobpw', switchboard: 'bridgepw' },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    BOB = `sip:bob@${kamailio.domain}`;
    t = await startBridge({
      teams: [{ id: 'support', members: [BOB], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 10_000, 'the bridge to register');
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(kamailio.wsUrl)],
      uri: BOB,
      password: 'bobpw',
      register: true,
      session_timers: false,
    });
    ua.on('newMessage', (event: IncomingMessageEvent | OutgoingMessageEvent) => {
      if (String(event.originator) !== 'remote') return; // its own MESSAGEs come through here too
      const { request } = event;
      received.push({ from: request.from.uri.toString(), body: request.body, contentType: request.getHeader('Content-Type') });
    });
    ua.on('newRTCSession', (event: IncomingRTCSessionEvent) => event.session.terminate());
    const registered = new Promise<void>((resolve, reject) => {
      ua.once('registered', () => resolve());
      ua.once('registrationFailed', (event: { cause?: string }) => reject(new Error(`JsSIP did not register: ${event.cause}`)));
    });
    ua.start();
    await registered;
  });
  after(async () => {
    ua?.stop();
    await t?.stop();
    await kamailio?.destroy();
  });

  /** Sends a MESSAGE from bob's JsSIP; resolves once the far end answered 2xx. */
  const say = (to: string, text: string) =>
    new Promise<void>((resolve, reject) =>
      ua.sendMessage(to, text, {
        eventHandlers: { succeeded: () => resolve(), failed: (event: { cause?: string }) => reject(new Error(`MESSAGE failed: ${event.cause}`)) },
      }),
    );
  const nextFrom = async (from: string, test: (body: string) => boolean) => {
    await until(() => received.some((m) => m.from === from && test(m.body)), 10_000, `a MESSAGE from ${from}`);
    return received.find((m) => m.from === from && test(m.body))!;
  };

  it('is offline while it publishes nothing, and available once it says /back to the bridge', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    await untilTeam(socket, 'support', (a) => a.online === 0);
    const available = next(socket, 'team:availability', (a) => a.available === true, 10_000);
    await say(BRIDGE, '/back');
    assert.match((await nextFrom(BRIDGE, (body) => body.startsWith('You are back'))).body, /^You are back/);
    await available;
  });

  it("gets a visitor's message from the visitor's own URI, and its MESSAGE reply reaches the visitor", async () => {
    const v = await openVisitor(t, { profile: { name: 'Dana' }, assignee: BOB });
    const uri = `sip:${v.self.slice(4)}@${VISITOR_DOMAIN}`;
    await sendText(v, 'Hello from the shop');
    const got = await nextFrom(uri, (body) => body === 'Hello from the shop');
    assert.equal(got.contentType, 'text/plain;charset=UTF-8');
    const reply = next(v.socket, 'message', (m) => m.from === BOB);
    await say(uri, 'Hi Dana, how can I help? ✓');
    assert.equal((await reply).text, 'Hi Dana, how can I help? ✓');
  });
});
