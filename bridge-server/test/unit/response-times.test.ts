import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import pino from 'pino';
import { ResponseTimes } from '../../src/core/reports/response-times.js';
import type { ConversationRecord } from '../../src/store/store.js';

const conversation: ConversationRecord = {
  id: 'c_1',
  siteKey: 'shop',
  team: 'support',
  openedBy: 'xmpp:dana@example.org',
  participants: ['xmpp:dana@example.org'],
  state: 'open',
  lastSeq: 0,
  createdAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-01-01T10:00:00.000Z',
};
let seq = 0;
/** A message stored on this node, in seq order unless `at` says otherwise. */
const message = (from: string, sentAt: string, at = ++seq) => ({ from: from as Address, sentAt, seq: (seq = at) }) as Message;

/** `slowCustomer`: the customer's message lands in the store only when `land` is called. */
function setup({ slowCustomer = false } = {}) {
  let land = () => {};
  const writes: string[] = [];
  const observed: unknown[][] = [];
  let customerAt: string | null = null;
  let responded = false;
  const times = new ResponseTimes({
    store: {
      markCustomerMessage: (_id, at) => {
        writes.push(`customer ${at}`);
        if (!slowCustomer) return Promise.resolve(void (customerAt ??= at));
        return new Promise<void>((resolve) => (land = () => resolve(void (customerAt ??= at))));
      },
      markAgentResponse: (_id, at) => {
        writes.push(`agent ${at}`);
        if (customerAt === null || responded) return Promise.resolve(null);
        responded = true;
        return Promise.resolve(customerAt);
      },
    },
    teams: { teamsOf: (address) => (address === 'xmpp:alice@example.org' ? [{ id: 'support' }] : []) as never },
    metrics: {
      firstResponseSeconds: { observe: (...args: unknown[]) => observed.push(['first', ...args]) },
      resolutionSeconds: { observe: (...args: unknown[]) => observed.push(['resolution', ...args]) },
      csatRatings: { inc: (...args: unknown[]) => observed.push(['csat', ...args]) },
    } as never,
    logger: pino({ level: 'silent' }),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** The customer's first message, stored by another node. */
  const customerElsewhere = (at: string) => (customerAt ??= at);
  return { times, writes, observed, settle, customerElsewhere, land: () => land() };
}

describe('response times', () => {
  it("records the customer's first message and the first agent answer once; the team's greeting and an integration do not answer", async () => {
    const { times, writes, observed, settle } = setup();
    times.stored(message('team:support', '2026-01-01T10:00:00.000Z'), conversation);
    times.stored(message('xmpp:dana@example.org', '2026-01-01T10:00:10.000Z'), conversation);
    await settle();
    times.stored(message('xmpp:dana@example.org', '2026-01-01T10:00:20.000Z'), conversation);
    times.stored(message('web:i_crm@shop', '2026-01-01T10:00:25.000Z'), conversation);
    times.stored(message('xmpp:alice@example.org', '2026-01-01T10:01:10.000Z'), conversation);
    await settle();
    times.stored(message('web:a_bob@shop', '2026-01-01T10:02:00.000Z'), conversation);
    await settle();
    assert.deepEqual(writes, ['customer 2026-01-01T10:00:10.000Z', 'agent 2026-01-01T10:01:10.000Z'], 'later messages write nothing');
    assert.deepEqual(observed, [['first', { team: 'support', network: 'xmpp' }, 60]]);
  });

  it('asks the store once while no customer message exists, again once the customer writes', async () => {
    const { times, writes, observed, settle } = setup();
    for (const second of ['00', '01', '02']) {
      times.stored(message('xmpp:alice@example.org', `2026-01-01T10:00:${second}.000Z`), conversation);
      await settle();
    }
    times.stored(message('team:support', '2026-01-01T10:00:03.000Z'), conversation);
    times.stored(message('web:a_bob@shop', '2026-01-01T10:00:04.000Z'), conversation);
    await settle();
    assert.deepEqual(writes, ['agent 2026-01-01T10:00:00.000Z'], 'outreach before any customer message asks once');

    times.stored(message('xmpp:dana@example.org', '2026-01-01T10:00:10.000Z'), conversation);
    await settle();
    times.stored(message('xmpp:alice@example.org', '2026-01-01T10:00:40.000Z'), conversation);
    await settle();
    assert.deepEqual(writes.slice(1), ['customer 2026-01-01T10:00:10.000Z', 'agent 2026-01-01T10:00:40.000Z']);
    assert.deepEqual(observed, [['first', { team: 'support', network: 'xmpp' }, 30]]);
  });

  it('asks the store again after a message this node did not store (the customer may have written on another node)', async () => {
    const { times, writes, observed, settle, customerElsewhere } = setup();
    times.stored(message('xmpp:alice@example.org', '2026-01-01T10:00:00.000Z', 1), conversation);
    await settle();
    customerElsewhere('2026-01-01T10:00:10.000Z');
    times.stored(message('xmpp:alice@example.org', '2026-01-01T10:00:20.000Z', 3), conversation);
    await settle();
    assert.deepEqual(writes, ['agent 2026-01-01T10:00:00.000Z', 'agent 2026-01-01T10:00:20.000Z']);
    assert.deepEqual(observed, [['first', { team: 'support', network: 'xmpp' }, 10]]);
  });

  it("does not take an answer for one before any question while the customer's message is being recorded", async () => {
    const { times, writes, observed, settle, land } = setup({ slowCustomer: true });
    times.stored(message('xmpp:dana@example.org', '2026-01-01T10:00:10.000Z'), conversation);
    times.stored(message('xmpp:alice@example.org', '2026-01-01T10:00:20.000Z'), conversation);
    await settle();
    land();
    await settle();
    times.stored(message('xmpp:alice@example.org', '2026-01-01T10:00:30.000Z'), conversation);
    await settle();
    assert.deepEqual(writes, ['customer 2026-01-01T10:00:10.000Z', 'agent 2026-01-01T10:00:20.000Z', 'agent 2026-01-01T10:00:30.000Z']);
    assert.deepEqual(observed, [['first', { team: 'support', network: 'xmpp' }, 20]]);
  });

  it('observes the resolution at a close and counts ratings', () => {
    const { times, observed } = setup();
    times.closed({ ...conversation, updatedAt: '2026-01-01T11:00:00.000Z' });
    times.rated(conversation, 4);
    assert.deepEqual(observed, [
      ['resolution', { team: 'support', network: 'xmpp' }, 3600],
      ['csat', { team: 'support', rating: '4' }],
    ]);
  });
});
