// The hostile-input battery on a real bridge: every event of the contract fed malformed payloads,
// frames over the size limit on both transports, and hostile connections flooding junk beside
// honest ones. Counts are modest so that it runs in seconds; each test prints its figures.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLIENT_EVENTS, type ClientEventName, LIMITS, type Message } from '@switchboard/protocol';
import WebSocket from 'ws';
import { SITE, type TestBridge, type V1Socket, agentAuth, call, callUnchecked, connect, emitUnchecked, startBridge, until } from '../helpers.js';

type Kind = 'id' | 'address' | 'text' | 'int' | 'enum' | 'addresses' | 'cursors';

/** A well-formed payload of each event, and the kind of each field (to break it in every way). */
const EVENTS: Record<ClientEventName, { valid: Record<string, unknown>; fields: Record<string, Kind> }> = {
  'conversation:open': { valid: { to: 'web:a_alice' }, fields: { to: 'address', team: 'id' } },
  'conversation:list': { valid: { state: 'open', limit: 5 }, fields: { state: 'enum', limit: 'int' } },
  'conversation:close': { valid: { conversationId: 'c_1' }, fields: { conversationId: 'id' } },
  'message:send': { valid: { conversationId: 'c_1', clientId: 'k1', text: 'hi' }, fields: { conversationId: 'id', clientId: 'id', text: 'text' } },
  'history:get': { valid: { conversationId: 'c_1', afterSeq: 0, limit: 10 }, fields: { conversationId: 'id', afterSeq: 'int', limit: 'int' } },
  sync: { valid: { cursors: { c_1: 0 } }, fields: { cursors: 'cursors' } },
  typing: { valid: { conversationId: 'c_1', state: 'composing' }, fields: { conversationId: 'id', state: 'enum' } },
  read: { valid: { conversationId: 'c_1', seq: 1 }, fields: { conversationId: 'id', seq: 'int' } },
  'presence:subscribe': { valid: { addresses: ['web:a_alice'] }, fields: { addresses: 'addresses', team: 'id' } },
  'presence:set': { valid: { status: 'away', text: 'lunch' }, fields: { status: 'enum', text: 'text' } },
  'profile:update': { valid: { name: 'Ann', email: 'ann@x.test', pageUrl: 'https://shop.test/' }, fields: { name: 'text', email: 'text', pageUrl: 'text' } },
  'party:get': { valid: { address: 'web:a_alice' }, fields: { address: 'address' } },
  'conversation:rate': { valid: { conversationId: 'c_1', rating: 4, comment: 'ok' }, fields: { conversationId: 'id', rating: 'int', comment: 'text' } },
  'agent:command': { valid: { text: '/list' }, fields: { text: 'text' } },
  'continuation:start': { valid: { conversationId: 'c_1', address: 'xmpp:dana@example.org' }, fields: { conversationId: 'id', address: 'address' } },
  'continuation:verify': { valid: { conversationId: 'c_1', code: '123456' }, fields: { conversationId: 'id', code: 'text' } },
  'continuation:stop': { valid: { conversationId: 'c_1' }, fields: { conversationId: 'id' } },
  'continuation:invite': { valid: { conversationId: 'c_1', network: 'xmpp' }, fields: { conversationId: 'id', network: 'text' } },
  'contact:get': { valid: { address: 'xmpp:dana@example.org' }, fields: { address: 'address', contactId: 'id' } },
  'contact:merge': { valid: { contactId: 'k_1', into: 'k_2' }, fields: { contactId: 'id', into: 'id' } },
  'contact:unmerge': { valid: { mergeId: 'm_1' }, fields: { mergeId: 'id' } },
  'file:link': { valid: { fileId: 'f_1', variant: 'thumbnail' }, fields: { fileId: 'id', variant: 'enum' } },
  'inbox:list': { valid: { view: 'open', team: 'support', limit: 10, sort: 'updated' }, fields: { view: 'enum', team: 'id', limit: 'int', sort: 'enum' } },
  'inbox:counts': { valid: { team: 'support' }, fields: { team: 'id' } },
  'inbox:search': { valid: { query: 'parcel', limit: 5 }, fields: { query: 'text', limit: 'int' } },
  'conversation:claim': { valid: { conversationId: 'c_1' }, fields: { conversationId: 'id' } },
  'conversation:transfer': { valid: { conversationId: 'c_1', to: { team: 'support' } }, fields: { conversationId: 'id' } },
  'desk:directory': { valid: {}, fields: {} },
  'canned:list': { valid: { team: 'support' }, fields: { team: 'id' } },
  'note:add': { valid: { conversationId: 'c_1', text: 'a note', clientId: 'n1' }, fields: { conversationId: 'id', text: 'text', clientId: 'id' } },
  'note:list': { valid: { conversationId: 'c_1' }, fields: { conversationId: 'id' } },
  'report:get': { valid: { from: '2026-01-01', to: '2026-01-31', by: 'team' }, fields: { from: 'text', to: 'text', by: 'enum' } },
};

/** Nested arrays `depth` deep, as JSON would carry them. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const huge = 'x'.repeat(LIMITS.maxPayloadBytes - 4096);
const ANY_BAD: unknown[] = [null, true, {} /* index 2 */, { nested: nested(3) }, nested(2000), Buffer.from([0, 1, 2, 0xff])];
const BAD_BY_KIND: Record<Kind, unknown[]> = {
  id: [42, '', 'x'.repeat(LIMITS.maxIdLength + 1), ['c_1'], 'c\uD800', huge],
  address: [42, 'no scheme', 'web:', 'web:a b', 'web:' + 'x'.repeat(600), 'web:a_\uDC00', huge],
  text: [42, ['hi'], 'a\uD800b', '\uDFFF'],
  int: ['1', -1, 1.5, 1e309, Number.NaN, [1]],
  enum: ['bogus', 1, 'OPEN'],
  addresses: ['web:a_alice', [42], [null], ['bad address'], Array.from({ length: LIMITS.maxPresenceAddresses + 1 }, (_, i) => `web:a_${i}`)],
  cursors: [[], { c_1: 'one' }, { c_1: -1 }, { c_1: 1.5 }, { '': 1 }],
};
/** Whole payloads that are not an object of the contract, for every event. */
const NOT_PAYLOADS: unknown[] = [undefined, null, 0, 'a string', true, [], [{}], Buffer.from('binary'), nested(500)];
/** Keys of prototype pollution, as a JSON text carries them (own keys, not prototypes). */
const POLLUTED = ['{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"a":{"b":{"__proto__":{"polluted":true}}}}'];

function malformed(event: ClientEventName): { label: string; payload: unknown; missing?: boolean }[] {
  const { valid, fields } = EVENTS[event];
  const cases: { label: string; payload: unknown; missing?: boolean }[] = NOT_PAYLOADS.map((payload, i) => ({
    label: `payload #${i}`,
    payload,
    missing: payload === undefined,
  }));
  for (const [field, kind] of Object.entries(fields)) {
    for (const [i, bad] of [...ANY_BAD, ...BAD_BY_KIND[kind]].entries()) {
      // `{}` is a wrong type for every field but a map of cursors, where it is simply empty.
      if (kind === 'cursors' && i === 2) continue;
      cases.push({ label: `${field} #${i}`, payload: { ...valid, [field]: bad } });
    }
  }
  for (const [i, json] of POLLUTED.entries()) cases.push({ label: `polluted #${i}`, payload: { ...JSON.parse(json), ...valid } });
  return cases;
}

/** `conversation:list` and `desk:directory` take a missing payload as `{}`; every other event needs one. */
const MISSING_PAYLOAD_OK = new Set<string>(['conversation:list', 'desk:directory']);

describe('battery: malformed payloads for every event of the contract', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it('answers each with bad_request (never ok, never a crash); the connection and the bridge keep serving', async (context) => {
    const { socket } = await connect(t, agentAuth('alice'));
    const disconnects: string[] = [];
    socket.on('disconnect', (reason) => disconnects.push(reason));
    const figures = { tried: 0, accepted: 0, refused: 0, crashed: 0, other: [] as string[] };
    for (const event of CLIENT_EVENTS) {
      for (const { label, payload, missing } of malformed(event)) {
        if (missing && MISSING_PAYLOAD_OK.has(event)) continue;
        figures.tried++;
        const result = missing ? await callUnchecked(socket, event) : await callUnchecked(socket, event, payload);
        if (result.ok) {
          figures.accepted++;
          figures.other.push(`${event} ${label}: accepted`);
        } else if (
          result.error.code === 'bad_request' ||
          result.error.code === 'rate_limited' ||
          (event === 'message:send' && result.error.code === 'too_large')
        )
          figures.refused++;
        else figures.other.push(`${event} ${label}: ${result.error.code}`);
      }
    }
    const health = await fetch(`${t.url}/healthz`);
    if (health.status !== 200) figures.crashed++;
    figures.crashed += disconnects.length;
    context.diagnostic(`malformed payloads: tried ${figures.tried}, accepted ${figures.accepted}, refused ${figures.refused}, crashed ${figures.crashed}`);
    assert.deepEqual(figures.other, []);
    assert.equal(figures.accepted, 0);
    assert.equal(figures.refused, figures.tried);
    assert.equal(figures.crashed, 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
    // An honest request afterwards, on the same connection and on a new one.
    assert.equal((await call(socket, 'conversation:list', {})).ok, true);
    const visitor = await connect(t, { siteKey: SITE });
    const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
    assert.equal((await call(visitor.socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'after', text: 'still fine' })).ok, true);
  });

  it('drops a frame over the limit on either transport, and only that connection', async (context) => {
    const bystander = (await connect(t, agentAuth('bob'))).socket;
    const reasons: string[] = [];
    for (const transports of [['websocket'], ['polling']] as ('websocket' | 'polling')[][]) {
      const offender = (await connect(t, { siteKey: SITE }, { transports })).socket;
      const closed = new Promise<string>((resolve) => offender.once('disconnect', resolve));
      emitUnchecked(offender, 'message:send', { conversationId: 'c', clientId: 'huge', text: 'x'.repeat(LIMITS.maxPayloadBytes + 10) });
      reasons.push(`${transports[0]}: ${await closed}`);
    }
    // A raw WebSocket frame over the limit, below socket.io.
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await new Promise((resolve) => ws.once('message', resolve));
    const wsClosed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(`42/v1,["message:send","${'y'.repeat(LIMITS.maxPayloadBytes * 2)}"]`);
    reasons.push(`raw frame: close ${await wsClosed}`);
    context.diagnostic(`oversized frames dropped: ${reasons.join('; ')}`);
    for (const reason of reasons.slice(0, 2)) assert.match(reason, /transport (close|error)/);
    assert.equal((await call(bystander, 'conversation:list', {})).ok, true);
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
  });
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('battery: hostile connections beside honest ones', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge({ limits: { ratePerSecond: 200, burst: 200 } });
  });
  after(() => t.stop());

  const HONEST = 4;
  const PER_HONEST = 50;
  const HOSTILE = 12;

  let agent: V1Socket;
  const arrival = new Map<string, number>();
  const received: string[] = [];
  before(async () => {
    agent = (await connect(t, agentAuth('alice'))).socket;
    agent.on('message', (message: Message, ack?: () => void) => {
      ack?.();
      received.push(message.id);
      if (!arrival.has(message.id)) arrival.set(message.id, performance.now());
    });
  });

  /** HONEST visitors each send PER_HONEST messages to the team; resolves with the latencies, send to agent. */
  async function honestRound(round: string): Promise<{ latencies: number[]; lost: number; doubled: number }> {
    const sentAt = new Map<string, number>();
    const acked: Message[] = [];
    await Promise.all(
      Array.from({ length: HONEST }, async (_, v) => {
        const visitor = (await connect(t, { siteKey: SITE })).socket;
        const conversationId = (await call(visitor, 'conversation:open', { team: 'support' })).conversation.id;
        for (let i = 0; i < PER_HONEST; i++) {
          const started = performance.now();
          const result = await call(visitor, 'message:send', { conversationId, clientId: `${round}-${v}-${i}`, text: `honest ${v}/${i}` });
          assert.equal(result.ok, true, `honest send: ${JSON.stringify(result.error)}`);
          sentAt.set(result.message.id, started);
          acked.push(result.message);
        }
      }),
    );
    await until(() => acked.every((m) => arrival.has(m.id)), 30_000, 'every honest message at the agent');
    const mine = new Set(acked.map((m) => m.id));
    const seen = received.filter((id) => mine.has(id));
    return {
      latencies: acked.map((m) => arrival.get(m.id)! - sentAt.get(m.id)!),
      lost: acked.filter((m) => !arrival.has(m.id)).length,
      doubled: seen.length - new Set(seen).size,
    };
  }

  it('keeps every honest message, once, while hostile sockets flood junk; prints the honest p99 with and without them', async (context) => {
    const quiet = await honestRound('quiet');

    const hostiles: V1Socket[] = await Promise.all(Array.from({ length: HOSTILE }, async () => (await connect(t, { siteKey: SITE })).socket));
    let junk = 0;
    const junkPayloads: [string, unknown][] = [
      ['no-such-event', { a: 1 }],
      ['message:send', { conversationId: 42, text: null }],
      ['sync', { cursors: nested(200) }],
      ['profile:update', { name: 'x\uD800' }],
      ['history:get', JSON.parse('{"__proto__":{"polluted":true}}')],
      ['typing', Buffer.from([1, 2, 3])],
    ];
    let flooding = true;
    const flood = setInterval(() => {
      if (!flooding) return;
      for (const socket of hostiles) {
        for (let i = 0; i < 25; i++) {
          const [event, payload] = junkPayloads[junk++ % junkPayloads.length]!;
          (socket as unknown as { emit(e: string, ...a: unknown[]): void }).emit(event, payload, () => undefined);
        }
      }
    }, 5);
    let loud: Awaited<ReturnType<typeof honestRound>>;
    try {
      loud = await honestRound('loud');
    } finally {
      flooding = false;
      clearInterval(flood);
    }
    const figures = {
      quietP99: percentile(quiet.latencies, 99),
      loudP99: percentile(loud.latencies, 99),
      quietP50: percentile(quiet.latencies, 50),
      loudP50: percentile(loud.latencies, 50),
    };
    context.diagnostic(
      `honest ${HONEST}x${PER_HONEST} messages beside ${HOSTILE} hostile sockets (${junk} junk events): ` +
        `p50 ${figures.quietP50.toFixed(1)} ms -> ${figures.loudP50.toFixed(1)} ms, p99 ${figures.quietP99.toFixed(1)} ms -> ${figures.loudP99.toFixed(1)} ms; ` +
        `lost ${quiet.lost + loud.lost}, doubled ${quiet.doubled + loud.doubled}`,
    );
    assert.equal(quiet.lost + loud.lost, 0);
    assert.equal(quiet.doubled + loud.doubled, 0);
    assert.ok(figures.loudP99 < 5000, 'a generous bound: honest messages still arrive within seconds');
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    for (const socket of hostiles) assert.equal(socket.connected, true, 'junk is answered, not a reason to crash');
  });
});
