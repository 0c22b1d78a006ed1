// The teams' JIDs of the component (docs/customers.md): addresses both ways, the JID answers come
// from, service discovery, the configuration's check and the teams' presence to customers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Element, xml } from '@xmpp/component';
import pino from 'pino';
import type { InboundPresence, TeamSubscription, TeamSubscriptions } from '../../src/networks/network.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { JidMap } from '../../src/networks/xmpp/addresses.js';
import { TeamPresence } from '../../src/networks/xmpp/component-team-presence.js';
import { TeamJids } from '../../src/networks/xmpp/component-teams.js';
import { discoInfo } from '../../src/networks/xmpp/gateway-discovery.js';
import { xmppNetworkConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';

const MAIN = 'web.example.org';
const TEAMS = [
  { id: 'support', name: 'Support', sites: ['shop'] },
  { id: 'Sales', name: 'Sales', sites: ['shop', 'blog'] },
];
const teams = new TeamJids(MAIN, TEAMS, { support: 'help' });
const map = new JidMap(MAIN, [], hosted, teams);
const conversation = { id: 'c1', participants: ['xmpp:carol@example.com' as const], team: 'support', state: 'open' as const, createdAt: '', lastSeq: 1 };

describe("the teams' JIDs", () => {
  it('maps a team to its configured (or lowercased id) local part and back', () => {
    assert.equal(map.jidOf('team:support'), 'help@web.example.org');
    assert.equal(map.jidOf('team:Sales'), 'sales@web.example.org');
    assert.equal(map.partyOf('Help@Web.Example.org/phone'), 'team:support');
    assert.equal(map.partyOf('sales@web.example.org'), 'team:Sales');
    assert.equal(map.isVacant('help@web.example.org'), false);
    assert.equal(map.isVacant('v_1@web.example.org'), false, 'a visitor (hosted) is someone');
    // Local parts not written as the bridge writes them stand for nobody: refused, not ignored.
    for (const nobody of ['nobody', '^65;bc', 'x\\zz', '^bc^']) assert.equal(map.isVacant(`${nobody}@web.example.org`), true, nobody);
    assert.equal(map.partyOf('support@web.example.org'), null, 'the id is not the address once another is configured');
  });

  it("shows the team's JID to the customer who opened the conversation, and each party's own to anyone else", () => {
    const withCustomer = { ...conversation, openedBy: 'xmpp:carol@example.com' as const };
    assert.equal(map.senderJid('web:a_alice', 'xmpp:carol@example.com', withCustomer), 'help@web.example.org');
    assert.equal(map.senderJid('team:support', 'xmpp:carol@example.com', withCustomer), 'help@web.example.org');
    assert.equal(map.senderJid('xmpp:carol@example.com', 'xmpp:erin@example.com', withCustomer), 'xmpp\\3acarol\\40example.com@web.example.org');
    // A website visitor's conversation: the visitor's puppet, as before.
    const visitors = { ...conversation, openedBy: 'web:v_1' as const };
    assert.equal(map.senderJid('web:v_1', 'xmpp:erin@example.com', visitors), 'v_1@web.example.org');
    assert.equal(map.senderJid('web:a_alice', 'xmpp:carol@example.com', { ...conversation }), 'a_alice@web.example.org');
  });

  it('names the team in disco#info, as a client', () => {
    const query = discoInfo(map, 'help@web.example.org');
    assert.deepEqual(query.getChild('identity')!.attrs, { category: 'client', type: 'web', name: 'Support' });
  });

  it('refuses one local part for two teams in the configuration', () => {
    const parsed = xmppNetworkConfigSchema.safeParse({
      type: 'xmpp',
      service: 'xmpp://127.0.0.1:5347',
      domain: MAIN,
      password: 'secret',
      customers: { teamAddresses: { support: 'help', sales: 'HELP' } },
    });
    assert.equal(parsed.success, false);
    assert.match(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'),
      /customers\.teamAddresses\.sales: is already the address of team "support"/,
    );
  });
});

describe("the teams' presence to customers", () => {
  function presence(customerSite?: string, stored?: TeamSubscriptions) {
    const sent: Element[] = [];
    const reported: InboundPresence[] = [];
    const shown = new TeamPresence({
      customerSite,
      send: (stanza) => sent.push(stanza),
      sink: { presence: (input) => reported.push(input) },
      teamById: (id) => teams.byTeamId(id),
      stored,
      logger: pino({ level: 'silent' }),
    });
    const last = () => {
      const stanza = sent.at(-1)!;
      return { to: stanza.attrs.to, type: stanza.attrs.type, show: stanza.getChildText('show') };
    };
    return { sent, shown, last, reported };
  }
  const subscribe = (type: string) => xml('presence', { type, from: 'carol@example.com/phone', to: 'help@web.example.org' });

  it('answers a subscription, asks for one in return, then follows the team on its site: available, away with agents online, unavailable', () => {
    const { sent, shown, last } = presence();
    shown.handle(subscribe('subscribe'), teams.at('help@web.example.org')!);
    assert.deepEqual(
      sent.map((stanza) => [stanza.attrs.type, stanza.attrs.from, stanza.attrs.to]),
      [
        ['subscribed', 'help@web.example.org', 'carol@example.com'],
        ['unavailable', 'help@web.example.org', 'carol@example.com'],
        ['subscribe', 'help@web.example.org', 'carol@example.com'],
      ],
    );
    shown.changed({ team: 'support', siteKey: 'shop', available: true, online: 1 });
    assert.deepEqual(last(), { to: 'carol@example.com', type: undefined, show: null });
    shown.changed({ team: 'support', siteKey: 'shop', available: false, online: 1 });
    assert.deepEqual(last(), { to: 'carol@example.com', type: undefined, show: 'away' });
    shown.changed({ team: 'support', siteKey: 'shop', available: false, online: 0 });
    assert.equal(last().type, 'unavailable');
    shown.handle(subscribe('unsubscribe'), teams.at('help@web.example.org')!);
    const count = sent.length;
    shown.changed({ team: 'support', siteKey: 'shop', available: true, online: 1 });
    assert.equal(sent.length, count, 'no presence after unsubscribe');
  });

  it("shows a team serving several sites as it is on the customers' configured site", () => {
    const { sent, shown } = presence('blog');
    shown.handle(xml('presence', { type: 'probe', from: 'carol@example.com', to: 'sales@web.example.org' }), teams.at('sales@web.example.org')!);
    shown.changed({ team: 'Sales', siteKey: 'shop', available: true, online: 1 });
    assert.equal(sent.length, 1, 'another site: nothing shown');
    shown.changed({ team: 'Sales', siteKey: 'blog', available: true, online: 1 });
    assert.equal(sent.length, 2);
    assert.equal(sent.at(-1)!.attrs.type, undefined);
  });

  /** Subscriptions kept as a store keeps them. */
  function storedSubscriptions(rows: TeamSubscription[] = []) {
    const key = (row: TeamSubscription) => `${row.team} ${row.subscriber}`;
    const kept = new Map(rows.map((row) => [key(row), row]));
    const stored: TeamSubscriptions = {
      set: (row, on) => {
        if (on) kept.set(key(row), row);
        else kept.delete(key(row));
        return Promise.resolve();
      },
      of: (scheme) => Promise.resolve([...kept.values()].filter((row) => row.subscriber.startsWith(`${scheme}:`))),
    };
    return { stored, kept };
  }

  it('keeps a subscriber in the store until they unsubscribe (declining to share their own presence is not that)', () => {
    const { stored, kept } = storedSubscriptions();
    const { shown } = presence(undefined, stored);
    shown.handle(subscribe('subscribe'), teams.at('help@web.example.org')!);
    shown.handle(subscribe('probe'), teams.at('help@web.example.org')!);
    assert.deepEqual([...kept.values()], [{ team: 'support', subscriber: 'xmpp:carol@example.com' }]);
    shown.handle(subscribe('unsubscribe'), teams.at('help@web.example.org')!);
    assert.equal(kept.size, 0);
    shown.handle(subscribe('subscribe'), teams.at('help@web.example.org')!);
    shown.handle(subscribe('unsubscribed'), teams.at('help@web.example.org')!);
    assert.equal(kept.size, 1);
  });

  it("after a restart, shows the stored subscribers the team's presence once connected, and each change", async () => {
    const { stored } = storedSubscriptions([
      { team: 'support', subscriber: 'xmpp:carol@example.com' },
      { team: 'gone', subscriber: 'xmpp:carol@example.com' },
      { team: 'support', subscriber: 'sip:bob@example.com' },
    ]);
    const { sent, shown, last } = presence(undefined, stored);
    await shown.online();
    const shownToCustomers = () => sent.filter((stanza) => stanza.attrs.type !== 'probe');
    assert.deepEqual(
      shownToCustomers().map((stanza) => [stanza.attrs.from, stanza.attrs.to, stanza.attrs.type]),
      [['help@web.example.org', 'carol@example.com', 'unavailable']],
      'a team no longer configured and other networks’ subscribers are left out',
    );
    shown.changed({ team: 'support', siteKey: 'shop', available: true, online: 1 });
    assert.deepEqual(last(), { to: 'carol@example.com', type: undefined, show: null });
    await shown.online();
    assert.equal(shownToCustomers().length, 3, 'shown again on each reconnection, read once');
  });

  const from = (resource: string, type?: string, show?: string) =>
    xml('presence', { from: `Carol@example.com/${resource}`, to: 'help@web.example.org', ...(type ? { type } : {}) }, show ? xml('show', {}, show) : null);
  const statuses = (reported: InboundPresence[]) => reported.map(({ address, status }) => `${address} ${status}`);

  it("takes the customer's own presence sent to the team's JID, the most available resource winning", () => {
    const { shown, reported } = presence();
    const help = teams.at('help@web.example.org')!;
    shown.handle(from('phone', undefined, 'away'), help);
    shown.handle(from('laptop'), help);
    shown.handle(from('laptop', 'unavailable'), help);
    shown.handle(from('phone', 'unavailable'), help);
    assert.deepEqual(statuses(reported), [
      'xmpp:carol@example.com away',
      'xmpp:carol@example.com available',
      'xmpp:carol@example.com away',
      'xmpp:carol@example.com offline',
    ]);
    shown.handle(from('phone', undefined, 'dnd'), help);
    shown.handle(subscribe('unsubscribed'), help);
    assert.deepEqual(statuses(reported).slice(-2), ['xmpp:carol@example.com busy', 'xmpp:carol@example.com offline'], 'stopped sharing: not known any more');
  });

  it("probes the stored subscribers from their teams' JIDs on each connection, and forgets everyone's presence when it drops", async () => {
    const { stored } = storedSubscriptions([{ team: 'support', subscriber: 'xmpp:carol@example.com' }]);
    const { sent, shown, reported } = presence(undefined, stored);
    await shown.online();
    const probes = () => sent.filter((stanza) => stanza.attrs.type === 'probe').map((stanza) => `${stanza.attrs.from} ${stanza.attrs.to}`);
    assert.deepEqual(probes(), ['help@web.example.org carol@example.com']);
    shown.handle(from('phone'), teams.at('help@web.example.org')!);
    shown.offline();
    assert.deepEqual(statuses(reported), ['xmpp:carol@example.com available', 'xmpp:carol@example.com offline']);
    await shown.online();
    assert.equal(probes().length, 2, 'asked again after the reconnection');
  });
});
