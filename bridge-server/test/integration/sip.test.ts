// The SIP/SIMPLE network against a real Kamailio: MESSAGE both ways, each visitor a URI of its
// own, presence both ways, isComposing, failures with the SIP reason, a proxy restart, and bodies
// that never leak into headers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  API_KEY,
  SITE,
  type TestBridge,
  type WebVisitor,
  call,
  collect,
  connect,
  next,
  openVisitor,
  sendText,
  startBridge,
  until,
  untilTeam,
} from '../helpers.js';
import { HOSTILE_TEXTS } from '../hostile-texts.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { type SipAgent, connectSipAgent, pidf } from '../sip-agent.js';
import { type SipDesk, startSipDesk } from '../sip-desk.js';
import { sendRawSipMessage } from '../sip-raw-client.js';
import { deflateSync, gzipSync } from 'node:zlib';

describe('SIP/SIMPLE network against a real Kamailio', () => {
  let kamailio: KamailioServer;
  let t: TestBridge;
  let alice: SipAgent;
  let ALICE: string;

  before(async () => {
    kamailio = await startKamailio({
      users: { alice: 'alicepw', mallory: 'mallorypw', carol: 'carolpw', switchboard: 'bridgepw' },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    ALICE = `sip:alice@${kamailio.domain}`;
    alice = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'alice', 'alicepw');
    await alice.publish(pidf(ALICE, 'open'));
    t = await startBridge({
      sites: [{ key: SITE, origins: ['http://shop.test'], visitorTargets: ['sip:*'], apiKeys: [{ id: 'crm', key: API_KEY }] }],
      teams: [{ id: 'support', members: [ALICE], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 10_000, 'the bridge to register');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await kamailio?.destroy();
  });

  async function visitor(name: string): Promise<WebVisitor & { uri: string }> {
    const v = await openVisitor(t, { profile: { name }, assignee: ALICE });
    return { ...v, uri: `sip:${v.self.slice(4)}@${VISITOR_DOMAIN}` };
  }

  it("carries a visitor's message to the agent as a MESSAGE from the visitor's own URI, and the reply back", async () => {
    const v = await visitor('Dana');
    const statuses = collect(v.socket, 'message:status');
    const sent = await sendText(v, 'Hello from the shop');
    const got = await alice.next((m) => m.request.body === 'Hello from the shop');
    assert.equal(got.request.from.uri.toString(), v.uri);
    assert.equal(got.request.getHeader('Content-Type'), 'text/plain;charset=UTF-8');
    assert.match(got.request.getHeader('From') ?? '', /^"Dana" </);
    await until(() => statuses.some((s) => s.id === sent.id && s.status === 'sent'), 5000, 'the sent status (the 200 OK)');

    const reply = next(v.socket, 'message', (m) => m.from === ALICE);
    assert.equal(await alice.send(v.uri, 'Hi Dana! How can I help?'), 200);
    assert.equal((await reply).text, 'Hi Dana! How can I help?');
  });

  it("sends the context line from the visitor's URI under the visitor's display name, as its messages", async () => {
    const v = await visitor('Dana Context');
    const ref = v.conversationId.slice(-5).toLowerCase();
    const context = await alice.next((m) => m.request.body.startsWith(`#${ref} Dana Context`));
    assert.equal(context.request.from.uri.toString(), v.uri);
    assert.match(context.request.getHeader('From') ?? '', /^"Dana Context" </);
  });

  it('takes a body that ends with CR LF (SIPp, some phones) without it', async () => {
    const v = await visitor('Crlf');
    const reply = next(v.socket, 'message', (m) => m.from === ALICE);
    assert.equal(await alice.send(v.uri, 'Thanks, bye\r\n'), 200);
    assert.equal((await reply).text, 'Thanks, bye');
  });

  it('shows two visitors as two URIs and routes each reply to its own visitor', async () => {
    const one = await visitor('Ann');
    const two = await visitor('Ben');
    assert.notEqual(one.uri, two.uri);
    await sendText(one, 'I am one');
    await sendText(two, 'I am two');
    assert.equal((await alice.next((m) => m.request.body === 'I am one')).request.from.uri.toString(), one.uri);
    assert.equal((await alice.next((m) => m.request.body === 'I am two')).request.from.uri.toString(), two.uri);
    const atTwo = collect(two.socket, 'message');
    const atOne = next(one.socket, 'message', (m) => m.from === ALICE);
    await alice.send(one.uri, 'for one');
    assert.equal((await atOne).text, 'for one');
    assert.equal(atTwo.filter((m) => m.text === 'for one').length, 0);
  });

  it("turns the agent's published presence into team availability", async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    const first = await call(socket, 'presence:subscribe', { team: 'support' });
    assert.equal(first.available, true);
    const away = next(socket, 'team:availability', (a) => !a.available, 10_000);
    await alice.publish(pidf(ALICE, 'open', 'away'));
    assert.deepEqual(await away, { team: 'support', available: false, online: 1 });
    const offline = next(socket, 'team:availability', (a) => a.online === 0, 10_000);
    await alice.publish(pidf(ALICE, 'closed'));
    await offline;
    const back = next(socket, 'team:availability', (a) => a.available, 10_000);
    await alice.publish(pidf(ALICE, 'open'));
    await back;
  });

  it("keeps an agent's /away while the phone only publishes again what it published before", async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    assert.equal((await call(socket, 'presence:subscribe', { team: 'support' })).available, true);
    const changes = collect(socket, 'team:availability');
    // Every change of alice's presence, as the core derives it (the team's events are coalesced).
    const statuses: string[] = [];
    t.bridge.core.presence.onChange((presence) => {
      if (presence.address === ALICE) statuses.push(presence.status);
    });
    const bridgeUri = `sip:switchboard@${VISITOR_DOMAIN}`;
    const answered = alice.next((m) => m.request.from.uri.toString() === bridgeUri && m.request.body.startsWith('You are away'));
    assert.equal(await alice.send(bridgeUri, '/away'), 200);
    await answered;
    await until(() => changes.some((a) => !a.available), 10_000, 'the team unavailable');
    // The phone refreshes its publication, unchanged (Kamailio notifies the bridge again), then goes
    // offline; each publication once Kamailio took the one before (its watchers were notified).
    const own = await alice.watch(ALICE);
    try {
      await until(() => own.notifications.length > 0, 10_000, "alice's own presence");
      const seen = own.notifications.length;
      await alice.publish(pidf(ALICE, 'open'));
      await until(() => own.notifications.length > seen, 10_000, 'the unchanged publication notified');
      await alice.publish(pidf(ALICE, 'closed'));
      await until(() => changes.some((a) => a.online === 0), 10_000, `the agent offline (${JSON.stringify(changes)})`);
      assert.deepEqual(statuses, ['away', 'offline'], 'never available again between /away and the phone going offline');
      // A change on the phone is theirs: available again.
      const back = next(socket, 'team:availability', (a) => a.available, 10_000);
      await alice.publish(pidf(ALICE, 'open'));
      await back;
    } finally {
      await own.stop();
      socket.disconnect();
    }
  });

  it("publishes the visitor's presence for the agent to see: available once it writes, then each change", async () => {
    const v = await visitor('Eve');
    await sendText(v, 'hello from Eve');
    await alice.next((m) => m.request.body === 'hello from Eve');
    const watch = await alice.watch(v.uri);
    try {
      // Online from its first message, though it never changed its presence since the page opened.
      await until(
        () => watch.notifications.some((body) => /<basic>open<\/basic>/.test(body) && !/away/.test(body)),
        10_000,
        'a NOTIFY with the visitor available',
      ).catch((error: Error) => {
        throw new Error(`${error.message}; NOTIFY bodies: ${JSON.stringify(watch.notifications)}`);
      });
      await call(v.socket, 'presence:set', { status: 'away' });
      await until(
        () => watch.notifications.some((body) => /<basic>open<\/basic>/.test(body) && /away/.test(body)),
        10_000,
        'a NOTIFY with the visitor away',
      ).catch((error: Error) => {
        throw new Error(`${error.message}; NOTIFY bodies: ${JSON.stringify(watch.notifications)}`);
      });
      // A new text under the same status is published too.
      await call(v.socket, 'presence:set', { status: 'away', text: 'back in 5 minutes' });
      await until(() => watch.notifications.some((body) => body.includes('back in 5 minutes')), 10_000, 'a NOTIFY with the new text');
    } finally {
      await watch.stop();
    }
  });

  it('maps isComposing (RFC 3994) to typing, both ways', async () => {
    const v = await visitor('Finn');
    await sendText(v, 'typing test');
    await alice.next((m) => m.request.body === 'typing test');
    await call(v.socket, 'typing', { conversationId: v.conversationId, state: 'composing' });
    const composing = await alice.next((m) => m.request.getHeader('Content-Type') === 'application/im-iscomposing+xml');
    assert.match(composing.request.body, /<state>active<\/state>/);
    assert.equal(composing.request.from.uri.toString(), v.uri);
    assert.equal(composing.request.from.displayName, 'Finn', 'under the name its messages go under');

    const typing = next(v.socket, 'typing', (e) => e.from === ALICE && e.state === 'composing');
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>60</refresh></isComposing>';
    assert.equal(await alice.send(v.uri, body, 'application/im-iscomposing+xml'), 200);
    await typing;
    // A message ends the composing it follows (RFC 3994 section 3.3): idle first, then the message.
    const events: string[] = [];
    v.socket.on('typing', (e: { from: string; state: string }) => e.from === ALICE && events.push(e.state));
    v.socket.on('message', (m: { from: string; text: string }) => m.from === ALICE && events.push(m.text));
    assert.equal(await alice.send(v.uri, 'done typing'), 200);
    await until(() => events.includes('done typing'), 5000, 'the message');
    assert.deepEqual(events, ['paused', 'done typing']);
    // An active state not refreshed within its refresh interval runs out: its reader is told idle.
    events.length = 0;
    const shortly = body.replace('<refresh>60</refresh>', '<refresh>1</refresh>');
    assert.equal(await alice.send(v.uri, shortly, 'application/im-iscomposing+xml'), 200);
    await until(() => events.length === 2, 5000, 'composing, then idle without a refresh');
    assert.deepEqual(events, ['composing', 'paused']);
  });

  it('says active once within its refresh interval, however often the web client repeats composing (RFC 3994 section 3.2)', async () => {
    const v = await visitor('Hana');
    const first = collect(v.socket, 'message:status');
    const opening = await sendText(v, 'typing again');
    await alice.next((m) => m.request.body === 'typing again');
    // Sent (answered 200): a message ends the composing before it, so typing starts after it.
    await until(() => first.some((s) => s.id === opening.id && s.status !== 'accepted'), 10_000, 'the first message sent');
    const typing = (state: 'composing' | 'paused') => call(v.socket, 'typing', { conversationId: v.conversationId, state });
    for (const state of ['composing', 'composing', 'composing', 'paused', 'paused', 'composing'] as const) await typing(state);
    // The message goes out through the outbox: the next composing follows it once it is sent.
    const statuses = collect(v.socket, 'message:status');
    const sent = await sendText(v, 'after typing');
    await until(() => statuses.some((s) => s.id === sent.id && s.status !== 'accepted'), 10_000, 'the message sent');
    await typing('composing');
    const said: string[] = [];
    await alice.next((m) => {
      if (m.request.from.uri.toString() !== v.uri) return false;
      if (m.request.body === 'after typing') said.push(m.request.body);
      else if (m.request.getHeader('Content-Type') === 'application/im-iscomposing+xml') said.push(/<state>(\w+)<\/state>/.exec(m.request.body)?.[1] ?? '?');
      return said.length === 5;
    });
    // A message ends the composing before it: the next composing is said again.
    assert.deepEqual(said, ['active', 'idle', 'active', 'after typing', 'active']);
  });

  it('fails a message to an unknown user with the SIP reason (404), and keeps one for an unregistered user (480)', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    const statuses = collect(socket, 'message:status');
    const ghost = await call(socket, 'conversation:open', { to: `sip:ghost@${kamailio.domain}` });
    const lost = await sendText({ socket, conversationId: ghost.conversation.id }, 'anyone?');
    await until(() => statuses.some((s) => s.id === lost.id && s.status === 'failed'), 10_000, 'the failed status');
    const failed = statuses.find((s) => s.id === lost.id && s.status === 'failed')!;
    assert.equal(failed.error?.code, 'not_found');
    assert.match(failed.error?.message ?? '', /404 Not Found/);

    const away = await call(socket, 'conversation:open', { to: `sip:carol@${kamailio.domain}` });
    const kept = await sendText({ socket, conversationId: away.conversation.id }, 'for later');
    await until(() => statuses.some((s) => s.id === kept.id && s.error?.message.includes('480')), 10_000, 'the retry notice');
    assert.equal(
      statuses.some((s) => s.id === kept.id && s.status === 'failed'),
      false,
      '480 is retried, not failed',
    );
    const carol = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'carol', 'carolpw');
    try {
      assert.equal((await carol.next((m) => m.request.body === 'for later', 40_000)).request.body, 'for later');
    } finally {
      await carol.stop();
    }
  });

  it('answers a MESSAGE whose Content-Type cannot be read 400, naming the header, and delivers nothing (RFC 3261 section 8.2)', async () => {
    const v = await visitor('Hal');
    await sendText(v, 'hello there');
    await alice.next((m) => m.request.body === 'hello there');
    const atVisitor = collect(v.socket, 'message');
    // Its quote left open: SIP.js' parser cannot read the header (it dropped the request unanswered).
    const refused = await alice.request(v.uri, 'never shown', 'text/plain; charset="utf-8');
    assert.deepEqual([refused.statusCode, refused.reasonPhrase], [400, 'Bad Request']);
    assert.match(refused.warning ?? '', /^399 \S+ "The Content-Type header cannot be read: nothing was delivered\./);
    // The next one, readable, goes through as ever.
    assert.equal(await alice.send(v.uri, 'readable again'), 200);
    await until(() => atVisitor.some((m) => m.text === 'readable again'));
    assert.equal(
      atVisitor.some((m) => m.text === 'never shown'),
      false,
    );
  });

  it('refuses a MESSAGE to a visitor from someone outside the conversation (403)', async () => {
    const v = await visitor('Gus');
    await sendText(v, 'only for alice');
    await alice.next((m) => m.request.body === 'only for alice');
    const mallory = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'mallory', 'mallorypw');
    try {
      const atVisitor = collect(v.socket, 'message');
      assert.equal(await mallory.send(v.uri, 'let me in'), 403);
      assert.equal(await mallory.send(`sip:web=v_0@${VISITOR_DOMAIN}`, 'hello?'), 404, 'not the URI of any visitor');
      // A visitor's id that nobody has is refused as one not theirs: whether it exists is not told.
      assert.equal(await mallory.send(`sip:v_nobody0@${VISITOR_DOMAIN}`, 'hello?'), 403);
      assert.equal(atVisitor.length, 0);
    } finally {
      await mallory.stop();
    }
  });

  it('sends any text as exactly one MESSAGE whose body equals it, and a name only as a quoted display name (property)', async () => {
    const v = await visitor('Hal "the\r\nVia: SIP/2.0/UDP evil\\" <sip:x@y>');
    await sendText(v, 'first');
    const first = await alice.next((m) => m.request.body === 'first');
    const from = first.request.getHeader('From') ?? '';
    assert.match(from, /^"Hal \\"the Via: SIP\/2.0\/UDP evil\\\\\\" <sip:x@y>" <sip:/, from);
    assert.equal(first.request.getHeaders('Via').length >= 1, true);
    assert.equal(first.request.getHeader('Via')?.includes('evil'), false);
    const piece = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom(
        '\r\n',
        '\r',
        '\n',
        '\u0000',
        'Content-Length: 0',
        '\r\n\r\nINVITE sip:x@y SIP/2.0',
        'Via: SIP/2.0/WS evil',
        '\u{1F600}',
        '\u{10FFFF}',
        '中文',
        ' ',
      ),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
        async (text) => {
          round += 1;
          const body = `#${round}#${text}`;
          const before = alice.inbox.length;
          await sendText(v, body);
          const got = await alice.next((m) => m.request.body.startsWith(`#${round}#`));
          assert.equal(got.request.body, body);
          assert.equal(alice.inbox.slice(before).filter((m) => m.request.from.uri.toString() === v.uri).length, 1, 'exactly one MESSAGE');
        },
      ),
      { numRuns: 30 },
    );
  });

  it('sends the hostile corpus body intact, with the headers of a plain message and no other: one MESSAGE a text, the long one as several within 1300 bytes', async (context) => {
    const v = await visitor('Fuzz');
    const headerNames = (m: (typeof alice.inbox)[number]) =>
      m.request
        .toString()
        .split('\r\n\r\n')[0]!
        .split('\r\n')
        .slice(1)
        .map((line) => line.slice(0, line.indexOf(':')).toLowerCase())
        .sort();
    await sendText(v, 'plain');
    const plain = await alice.next((m) => m.request.from.uri.toString() === v.uri && m.request.body === 'plain');
    const expectedHeaders = headerNames(plain);
    // The desk's introduction of the visitor may come from its URI too, at any time.
    const introduction = `#${v.conversationId.slice(-5).toLowerCase()} `;
    const fromVisitorSince = (before: number) =>
      alice.inbox.slice(before).filter((m) => m.request.from.uri.toString() === v.uri && !m.request.body.startsWith(introduction));
    let messages = 0;
    for (const [i, text] of HOSTILE_TEXTS.entries()) {
      const body = `hostile-${i}: ${text}`;
      const before = alice.inbox.length;
      await sendText(v, body);
      // A text longer than a MESSAGE may be (RFC 3428 section 8) comes as several, in order (docs/networks/sip.md, "Long texts").
      await until(
        () =>
          fromVisitorSince(before)
            .map((m) => m.request.body)
            .join('').length >= body.length,
        10_000,
        `text #${i}`,
      );
      const got = fromVisitorSince(before);
      assert.equal(got.map((m) => m.request.body).join(''), body, `body #${i}`);
      assert.equal(got.length > 1, Buffer.byteLength(body) > 1300, `MESSAGEs for #${i}: ${got.length}`);
      messages += got.length;
      for (const part of got) {
        assert.deepEqual(headerNames(part), expectedHeaders, `headers of #${i}`);
        assert.equal(
          part.request.getHeaders('Via').some((via) => via.includes('evil')),
          false,
        );
        assert.equal(part.request.getHeader('Content-Type'), 'text/plain;charset=UTF-8');
        assert.ok(Buffer.byteLength(part.request.data) <= 1300, `#${i}: a request of ${Buffer.byteLength(part.request.data)} bytes`);
      }
    }
    const relayed = fromVisitorSince(0);
    assert.equal(relayed.length, messages + 1, 'nothing beyond the texts and "plain"');
    assert.equal(
      alice.inbox.some((m) => m.request.method !== 'MESSAGE'),
      false,
    );
    context.diagnostic(`sip hostile corpus: sent ${HOSTILE_TEXTS.length}, MESSAGEs ${messages}`);
  });

  it("counts the messages and bytes that cross between the web and SIP, per day, for the site's API key", async () => {
    const usage = async () => {
      // Yesterday and today: a run across midnight counts both days.
      const today = new Date();
      const yesterday = new Date(today.getTime() - 86_400_000);
      const days = `from=${yesterday.toISOString().slice(0, 10)}&to=${today.toISOString().slice(0, 10)}`;
      const response = await fetch(`${t.url}/v1/usage?${days}`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { usage: { from: string; to: string; messages: number; bytes: number }[] };
      const row = (from: string, to: string) =>
        body.usage
          .filter((u) => u.from === from && u.to === to)
          .reduce((sum, u) => ({ messages: sum.messages + u.messages, bytes: sum.bytes + u.bytes }), { messages: 0, bytes: 0 });
      return { out: row('web', 'sip'), back: row('sip', 'web') };
    };
    // /metrics counts the same, since the bridge started.
    const counted = async () => {
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name}\\{from="web",to="sip",site="test-site"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
      return { messages: value('switchboard_interconnect_messages_total'), bytes: value('switchboard_interconnect_bytes_total') };
    };
    const before = await usage();
    const countedBefore = await counted();
    const v = await visitor('Uma');
    for (const text of ['one', 'twenty-two', 'ünï']) await sendText(v, text);
    await alice.next((m) => m.request.body === 'ünï');
    const reply = next(v.socket, 'message', (m) => m.from === ALICE);
    assert.equal(await alice.send(v.uri, 'ok 👍'), 200);
    await reply;
    const after = await usage();
    assert.deepEqual({ messages: after.out.messages - before.out.messages, bytes: after.out.bytes - before.out.bytes }, { messages: 3, bytes: 3 + 10 + 5 });
    assert.deepEqual({ messages: after.back.messages - before.back.messages, bytes: after.back.bytes - before.back.bytes }, { messages: 1, bytes: 7 });
    const countedAfter = await counted();
    assert.deepEqual(
      { messages: countedAfter.messages - countedBefore.messages, bytes: countedAfter.bytes - countedBefore.bytes },
      { messages: 3, bytes: 3 + 10 + 5 },
    );
    const unauthorised = await fetch(`${t.url}/v1/usage`);
    assert.equal(unauthorised.status, 401);
    const badDay = await fetch(`${t.url}/v1/usage?from=yesterday`, { headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(badDay.status, 400);
  });

  it('keeps messages while Kamailio restarts, and delivers them after, in order and once', async () => {
    const v = await visitor('Ivy');
    await sendText(v, 'before the restart');
    await alice.next((m) => m.request.body === 'before the restart');
    await kamailio.stop();
    await until(() => t.bridge.registry.get('sip')?.status().state !== 'online', 10_000, 'the bridge to notice');
    const during = ['during 1', 'during 2', 'during 3'];
    for (const text of during) await sendText(v, text);
    await kamailio.start();
    await alice.ua.reconnect();
    await alice.register();
    await alice.publish(pidf(ALICE, 'open'));
    for (const text of during) await alice.next((m) => m.request.body === text, 40_000);
    const got = alice.inbox.filter((m) => m.request.body.startsWith('during')).map((m) => m.request.body);
    assert.deepEqual(got, during, 'in order, once');
    const reply = next(v.socket, 'message', (m) => m.from === ALICE);
    assert.equal(await alice.send(v.uri, 'back again'), 200);
    assert.equal((await reply).text, 'back again');
  });
});

describe('SIP IMDN (RFC 5438) against a real Kamailio', () => {
  let t: TestBridge;
  let alice: SipAgent;
  let ALICE: string;
  let desk: SipDesk | undefined;

  before(async () => {
    desk = await startSipDesk({ imdn: true });
    ({ t, alice, ALICE } = desk);
  });
  after(() => desk?.stop());

  /** A MESSAGE from alice over TCP, written byte for byte (a binary body, headers of our choosing). */
  const fromAlice = (to: string, body: Buffer, contentType: string, extraHeaders: string[] = []) =>
    sendRawSipMessage({
      host: '127.0.0.1',
      port: desk!.kamailio.sipPort,
      user: 'alice',
      domain: desk!.kamailio.domain,
      password: 'alicepw',
      to,
      contentType,
      body,
      extraHeaders,
    });

  /** A visitor in a conversation with alice, and the URI alice sees it by. */
  const visitorWithAlice = async () => {
    const { socket, session } = await connect(t, { siteKey: SITE });
    await untilTeam(socket, 'support', (a) => a.available === true);
    const opened = await call(socket, 'conversation:open', { team: 'support' });
    return { socket, opened, visitorUri: `sip:${session.self.slice(4)}@${VISITOR_DOMAIN}` };
  };

  const imdn = (messageId: string, kind: 'delivery' | 'display') =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>${messageId}</message-id><datetime>2026-11-24T10:00:00Z</datetime>` +
    `<${kind}-notification><status><${kind === 'delivery' ? 'delivered' : 'displayed'}/></status></${kind}-notification></imdn>`;

  it("asks for notifications in CPIM, and maps the agent's IMDNs to delivered and read", async () => {
    const { socket, opened, visitorUri } = await visitorWithAlice();
    const statuses = collect(socket, 'message:status');
    const ack = await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'i1', text: 'Hello\r\nwith CPIM' });
    const got = await alice.next((m) => m.request.from.uri.toString() === visitorUri && m.request.getHeader('Content-Type') === 'message/cpim');
    assert.match(got.request.body, new RegExp(`imdn\\.Message-ID: ${ack.message.id}\\r\\n`));
    assert.match(got.request.body, /imdn\.Disposition-Notification: positive-delivery, display/);
    assert.ok(got.request.body.endsWith('\r\n\r\nHello\r\nwith CPIM'));

    assert.equal(await alice.send(visitorUri, imdn(ack.message.id, 'delivery'), 'message/imdn+xml'), 200);
    await until(() => statuses.some((s) => s.id === ack.message.id && s.status === 'delivered'), 5000, 'delivered');
    assert.equal(await alice.send(visitorUri, imdn(ack.message.id, 'display'), 'message/imdn+xml'), 200);
    await until(() => statuses.some((s) => s.id === ack.message.id && s.status === 'read'), 5000, 'read');

    // The agent's own CPIM message asking for notifications: delivered at once, displayed once read.
    const cpim = [
      'From: <' + ALICE + '>',
      `To: <${visitorUri}>`,
      'DateTime: 2026-11-24T09:30:00.000Z',
      'NS: imdn <urn:ietf:params:imdn>',
      'imdn.Message-ID: agent-42',
      'imdn.Disposition-Notification: positive-delivery, display',
      '',
      'Content-Type: text/plain;charset=UTF-8',
      '',
      'Reply in CPIM',
    ].join('\r\n');
    const reply = next(socket, 'message', (m) => m.from === ALICE);
    assert.equal(await alice.send(visitorUri, cpim, 'message/cpim'), 200);
    const stored = await reply;
    assert.equal(stored.text, 'Reply in CPIM');
    // Each notification in CPIM, as the request was (RFC 5438 section 7.2.1.1).
    const notification = (status: string) => (m: { request: { getHeader(name: string): string | undefined; body: string } }) =>
      m.request.getHeader('Content-Type') === 'message/cpim' && new RegExp(`<${status}/>`).test(m.request.body);
    const delivered = await alice.next(notification('delivered'));
    assert.match(delivered.request.body, /<message-id>agent-42<\/message-id>/);
    // When the IM was sent, as its DateTime says, not when the notification is (RFC 5438 section 7.2.1.1).
    assert.match(delivered.request.body, /<datetime>2026-11-24T09:30:00\.000Z<\/datetime>/);
    const wrapping = delivered.request.body.split('\r\n\r\n');
    assert.match(
      wrapping[0]!,
      new RegExp(`^From: <${visitorUri}>\r\nTo: <${ALICE}>\r\nDateTime: .+\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: \\S+$`),
    );
    assert.equal(wrapping[1], 'Content-Type: message/imdn+xml\r\nContent-Disposition: notification');
    await call(socket, 'read', { conversationId: opened.conversation.id, seq: stored.seq });
    const displayed = await alice.next(notification('displayed'));
    assert.equal(displayed.request.from.uri.toString(), visitorUri);
    assert.match(displayed.request.body, /<datetime>2026-11-24T09:30:00\.000Z<\/datetime>/);
    assert.notEqual(/imdn.Message-ID: (\S+)/.exec(displayed.request.body)?.[1], /imdn.Message-ID: (\S+)/.exec(delivered.request.body)?.[1], 'an id of its own');

    // The namespace's prefix is the sender's to choose (RFC 3862 section 3.2): `im.` asks the same.
    const prefixed = cpim.replace('NS: imdn <', 'NS: im <').replaceAll('imdn.', 'im.').replace('agent-42', 'agent-43').replace('Reply in CPIM', 'Prefixed');
    assert.equal(await alice.send(visitorUri, prefixed, 'message/cpim'), 200);
    const answered = await alice.next((m) => notification('delivered')(m) && m.request.body.includes('<message-id>agent-43</message-id>'));
    assert.match(answered.request.body, /<delivered\/>/);
  });

  it('sends plain text, and no typing, to a client that takes only plain text (415, as Baresip answers; RFC 3261 section 8.1.3.5)', async (context) => {
    alice.takes = ['text/plain'];
    context.after(() => delete alice.takes);
    const { socket, opened, visitorUri } = await visitorWithAlice();
    const conversationId = opened.conversation.id;
    const fromVisitor = (type: string) =>
      alice.inbox.filter((m) => m.request.from.uri.toString() === visitorUri && m.request.getHeader('Content-Type')?.startsWith(type));
    const statuses = collect(socket, 'message:status');

    const first = await call(socket, 'message:send', { conversationId, clientId: 'p1', text: 'Grüße, in plain text' });
    const plain = await alice.next((m) => m.request.from.uri.toString() === visitorUri && m.request.body === 'Grüße, in plain text');
    assert.match(plain.request.getHeader('Content-Type') ?? '', /^text\/plain/);
    await until(() => statuses.some((s) => s.id === first.message.id && s.status === 'sent'), 5000, 'sent');
    assert.equal(fromVisitor('message/cpim').length, 1, 'CPIM tried once, refused');

    await call(socket, 'typing', { conversationId, state: 'composing' });
    await until(() => fromVisitor('application/im-iscomposing+xml').length === 1, 5000, 'the first isComposing, refused');
    // Alice's next MESSAGE reaches the bridge after her 415 did: by then the bridge knows the refusal.
    const pinged = next(socket, 'message', (m) => m.text === 'after the 415');
    assert.equal(await alice.send(visitorUri, 'after the 415'), 200);
    await pinged;
    await call(socket, 'typing', { conversationId, state: 'paused' });
    await call(socket, 'typing', { conversationId, state: 'composing' });
    const second = await call(socket, 'message:send', { conversationId, clientId: 'p2', text: 'Straight away in plain text' });
    await alice.next((m) => m.request.from.uri.toString() === visitorUri && m.request.body === 'Straight away in plain text');
    assert.equal(fromVisitor('message/cpim').length, 1, 'no CPIM again');
    assert.equal(fromVisitor('application/im-iscomposing+xml').length, 1, 'no isComposing again');
    await until(() => statuses.some((s) => s.id === second.message.id && s.status === 'sent'), 5000, 'sent');
    assert.equal(statuses.filter((s) => s.status === 'failed').length, 0);
    socket.disconnect();
  });

  it("undoes a body's content coding (RFC 3261 section 20.12): Linphone's deflated notifications count, a gzipped text is read, an unknown coding is refused 415", async () => {
    const { socket, opened, visitorUri } = await visitorWithAlice();
    const statuses = collect(socket, 'message:status');
    const messages = collect(socket, 'message');
    const ack = await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'z1', text: 'Is it compressed?' });
    // CPIM or, after an earlier test's 415, plain text: either way the text is in the body.
    await alice.next((m) => m.request.from.uri.toString() === visitorUri && m.request.body.includes('Is it compressed?'));
    // As liblinphone sends it: a bare IMDN, deflated, over TCP in this test (binary bytes).
    const raw = (body: Buffer, contentType: string, encoding: string) => fromAlice(visitorUri, body, contentType, [`Content-Encoding: ${encoding}`]);
    assert.equal((await raw(deflateSync(imdn(ack.message.id, 'delivery')), 'message/imdn+xml', 'deflate')).statusCode, 200);
    await until(() => statuses.some((s) => s.id === ack.message.id && s.status === 'delivered'), 5000, 'delivered by the deflated notification');
    assert.equal((await raw(gzipSync('R\u00e9ponse compress\u00e9e \u2713'), 'text/plain;charset=UTF-8', 'gzip')).statusCode, 200);
    await until(() => messages.some((m) => m.from === ALICE), 5000, 'the gzipped text');
    assert.deepEqual(
      messages.filter((m) => m.from === ALICE).map((m) => m.text),
      ['R\u00e9ponse compress\u00e9e \u2713'],
    );
    const refused = await raw(Buffer.from('not really brotli'), 'text/plain', 'br');
    assert.deepEqual([refused.statusCode, refused.headers.get('accept-encoding')], [415, 'gzip, deflate, identity']);
    const corrupt = await raw(Buffer.from('not deflate at all'), 'text/plain', 'deflate');
    assert.deepEqual([corrupt.statusCode, corrupt.reasonPhrase], [400, 'Bad Content-Encoding']);
    assert.equal(messages.filter((m) => m.from === ALICE).length, 1, 'nothing refused was stored');
    socket.disconnect();
  });

  it("reads an agent's command to the bridge's URI as a text is read: inside CPIM, gzipped, and answers each", async () => {
    const bridgeUri = `sip:switchboard@${VISITOR_DOMAIN}`;
    const raw = (body: Buffer, contentType: string, extraHeaders: string[] = []) => fromAlice(bridgeUri, body, contentType, extraHeaders);
    const answered = (ref: string) =>
      alice.next((m) => m.request.from.uri.toString() === bridgeUri && m.request.body === `No conversation of your teams has the ref #${ref}.`);
    // As clients that wrap every message in CPIM send it (RFC 3862).
    const cpim = `From: <${ALICE}>\r\nTo: <${bridgeUri}>\r\nDateTime: 2026-12-06T10:00:00Z\r\n\r\nContent-Type: text/plain;charset=UTF-8\r\n\r\n/whois zz1zz`;
    assert.equal((await raw(Buffer.from(cpim), 'message/cpim')).statusCode, 200);
    await answered('zz1zz');
    assert.equal((await raw(gzipSync('/whois zz2zz'), 'text/plain;charset=UTF-8', ['Content-Encoding: gzip'])).statusCode, 200);
    await answered('zz2zz');
    const refused = await raw(Buffer.from('/whois zz3zz'), 'text/plain', ['Content-Encoding: br']);
    assert.equal(refused.statusCode, 415);
  });

  it("takes Linphone's grouped notifications (several IMDNs in one multipart body) as notifications, not files", async () => {
    const { socket, opened, visitorUri } = await visitorWithAlice();
    const statuses = collect(socket, 'message:status');
    const messages = collect(socket, 'message');
    const sent = [
      (await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'g1', text: 'first' })).message,
      (await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'g2', text: 'second' })).message,
    ];
    await alice.next((m) => m.request.from.uri.toString() === visitorUri && m.request.body.endsWith('second'));
    const part = (id: string) => ['--grouped', 'Content-Type: message/imdn+xml', 'Content-Disposition: notification', '', imdn(id, 'delivery')].join('\r\n');
    const cpim = [
      `From: <${ALICE}>`,
      `To: <${visitorUri}>`,
      'NS: imdn <urn:ietf:params:imdn>',
      'imdn.Message-ID: grouped-1',
      '',
      'Content-Type: multipart/mixed;boundary=grouped',
      '',
      [...sent.map((message) => part(message.id)), '--grouped--', ''].join('\r\n'),
    ].join('\r\n');
    assert.equal(await alice.send(visitorUri, cpim, 'message/cpim'), 200);
    await until(() => sent.every((message) => statuses.some((s) => s.id === message.id && s.status === 'delivered')), 5000, 'both delivered');
    assert.deepEqual(
      messages.filter((m) => m.from === ALICE),
      [],
    );
  });

  it("routes a visitor's URI whatever the case of its host (RFC 3261 section 19.1.4)", async () => {
    const { socket, session } = await connect(t, { siteKey: SITE });
    await untilTeam(socket, 'support', (a) => a.available === true);
    await call(socket, 'conversation:open', { team: 'support' });
    const reply = next(socket, 'message', (m) => m.from === ALICE && m.text === 'Typed with capitals');
    // A phone that keeps the host as its user typed it (SIP.js would lower it).
    const answer = await fromAlice(
      `sip:${session.self.slice(4)}@${VISITOR_DOMAIN.toUpperCase()}`,
      Buffer.from('Typed with capitals'),
      'text/plain;charset=UTF-8',
    );
    assert.equal(answer.statusCode, 200);
    await reply;
  });

  it('takes notifications only from the recipient of the message, not from a user who knows its id', async () => {
    const { socket, opened, visitorUri } = await visitorWithAlice();
    const statuses = collect(socket, 'message:status');
    const ack = await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 's1', text: 'for alice' });
    await alice.next((m) => m.request.from.uri.toString() === visitorUri && m.request.body.endsWith('for alice'));
    const mallory = await connectSipAgent(desk!.kamailio.wsUrl, desk!.kamailio.domain, 'mallory', 'mallorypw');
    try {
      assert.equal(await mallory.send(visitorUri, imdn(ack.message.id, 'display'), 'message/imdn+xml'), 200);
      // Alice's own notification after it: once it counts, mallory's was handled before (one server, in order).
      assert.equal(await alice.send(visitorUri, imdn(ack.message.id, 'delivery'), 'message/imdn+xml'), 200);
      await until(() => statuses.some((s) => s.id === ack.message.id && s.status === 'delivered'), 5000, "alice's delivered");
      assert.equal(
        statuses.some((s) => s.id === ack.message.id && s.status === 'read'),
        false,
      );
    } finally {
      await mallory.stop();
    }
  });

  // Last of this describe: the proxy restarts.
  it("publishes again, once the proxy restarted, what a visitor shows: the agent's watch sees it without a change", async () => {
    const v = await openVisitor(t, { profile: { name: 'Rhea' }, assignee: ALICE });
    const visitorUri = `sip:${v.self.slice(4)}@${VISITOR_DOMAIN}`;
    await sendText(v, 'hello before the restart');
    await alice.next((m) => m.request.body.endsWith('hello before the restart'));
    // Watched first: a PUBLISH the proxy handles beside the SUBSCRIBE (parallel workers) may be in
    // neither the first NOTIFY nor one after it.
    const before = await alice.watch(visitorUri);
    await call(v.socket, 'presence:set', { status: 'away', text: 'brb' });
    await until(() => before.notifications.some((body) => body.includes('brb')), 10_000, "the visitor's presence before").catch((error: Error) => {
      throw new Error(`${error.message}; NOTIFY bodies: ${JSON.stringify(before.notifications)}`);
    });
    await before.stop();
    const { kamailio } = desk!;
    await kamailio.stop();
    await until(() => t.bridge.registry.get('sip')?.status().state !== 'online', 10_000, 'the bridge to notice');
    await kamailio.start();
    await alice.ua.reconnect();
    await alice.register();
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 40_000, 'the bridge to register again');
    // The restarted proxy forgot every publication; the visitor changed nothing since. A watch's
    // first NOTIFY tells what the proxy has now; one made while the bridge's PUBLISH is handled
    // beside it may tell neither, so a new watch asks again until one tells it.
    const seen: string[] = [];
    await until(
      async () => {
        const after = await alice.watch(visitorUri);
        try {
          await until(() => after.notifications.some((body) => body.includes('brb')), 1000, 'brb').catch(() => undefined);
          seen.push(...after.notifications);
          return after.notifications.some((body) => body.includes('brb'));
        } finally {
          await after.stop();
        }
      },
      15_000,
      "the visitor's presence after the restart",
    ).catch((error: Error) => {
      throw new Error(`${error.message}; NOTIFY bodies: ${JSON.stringify(seen)}`);
    });
  });
});
