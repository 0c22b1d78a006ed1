// An agent being handed a conversation is left out of the outbox recipients of what is said while
// its context line goes out (its catch-up queues that, in order), and only while it is joining:
// with two handovers racing, until both are done.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import { JoiningParties } from '../../src/core/desk/handover.js';
import { FanOut } from '../../src/core/fan-out.js';
import type { NetworkRegistry } from '../../src/networks/registry.js';

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
});
