// Which customers the SIP network follows the presence of, and for how long (the subscriptions
// themselves are tested against a real Kamailio in integration/sip-customer-presence.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import type { InboundPresence } from '../../src/networks/network.js';
import { CUSTOMER_IDLE_MS, SipCustomerPresence } from '../../src/networks/sip/customer-presence.js';
import type { PresenceHandlers } from '../../src/networks/sip/presence-subscription.js';
import { ManualClock } from '../manual-clock.js';

const CAROL = 'sip:carol@example.org';
const START = new Date('2026-12-01T10:00:00Z');

function customers(agents: Address[] = []) {
  const clock = new ManualClock(START);
  const subscribed: Address[] = [];
  const ended: Address[] = [];
  const handlers = new Map<Address, PresenceHandlers>();
  const reported: InboundPresence[] = [];
  const presence = new SipCustomerPresence({
    subscriptions: {
      subscribe: (party, own) => {
        subscribed.push(party);
        handlers.set(party, own);
      },
      end: (party) => ended.push(party),
      dropAll: () => handlers.clear(),
      endAll: () => Promise.resolve(),
    },
    sink: { presence: (input) => reported.push(input) },
    logger: pino({ level: 'silent' }),
    followedElsewhere: (address) => agents.includes(address),
    clock,
  });
  const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
  return { presence, subscribed, ended, handlers, reported, later };
}

describe("the SIP network's customers' presence", () => {
  it('follows a customer from their first message, once, and reports what the proxy says', () => {
    const { presence, subscribed, handlers, reported } = customers();
    presence.onOnline();
    presence.wrote(CAROL);
    presence.wrote(CAROL);
    assert.deepEqual(subscribed, [CAROL]);
    handlers.get(CAROL)!.onPresence({ status: 'away', text: 'At lunch' });
    assert.deepEqual(reported, [{ address: CAROL, status: 'away', text: 'At lunch' }]);
    handlers.get(CAROL)!.onEnded(true);
    assert.deepEqual(reported.at(-1), { address: CAROL, status: 'offline' }, 'ended by the proxy: no longer known');
  });

  it('asks a proxy that refused only again after a reconnection, however often the customer writes', () => {
    const { presence, subscribed, handlers, reported } = customers();
    presence.onOnline();
    presence.wrote(CAROL);
    handlers.get(CAROL)!.onEnded(false);
    presence.wrote(CAROL);
    presence.wrote(CAROL);
    assert.deepEqual(subscribed, [CAROL]);
    assert.deepEqual(reported, [], 'no presence known, none reported');
    presence.onOffline();
    presence.onOnline();
    assert.deepEqual(subscribed, [CAROL, CAROL]);
  });

  it('follows a customer who wrote while the link was down once it is up, and leaves agents to their own list', () => {
    const { presence, subscribed } = customers(['sip:alice@example.org']);
    presence.wrote(CAROL);
    presence.wrote('sip:alice@example.org');
    assert.deepEqual(subscribed, []);
    presence.onOnline();
    assert.deepEqual(subscribed, [CAROL]);
  });

  it('lets a customer go after an hour without a message: unsubscribed, offline, not followed again on a reconnection', () => {
    const { presence, subscribed, ended, handlers, reported, later } = customers();
    presence.onOnline();
    presence.wrote(CAROL);
    handlers.get(CAROL)!.onPresence({ status: 'available' });
    later(CUSTOMER_IDLE_MS / 2);
    presence.wrote(CAROL);
    later(CUSTOMER_IDLE_MS / 2);
    assert.deepEqual(ended, [], 'wrote half an hour ago');
    later(CUSTOMER_IDLE_MS / 2);
    assert.deepEqual(ended, [CAROL]);
    assert.deepEqual(reported.at(-1), { address: CAROL, status: 'offline' });
    presence.onOffline();
    presence.onOnline();
    assert.deepEqual(subscribed, [CAROL]);
    presence.wrote(CAROL);
    assert.deepEqual(subscribed, [CAROL, CAROL], 'followed again when they write again');
  });
});
