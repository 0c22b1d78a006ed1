// Long texts on SIP (docs/networks/sip.md, "Long texts"): a text whose MESSAGE would exceed 1300
// bytes (RFC 3428 section 8) goes as several, cut at paragraph, line, word, then grapheme
// boundaries, sent in order, each after the one before was accepted; the text is `sent` only when
// every part is, a part refused fails it, and a retry never sends a part again.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import type { UserAgent } from 'sip.js';
import * as ws from 'ws';
import type WebSocket from 'ws';
import { NetworkError } from '../../src/networks/network.js';
import type { InboundSink } from '../../src/networks/network.js';
import { VisitorDomain } from '../../src/networks/sip/addresses.js';
import { CONTENT_TYPES, cpimWithImdn, parseCpim } from '../../src/networks/sip/bodies.js';
import { sipNetworkConfigSchema } from '../../src/networks/sip/config.js';
import { type OutgoingMessage, SipMessenger, failure } from '../../src/networks/sip/outgoing.js';
import { MAX_REQUEST_BYTES, PROXY_ALLOWANCE } from '../../src/networks/sip/request-size.js';
import { SipSession } from '../../src/networks/sip/session.js';
import { SipTexts, cpimParts } from '../../src/networks/sip/text-messages.js';
import { splitText } from '../../src/networks/sip/text-parts.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** The offsets (UTF-16) between the graphemes of a text. */
const graphemeBoundaries = (text: string) => new Set([...segmenter.segment(text)].map(({ index }) => index).concat(text.length));
/** The offsets where parts meet. */
const cuts = (parts: readonly string[]) => parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('').length);

describe('SIP long texts: where a text is cut', () => {
  it('leaves a text that fits whole', () => {
    assert.deepEqual(splitText('Hello', 5), ['Hello']);
    assert.deepEqual(splitText('', 100), ['']);
    assert.deepEqual(splitText('\u00e9\u00e9', 4), ['\u00e9\u00e9'], 'bytes, not characters');
  });

  it('cuts into parts within the budget whose concatenation is the text, only between graphemes (property)', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: 'grapheme-composite', maxLength: 300 }),
      fc
        .array(
          fc.constantFrom('word', ' ', '\n', '\r\n', '\n\n', '\u00e9', 'e\u0301', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', '\u{1F1EB}\u{1F1F7}', '\u4F60'),
          {
            maxLength: 200,
          },
        )
        .map((units) => units.join('')),
    );
    fc.assert(
      fc.property(texts, fc.integer({ min: 25, max: 120 }), (text, budget) => {
        const parts = splitText(text, budget);
        assert.equal(parts.join(''), text);
        const boundaries = graphemeBoundaries(text);
        for (const part of parts) {
          assert.ok(bytes(part) <= budget, `${bytes(part)} bytes > ${budget}`);
          assert.ok(part.length > 0 || text === '');
          assert.ok(part.isWellFormed(), 'no UTF-16 surrogate pair (so no UTF-8 sequence) is cut');
        }
        for (const cut of cuts(parts)) assert.ok(boundaries.has(cut), `a cut at ${cut} inside a grapheme`);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts after a paragraph break, else a line break, else a blank, when that keeps half the budget', () => {
    const paragraph = `${'a'.repeat(30)}\n${'b'.repeat(30)}`;
    assert.deepEqual(splitText(`${paragraph}\n\n${'c '.repeat(20)}`, 80), [`${paragraph}\n\n`, 'c '.repeat(20)], 'after the blank line, not the line break');
    assert.deepEqual(splitText(`${'word '.repeat(8)}\n${'next '.repeat(8)}`, 50), [`${'word '.repeat(8)}\n`, 'next '.repeat(8)], 'after the line break');
    assert.deepEqual(splitText('one two three four five six', 12), ['one two ', 'three four ', 'five six'], 'after a blank, never inside a word');
    assert.deepEqual(splitText(`${'x'.repeat(38)}\n\n${'y'.repeat(60)}`, 40), [`${'x'.repeat(38)}\n\n`, 'y'.repeat(40), 'y'.repeat(20)]);
    // A break early in the part would leave it nearly empty: the part is filled and cut inside the word.
    assert.deepEqual(splitText(`ab\n\n${'z'.repeat(60)}`, 40), [`ab\n\n${'z'.repeat(36)}`, 'z'.repeat(24)]);
    assert.deepEqual(
      splitText('a\u00a0b '.repeat(10), 12),
      ['a\u00a0b a\u00a0b ', 'a\u00a0b a\u00a0b ', 'a\u00a0b a\u00a0b ', 'a\u00a0b a\u00a0b ', 'a\u00a0b a\u00a0b '],
      'not at a no-break space',
    );
  });

  it('keeps emoji sequences, flags, combining marks and CR LF whole', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'; // 25 bytes
    assert.deepEqual(splitText(family.repeat(4), 60), [family.repeat(2), family.repeat(2)]);
    assert.deepEqual(splitText('\u{1F1EB}\u{1F1F7}'.repeat(5), 20), ['\u{1F1EB}\u{1F1F7}'.repeat(2), '\u{1F1EB}\u{1F1F7}'.repeat(2), '\u{1F1EB}\u{1F1F7}']);
    assert.deepEqual(splitText('e\u0301'.repeat(6), 7), ['e\u0301e\u0301', 'e\u0301e\u0301', 'e\u0301e\u0301']);
    assert.deepEqual(splitText('ab\r\n'.repeat(3), 5), ['ab\r\n', 'ab\r\n', 'ab\r\n']);
  });

  it('cuts a grapheme larger than the budget between its code points, and refuses a budget below a code point', () => {
    const zalgo = `e${'\u0301'.repeat(100)}`;
    const parts = splitText(zalgo, 16);
    assert.equal(parts.join(''), zalgo);
    for (const part of parts) assert.ok(bytes(part) <= 16 && part.isWellFormed());
    assert.throws(() => splitText('abcdef', 3), RangeError);
  });
});

/** A messenger that records each MESSAGE; each answer is the test's to give (`answer`), in turn. */
function fakeMessenger(frame = { headers: 400, credentials: 300 }) {
  const sent: OutgoingMessage[] = [];
  const pending: { resolve(): void; reject(error: unknown): void }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const messenger = {
    frame: () => frame,
    send(message: OutgoingMessage) {
      sent.push(message);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject })).finally(() => inFlight--);
    },
  };
  return {
    texts: new SipTexts(messenger),
    sent,
    mostInFlight: () => mostInFlight,
    /** Answers the oldest MESSAGE waiting: accepted, or refused with `error`. */
    answer: async (error?: unknown) => {
      await until(() => pending.length > 0);
      const next = pending.shift()!;
      if (error) next.reject(error);
      else next.resolve();
    },
    /** Accepts every MESSAGE from now on, until `settled` ends. */
    acceptAll: async (settled: Promise<unknown>) => {
      let done = false;
      void settled.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        if (pending.length > 0) pending.shift()!.resolve();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 1000) throw new Error('timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const TO = 'sip:alice@example.org';
const longText = (paragraphs: number) =>
  Array.from({ length: paragraphs }, (_, i) => `Paragraph ${i}: ${'lorem ipsum d\u00f6lor sit \u{1F600} amet, '.repeat(8)}`).join('\n\n');

describe('SIP long texts: sent as MESSAGEs in order', () => {
  it('sends a text that fits as one MESSAGE, as before: the text as the body, or the CPIM of it', async () => {
    const plain = fakeMessenger();
    const done = plain.texts.send({ from: 'web:v_1', fromName: 'Dana', to: TO, text: 'Hello there', key: 'm_1 sip:alice@example.org' });
    await plain.answer();
    await done;
    assert.deepEqual(plain.sent, [{ from: 'web:v_1', fromName: 'Dana', to: TO, body: 'Hello there', contentType: CONTENT_TYPES.text }]);

    const cpim = fakeMessenger();
    const date = new Date(0);
    const wrap = cpimParts({ from: 'sip:v_1@web.example.org', to: TO, messageId: 'm_1', date });
    const wrapped = cpim.texts.send({ from: 'web:v_1', to: TO, text: 'Hello there', wrap });
    await cpim.answer();
    await wrapped;
    assert.deepEqual(cpim.sent, [
      {
        from: 'web:v_1',
        to: TO,
        body: cpimWithImdn({ from: 'sip:v_1@web.example.org', to: TO, messageId: 'm_1', text: 'Hello there', date }),
        contentType: CONTENT_TYPES.cpim,
      },
    ]);
  });

  it('sends a long text as parts within the room, one at a time, and resolves once the last is accepted', async () => {
    const frame = { headers: 400, credentials: 300 };
    const { texts, sent, mostInFlight, answer } = fakeMessenger(frame);
    const text = longText(12);
    let resolved = false;
    const done = texts.send({ from: 'web:v_1', to: TO, text }).then(() => (resolved = true));
    await answer();
    await until(() => sent.length === 2);
    assert.equal(sent.length, 2, 'the second part goes once the first is accepted');
    while (!resolved) {
      const count = sent.length;
      await answer();
      await until(() => resolved || sent.length > count);
    }
    await done;
    assert.equal(mostInFlight(), 1, 'never two parts in flight');
    assert.ok(sent.length > 1);
    assert.equal(sent.map((message) => message.body).join(''), text);
    for (const message of sent) assert.ok(frame.headers + frame.credentials + bytes(message.body) <= MAX_REQUEST_BYTES);
  });

  it('fails the text when a part is refused for good, saying which part, and sends no more', async () => {
    const { texts, sent, answer } = fakeMessenger();
    const done = texts.send({ from: 'web:v_1', to: TO, text: longText(12), key: 'm_2 sip:alice@example.org' });
    await answer();
    await answer(failure(403, 'Forbidden'));
    const error = await done.then(
      () => assert.fail('the text was sent'),
      (error: unknown) => error,
    );
    assert.ok(error instanceof NetworkError);
    assert.equal(error.retryable, false);
    assert.equal(error.code, 'forbidden');
    assert.match(error.message, /^SIP 403 Forbidden \(part 2 of \d+\)$/);
    assert.equal(sent.length, 2);
  });

  it("sends, on the outbox's next try, only the parts the recipient did not accept", async () => {
    const messenger = fakeMessenger();
    const text = longText(12);
    const key = 'm_3 sip:alice@example.org';
    const first = messenger.texts.send({ from: 'web:v_1', to: TO, text, key });
    await messenger.answer();
    await messenger.answer(failure(503, 'Service Unavailable'));
    const error = await first.then(
      () => assert.fail('the text was sent'),
      (error: unknown) => error,
    );
    assert.ok(error instanceof NetworkError && error.retryable, 'retryable: the outbox tries again');
    const [accepted, refused] = messenger.sent.map((message) => message.body);

    const second = messenger.texts.send({ from: 'web:v_1', to: TO, text, key });
    await messenger.acceptAll(second);
    await second;
    const bodies = messenger.sent.map((message) => message.body);
    assert.equal(bodies[2], refused, 'the try starts with the part that was refused');
    assert.equal(accepted! + bodies.slice(2).join(''), text, 'the accepted part is not sent again');

    // Another recipient of the same message (another key) gets it whole.
    const other = fakeMessenger();
    const third = other.texts.send({ from: 'web:v_1', to: TO, text, key: 'm_3 sip:bob@example.org' });
    await other.acceptAll(third);
    await third;
    assert.equal(other.sent.map((message) => message.body).join(''), text);
  });

  it('wraps each part in CPIM: the last carries the message id and asks for notifications, the others ids of their own', async () => {
    const { texts, sent, acceptAll } = fakeMessenger();
    const text = longText(12);
    const wrap = cpimParts({ from: 'sip:v_1@web.example.org', to: TO, messageId: 'm_4', date: new Date(0) });
    const done = texts.send({ from: 'web:v_1', to: TO, text, wrap });
    await acceptAll(done);
    await done;
    const parts = sent.map((message) => parseCpim(message.body)!);
    assert.ok(parts.length > 1);
    assert.ok(sent.every((message) => message.contentType === CONTENT_TYPES.cpim));
    assert.equal(parts.map((part) => part.body).join(''), text);
    assert.deepEqual(
      parts.map((part) => part.headers.get('imdn.message-id')),
      parts.map((_, i) => (i === parts.length - 1 ? 'm_4' : `m_4.${i + 1}`)),
    );
    assert.deepEqual(
      parts.map((part) => part.headers.get('imdn.disposition-notification')),
      parts.map((_, i) => (i === parts.length - 1 ? 'positive-delivery, display' : undefined)),
    );
    for (const message of sent) assert.ok(400 + 300 + bytes(message.body) <= MAX_REQUEST_BYTES, 'the CPIM wrapping counted');
  });
});

// ws 8 at run time, typed by @types/ws 7, whose server class is `Server`.
const { WebSocketServer } = ws as unknown as { WebSocketServer: typeof WebSocket.Server };

/**
 * A stand-in SIP proxy over WebSocket (RFC 7118) that challenges every MESSAGE (407, with a long
 * nonce and an opaque) and accepts it once it carries credentials, keeping that request as sent.
 */
async function challengingProxy() {
  const accepted: string[] = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'sip' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket: WebSocket) => {
    socket.on('message', (data: Buffer) => {
      const request = data.toString('utf8');
      if (!request.startsWith('MESSAGE ')) return;
      const head = request.slice(0, request.indexOf('\r\n\r\n')).split('\r\n');
      const header = (name: string) => head.filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      const challenged = header('Proxy-Authorization').length === 0;
      if (!challenged) accepted.push(request);
      const answer = [
        challenged ? 'SIP/2.0 407 Proxy Authentication Required' : 'SIP/2.0 200 OK',
        ...header('Via'),
        ...header('From'),
        `${header('To')[0]!};tag=proxy`,
        ...header('Call-ID'),
        ...header('CSeq'),
        ...(challenged
          ? [`Proxy-Authenticate: Digest realm="example.org", nonce="${'n'.repeat(64)}", opaque="${'o'.repeat(32)}", qop="auth", algorithm=MD5`]
          : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(answer);
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('SIP long texts: the requests on the wire', () => {
  let proxy: Awaited<ReturnType<typeof challengingProxy>>;
  let ua: UserAgent;
  let texts: SipTexts;

  before(async () => {
    proxy = await challengingProxy();
    const config = sipNetworkConfigSchema.parse({
      type: 'sip',
      server: proxy.url,
      domain: 'example.org',
      username: 'switchboard',
      password: 'x',
      visitorDomain: 'web.example.org',
    });
    const session = new SipSession({
      config,
      sink: { status() {} } as unknown as InboundSink,
      logger: pino({ level: 'silent' }),
      onMessage() {},
      onOnline() {},
      onOffline() {},
    });
    ua = session.ua;
    await ua.start();
    const online = { ua, assertOnline: () => undefined } as unknown as SipSession;
    texts = new SipTexts(new SipMessenger(online, new VisitorDomain('web.example.org', hosted)));
  });
  after(async () => {
    await ua?.stop();
    await proxy?.close();
  });

  /**
   * The accepted requests' bodies, each request's size as the bridge sent it (its credentials in),
   * and as a proxy relays it: the credentials it checked removed, its own additions made.
   */
  const sentSince = (mark: number) =>
    proxy.accepted.slice(mark).map((request) => ({
      sent: bytes(request),
      relayed: bytes(request.replace(/^Proxy-Authorization:.*\r\n/im, '')) + PROXY_ALLOWANCE,
      body: request.slice(request.indexOf('\r\n\r\n') + 4),
    }));
  const withinLimit = (requests: ReturnType<typeof sentSince>) => {
    for (const { sent, relayed } of requests) {
      assert.ok(sent <= MAX_REQUEST_BYTES, `${sent} bytes sent`);
      assert.ok(relayed <= MAX_REQUEST_BYTES, `${relayed} bytes relayed`);
    }
  };

  it('keeps every request within 1300 bytes, headers included: with its credentials, and as a proxy relays it', async () => {
    const mark = proxy.accepted.length;
    const text = longText(10);
    // Longer headers than most: a verified user's long URI, a display name of 64 three-byte characters, a hop marker.
    const from = `web:u_${'long.user.name'.repeat(4)}@shop.example` as const;
    await texts.send({ from, fromName: '\u20AC'.repeat(64), to: `sip:${'agent'.repeat(6)}@example.org`, text, via: ['bridge-a', 'bridge-b'] });
    const requests = sentSince(mark);
    assert.ok(requests.length > 1);
    assert.equal(requests.map(({ body }) => body).join(''), text);
    withinLimit(requests);
  });

  it('counts the CPIM wrapping of each part', async () => {
    const mark = proxy.accepted.length;
    const text = longText(10);
    const wrap = cpimParts({ from: 'sip:v_1@web.example.org', to: TO, messageId: 'm_5', date: new Date(0) });
    await texts.send({ from: 'web:v_1', fromName: 'Dana', to: TO, text, wrap });
    const requests = sentSince(mark);
    assert.ok(requests.length > 1);
    assert.equal(requests.map(({ body }) => parseCpim(body)!.body).join(''), text);
    withinLimit(requests);
  });

  it('sends a short text as one request with the text as its body', async () => {
    const mark = proxy.accepted.length;
    await texts.send({ from: 'web:v_1', fromName: 'Dana', to: TO, text: 'Hi \u{1F600}' });
    const requests = sentSince(mark);
    assert.deepEqual(
      requests.map(({ body }) => body),
      ['Hi \u{1F600}'],
    );
  });
});
