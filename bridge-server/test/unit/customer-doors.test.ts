// Which teams a customer can write back to on a network, as outreach asks before it starts a
// conversation (docs/customers.md, "Outreach"): IRC with `customers` (any team of the desk), XMPP
// client mode (its `customers.team` only), each with the site the configuration names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrcCustomers } from '../../src/networks/irc/customers.js';
import type { DeskTeam, InboundSink } from '../../src/networks/network.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { ClientCustomers } from '../../src/networks/xmpp/client-customers.js';

const DESK: DeskTeam[] = [
  { id: 'support', name: 'Support', sites: ['shop'] },
  { id: 'sales', name: 'Sales', sites: ['shop'] },
];

describe("customers' doors, for outreach", () => {
  it('IRC: every team of the desk, under the configured site; no other', () => {
    const irc = new IrcCustomers({ team: 'support', site: 'shop' }, DESK, 'libera');
    assert.deepEqual(irc.doorFor('support'), { id: 'support', site: 'shop' });
    assert.deepEqual(irc.doorFor('sales'), { id: 'sales', site: 'shop' }, 'a team customers cannot pick, whose open conversation still takes their reply');
    assert.equal(irc.doorFor('nobody'), null);
    assert.deepEqual(new IrcCustomers({ team: 'support' }, DESK, 'libera').doorFor('sales'), { id: 'sales' });
  });

  it('XMPP client mode: the configured team only, under the configured site', () => {
    const door = (config: { team: string; site?: string }) =>
      new ClientCustomers({ config, teams: DESK, sink: {} as InboundSink, hosted, botJid: 'bot@example.org', send: () => undefined, stored: () => undefined });
    assert.deepEqual(door({ team: 'support', site: 'shop' }).doorFor('support'), { id: 'support', site: 'shop' });
    assert.deepEqual(door({ team: 'support' }).doorFor('support'), { id: 'support' });
    assert.equal(door({ team: 'support' }).doorFor('sales'), null);
  });
});
