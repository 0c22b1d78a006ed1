// The handover to an agent on an outbox network: the store is asked to mark it joining with its
// assignment (and only then), and its catch-up queues what was said before, only while the mark
// is there, tried again after a failure. With a real store: two handovers racing to the same
// agent queue everything once, in order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { Handover, type HandoverDeps } from '../../src/core/desk/handover.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ConversationRecord } from '../../src/store/store.js';
import { schemeRegistry as registry, sendQueued, silent as logger, visitorSays } from '../handover-desk.js';

const AGENT = 'xmpp:alice@example.test' as Address;
const WEB_AGENT = 'web:a_bob@shop' as Address;
const VISITOR = 'web:v_1' as Address;

const handover = (deps: Partial<HandoverDeps> = {}) =>
  new Handover({ store: {} as never, registry, logger, refs: {} as never, kickOutbox: () => undefined, hosted: {} as never, ...deps });
const record = { id: 'c_1' } as ConversationRecord;

describe('the handover to an agent', () => {
  it('asks the store to mark an agent on an outbox network joining with its assignment, not one reading from the store', async () => {
    const asked: object[] = [];
    assert.equal(await handover().assign(AGENT, async (options) => (asked.push(options), record)), record);
    assert.equal(await handover().assign(WEB_AGENT, async (options) => (asked.push(options), record)), record);
    assert.deepEqual(asked, [{ joining: true }, {}]);
  });

  it('catches up after a failed attempt, only while the mark is there, and looks at the network once something is queued', async () => {
    const asked: unknown[] = [];
    const kicked: string[] = [];
    const store = {
      queueEarlierMessages: async (...args: unknown[]) => {
        asked.push(args);
        if (asked.length === 1) throw new Error('connection lost');
        return 2;
      },
    };
    // No context line on a network without notices: straight to the catch-up.
    await handover({ store: store as never, kickOutbox: (network) => void kicked.push(network) }).to(record, AGENT);
    assert.deepEqual(asked, [
      ['c_1', AGENT, 'xmpp', { joining: true }],
      ['c_1', AGENT, 'xmpp', { joining: true }],
    ]);
    assert.deepEqual(kicked, ['xmpp']);
  });

  it('tries a context line again while its network changes hands (standby, then connecting), and once only on a network merely down', async () => {
    // As this node sees it, each time it looks: held by a node that died, then its own, connecting.
    const states: string[] = ['standby', 'standby', 'standby', 'standby', 'connecting', 'connecting', 'connecting'];
    const sent: string[] = [];
    let state = 'standby';
    const network = {
      scheme: 'xmpp',
      deliversFromStore: false,
      status: () => ({ state: (state = states.shift() ?? 'online') }),
      notice: ({ text }: { text: string }) => {
        // The holder died: the call to it fails until a node holds the network and is online.
        if (state !== 'online') return Promise.reject(new Error('no answer from the holder'));
        sent.push(text);
        return Promise.resolve();
      },
    };
    const deps = {
      registry: { forAddress: () => network } as never,
      store: { getParty: async () => null } as never,
      refs: { refOf: () => 'abc12' } as never,
      hosted: { isHosted: () => true },
      introduceRetry: { forMs: 1_000, everyMs: 10 },
    };
    const conversation = { id: 'c_1', openedBy: VISITOR, team: 'support' } as ConversationRecord;
    // The retries' timers do not hold a process open (a bridge's server does): this test does.
    const running = setInterval(() => undefined, 1_000);
    try {
      assert.equal(await handover(deps).introduce(conversation, AGENT), true);
    } finally {
      clearInterval(running);
    }
    assert.deepEqual(sent, ['#abc12 Visitor (not verified), team support. Reply here; /whois abc12 for more.']);
    // One node, its network down (not changing hands): the line fails at once, as any desk line then.
    let tries = 0;
    states.push('connecting', 'connecting');
    network.notice = () => (tries++, Promise.reject(new Error('down')));
    assert.equal(await handover(deps).introduce(conversation, AGENT), false);
    assert.equal(tries, 0, 'not even tried: a network not running anywhere takes no line');
  });

  it('gives up after three attempts, its mark left for the handover to be finished later', async () => {
    let attempts = 0;
    const store = {
      queueEarlierMessages: async () => {
        attempts += 1;
        throw new Error('connection lost');
      },
    };
    await assert.rejects(handover({ store: store as never }).to(record, AGENT), /connection lost/);
    assert.equal(attempts, 3);
  });

  it('queues everything once and in order when two handovers to the same agent race', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-handover-'));
    const store = new SqliteStore({ path: join(dir, 'store.db') });
    await store.open();
    try {
      const say = visitorSays(store, VISITOR);
      const queued = async () => (await store.pendingOutbox('xmpp', 10)).map((item) => item.message.text);
      const desk = handover({ store });
      const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR, WEB_AGENT], assignee: WEB_AGENT });
      await say(c.id, 'hello');
      // Both transfers were checked against the same snapshot: the second finds the agent has it already.
      const first = await desk.assign(AGENT, (joining) => store.transferConversation(c.id, AGENT, undefined, joining));
      const second = await desk.assign(AGENT, (joining) => store.transferConversation(c.id, AGENT, undefined, joining));
      await say(c.id, 'meanwhile');
      assert.deepEqual(await queued(), [], 'held back while joining');
      await desk.to(first, AGENT);
      // Sent before the second catch-up: queued again, they would go twice.
      const sent = await sendQueued(store);
      await say(c.id, 'between the two catch-ups');
      await desk.to(second, AGENT);
      await say(c.id, 'after');
      assert.deepEqual([...sent, ...(await sendQueued(store))], ['hello', 'meanwhile', 'between the two catch-ups', 'after']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
