// An agent being handed a conversation is left out of the outbox recipients of what is said from
// its assignment until its catch-up (which queues that, in order), and only while it is joining:
// with two handovers racing, until both are done; a mark left by a handover that never ended,
// for HELD_AT_MOST_MS at most (its store mark is claimed before then). The handover marks it as
// the store is asked to assign it, and holds it back again when its catch-up fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import { HELD_AT_MOST_MS, Handover, type HandoverDeps, JoiningParties } from '../../src/core/desk/handover.js';
import { FanOut } from '../../src/core/fan-out.js';
import type { NetworkRegistry } from '../../src/networks/registry.js';
import type { ConversationRecord } from '../../src/store/store.js';

const AGENT = 'xmpp:alice@example.test' as Address;
const VISITOR = 'web:v_1' as Address;

const registry = {
  forAddress: (address: Address) => ({ scheme: address.split(':')[0]!, deliversFromStore: address.startsWith('web:') }),
} as unknown as NetworkRegistry;

const PARTICIPANTS = [VISITOR, AGENT];

function fanOutWith(joining: JoiningParties): FanOut {
  return new FanOut({ registry, hub: {} as never, logger: pino({ level: 'silent' }), metrics: {} as never, kickOutbox: () => undefined, joining });
}

describe('parties joining a conversation', () => {
  it('are no outbox recipient while joining, and are again once the catch-up is asked for', () => {
    const joining = new JoiningParties();
    const fanOut = fanOutWith(joining);
    assert.deepEqual(fanOut.outboxRecipients('c_1', PARTICIPANTS, VISITOR), [{ recipient: AGENT, network: 'xmpp' }]);
    joining.add('c_1', AGENT);
    assert.deepEqual(fanOut.outboxRecipients('c_1', PARTICIPANTS, VISITOR), []);
    assert.deepEqual(fanOut.outboxRecipients('c_2', PARTICIPANTS, VISITOR), [{ recipient: AGENT, network: 'xmpp' }], 'another conversation');
    joining.delete('c_1', AGENT);
    assert.deepEqual(fanOut.outboxRecipients('c_1', PARTICIPANTS, VISITOR), [{ recipient: AGENT, network: 'xmpp' }]);
  });

  it('stay joining until every handover racing for them is done', () => {
    const joining = new JoiningParties();
    joining.add('c_1', AGENT);
    joining.add('c_1', AGENT);
    joining.delete('c_1', AGENT);
    assert.equal(joining.has('c_1', AGENT), true);
    joining.delete('c_1', AGENT);
    assert.equal(joining.has('c_1', AGENT), false);
  });

  it('stop being held back once their mark is HELD_AT_MOST_MS old (a handover that never ended)', () => {
    let now = 1000;
    const joining = new JoiningParties(() => now);
    joining.add('c_1', AGENT);
    now += HELD_AT_MOST_MS - 1;
    assert.equal(joining.has('c_1', AGENT), true);
    now += 1;
    assert.equal(joining.has('c_1', AGENT), false);
    // Marked again later (a handover back to it): one catch-up ends it, the old mark counting no more.
    joining.add('c_1', AGENT);
    now += HELD_AT_MOST_MS;
    joining.add('c_1', AGENT);
    joining.delete('c_1', AGENT);
    assert.equal(joining.has('c_1', AGENT), false);
  });

  it('held again (a handover to be finished later), anew, and ended by one catch-up', () => {
    let now = 1000;
    const joining = new JoiningParties(() => now);
    joining.hold('c_1', AGENT);
    assert.equal(joining.has('c_1', AGENT), true);
    joining.add('c_1', AGENT);
    now += HELD_AT_MOST_MS - 1;
    joining.hold('c_1', AGENT);
    now += HELD_AT_MOST_MS - 1;
    assert.equal(joining.has('c_1', AGENT), true, 'held anew from the last hold');
    joining.delete('c_1', AGENT);
    joining.hold('c_1', AGENT);
    joining.delete('c_1', AGENT);
    assert.equal(joining.has('c_1', AGENT), false);
  });

  describe('marked by the handover as the store is asked to assign them', () => {
    const WEB_AGENT = 'web:a_bob@shop' as Address;
    const handover = (joining: JoiningParties, deps: Partial<HandoverDeps> = {}) =>
      new Handover({
        store: {} as never,
        registry,
        logger: pino({ level: 'silent' }),
        refs: {} as never,
        kickOutbox: () => undefined,
        hosted: {} as never,
        joining,
        ...deps,
      });
    const record = { id: 'c_1' } as ConversationRecord;

    it('an agent on an outbox network, from the same turn, and in the assignment (for the other nodes)', async () => {
      const joining = new JoiningParties();
      const asked: { joining?: boolean; marked: boolean }[] = [];
      const assigned = await handover(joining).assign('c_1', AGENT, async (options) => {
        asked.push({ ...options, marked: joining.has('c_1', AGENT) });
        return record;
      });
      assert.equal(assigned, record);
      assert.deepEqual(asked, [{ joining: true, marked: true }]);
      assert.equal(joining.has('c_1', AGENT), true, 'until the catch-up');
    });

    it('not an agent reading from the store, nor one the store did not assign, nor after a failed assignment', async () => {
      const joining = new JoiningParties();
      const asked: { joining?: boolean }[] = [];
      await handover(joining).assign('c_1', WEB_AGENT, async (options) => (asked.push(options), record));
      assert.deepEqual(asked, [{}]);
      assert.equal(joining.has('c_1', WEB_AGENT), false);
      assert.equal(await handover(joining).assign('c_1', AGENT, async () => null), null);
      assert.equal(joining.has('c_1', AGENT), false, 'taken by someone else');
      await assert.rejects(
        handover(joining).assign('c_1', AGENT, () => Promise.reject(new Error('store down'))),
        /store down/,
      );
      assert.equal(joining.has('c_1', AGENT), false, 'the assignment failed');
    });

    it('caught up after a failed attempt: the history is queued and its network looked at', async () => {
      const joining = new JoiningParties();
      let attempts = 0;
      const kicked: string[] = [];
      const store = {
        queueEarlierMessages: async () => {
          if (++attempts === 1) throw new Error('connection lost');
          return 2;
        },
      };
      const caughtUp = handover(joining, { store: store as never, kickOutbox: (network) => void kicked.push(network) });
      await caughtUp.assign('c_1', AGENT, async () => record);
      // No context line on a network without notices: straight to the catch-up.
      await caughtUp.to(record, AGENT);
      assert.equal(attempts, 2);
      assert.deepEqual(kicked, ['xmpp']);
      assert.equal(joining.has('c_1', AGENT), false);
    });

    it('held back between failed attempts, and after the last (its store mark is claimed and the handover finished later)', async () => {
      const joining = new JoiningParties();
      const heldAtEachAttempt: boolean[] = [];
      const asked: unknown[] = [];
      const store = {
        queueEarlierMessages: async (...args: unknown[]) => {
          asked.push(args[3]);
          heldAtEachAttempt.push(joining.has('c_1', AGENT));
          throw new Error('connection lost');
        },
      };
      const failing = handover(joining, { store: store as never });
      await failing.assign('c_1', AGENT, async () => record);
      await assert.rejects(failing.to(record, AGENT), /connection lost/);
      assert.deepEqual(heldAtEachAttempt, [false, false, false], 'released in the turn each attempt is asked for');
      assert.deepEqual(asked, [{ joining: true }, { joining: true }, { joining: true }], 'only while its mark is there');
      assert.equal(joining.has('c_1', AGENT), true, 'held until the handover is finished');
    });
  });
});
