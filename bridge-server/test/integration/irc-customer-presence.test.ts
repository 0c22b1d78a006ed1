// The presence of a customer who writes to the bot from their own IRC client (docs/customers.md,
// "IRC"), against a real ngircd: the customer is a plain irc-framework client of the test, and a
// web agent of the desk watches them with `presence:subscribe`. ngircd has neither MONITOR nor
// away-notify, so this is the polling path: ISON for online/offline, WHO for away, WHOIS for the
// away message (the MONITOR path, its limit and letting customers go are unit-tested in
// unit/irc-presence-follower.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, connect, next, startBridge, until, watchPresence } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const BOB = 'web:a_bob';
const CAROL: Address = 'irc:carol@test';
/** Polls every half second; a server restart and the bridge's reconnection take longer. */
const PRESENCE_MS = 10_000;
const RECONNECT_MS = 40_000;

describe("an IRC customer's presence, followed by the bridge on a real ngircd", () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let carol: IrcAgent | undefined;

  before(async () => {
    ngircd = await startNgircd();
    t = await startBridge({
      teams: [{ id: 'support', name: 'Support', members: [BOB], sites: [SITE], capacity: 100 }],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        ngircdNetwork(ngircd, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5, nick: 'desk', customers: { team: 'support' } }),
      ],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 15_000, 'the bridge to register');
  });
  after(async () => {
    await carol?.quit();
    await t?.stop();
    await ngircd?.destroy();
  });

  /** A web agent of the team, watching `customer`'s presence: `now` says what the bridge knows now. */
  const watching = async (customer: Address) => watchPresence((await connect(t, agentAuth('bob'))).socket, customer);

  it('shows the customer available once they write to the team, then away with their message, back, and offline when they quit', async () => {
    carol = await connectIrcAgent(ngircd.port, 'carol');
    const before = await watching(CAROL);
    // Nobody follows a customer who has not written; nor may the site watch someone it has nothing to
    // do with (the bridge may follow them for another site): offline, and no changes later.
    assert.equal(before.now.status, 'offline');
    const offered = next(before.socket, 'conversation', (c) => c.team === 'support' && c.participants.includes(CAROL), PRESENCE_MS);
    carol.say('desk', 'Where is my parcel?');
    await offered;
    const bob = await watchPresence(before.socket, CAROL);
    await bob.until('available', 'carol available, once she wrote to the team', PRESENCE_MS);

    // WHO shows the away flag; the message comes from WHOIS.
    const away = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'away' && p.text !== undefined, PRESENCE_MS);
    carol.client.raw('AWAY :At lunch');
    assert.deepEqual(await away, { address: CAROL, status: 'away', text: 'At lunch' });

    const back = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'available', PRESENCE_MS);
    carol.client.raw('AWAY');
    await back;

    const offline = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'offline', PRESENCE_MS);
    await carol.quit();
    carol = undefined;
    await offline;
    bob.socket.disconnect();
  });

  it('keeps following a customer who has been silent since, and follows them again after the server restarts', async () => {
    const bob = await watching(CAROL);
    assert.equal(bob.now.status, 'offline');
    // Carol comes back without writing: she wrote within the hour, so the bridge still asks about her.
    const returned = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'available', PRESENCE_MS);
    carol = await connectIrcAgent(ngircd.port, 'carol');
    await returned;

    const dropped = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'offline', PRESENCE_MS);
    await ngircd.stop();
    await dropped; // the bridge lost the server: nobody's presence is known
    carol = undefined;
    await ngircd.start();
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', RECONNECT_MS, 'the bridge to register again');
    const again = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'available', PRESENCE_MS);
    carol = await connectIrcAgent(ngircd.port, 'carol');
    await again;
    bob.socket.disconnect();
  });
});
