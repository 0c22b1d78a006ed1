// The presence of a customer who writes from their own SIP account to a team's URI (docs/customers.md,
// "SIP"), against a real Kamailio running the documented configuration: the customer is a plain
// SIP.js user agent of the test that PUBLISHes its presence; the bridge SUBSCRIBEs to it through the
// proxy, and a web agent of the desk watches it with `presence:subscribe`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, connect, next, startBridge, until, watchPresence } from '../helpers.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { type SipAgent, connectSipAgent, pidf } from '../sip-agent.js';

const TEAM = `sip:support@${VISITOR_DOMAIN}`;
const BOB = 'web:a_bob';
/** Presence changes travel customer -> proxy -> bridge -> agent; a proxy restart takes longer. */
const PRESENCE_MS = 15_000;

describe("a SIP customer's presence, followed by the bridge through a real Kamailio", () => {
  let kamailio: KamailioServer;
  let t: TestBridge;
  let carol: SipAgent;
  let CAROL: Address;

  before(async () => {
    kamailio = await startKamailio({
      users: { carol: 'carolpw', dave: 'davepw', switchboard: 'bridgepw' },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    t = await startBridge({
      teams: [{ id: 'support', name: 'Support', members: [BOB], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 15_000, 'the bridge to register');
    carol = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'carol', 'carolpw');
    CAROL = `sip:carol@${kamailio.domain}`;
  });
  after(async () => {
    await carol?.stop();
    await t?.stop();
    await kamailio?.destroy();
  });

  /** A web agent of the team, watching `customer`'s presence: `now` says what the bridge knows now. */
  const watching = async (customer: Address) => watchPresence((await connect(t, agentAuth('bob'))).socket, customer);

  it('shows the customer available once they write to the team, then away with their note, then offline', async () => {
    await carol.publish(pidf(CAROL, 'open'));
    const before = await watching(CAROL);
    // Nobody follows a customer who has not written; nor may the site watch someone it has nothing to
    // do with (the bridge may follow them for another site): offline, and no changes later.
    assert.equal(before.now.status, 'offline');
    const offered = next(before.socket, 'conversation', (c) => c.team === 'support' && c.participants.includes(CAROL), PRESENCE_MS);
    assert.equal(await carol.send(TEAM, 'Where is my parcel?'), 200);
    await offered;
    const bob = await watchPresence(before.socket, CAROL);
    await bob.until('available', 'carol available, once she wrote to the team', PRESENCE_MS);

    const away = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'away', PRESENCE_MS);
    await carol.publish(pidf(CAROL, 'open', 'away').replace('</presence>', '<note>At lunch</note></presence>'));
    assert.deepEqual(await away, { address: CAROL, status: 'away', text: 'At lunch' });

    const offline = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'offline', PRESENCE_MS);
    await carol.publish(pidf(CAROL, 'closed'));
    await offline;
  });

  it('sees the customer go offline when their publication is withdrawn (expires at once)', async () => {
    const dave = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'dave', 'davepw');
    const DAVE: Address = `sip:dave@${kamailio.domain}`;
    try {
      await dave.publish(pidf(DAVE, 'open', 'busy'));
      const agent = (await connect(t, agentAuth('bob'))).socket;
      const offered = next(agent, 'conversation', (c) => c.team === 'support' && c.participants.includes(DAVE), PRESENCE_MS);
      assert.equal(await dave.send(TEAM, 'Hello?'), 200);
      await offered;
      const bob = await watchPresence(agent, DAVE);
      await bob.until('busy', 'dave busy', PRESENCE_MS);

      // Dave's client leaves: a PUBLISH with Expires: 0 (RFC 3903 section 4.5) ends the publication.
      const gone = next(bob.socket, 'presence', (p) => p.address === DAVE && p.status === 'offline', PRESENCE_MS);
      await dave.unpublish();
      await gone;
    } finally {
      await dave.stop();
    }
  });

  it('follows the customer again after the proxy restarts', async () => {
    const bob = await watching(CAROL);
    await kamailio.stop();
    await until(() => t.bridge.registry.get('sip')?.status().state !== 'online', 10_000, 'the bridge to notice');
    await kamailio.start();
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 40_000, 'the bridge to register again');
    // The restarted proxy forgot every publication: Carol's client publishes again, unprompted by any message.
    const back = next(bob.socket, 'presence', (p) => p.address === CAROL && p.status === 'available', PRESENCE_MS);
    await carol.ua.reconnect();
    await carol.register();
    await carol.publish(pidf(CAROL, 'open'));
    await back;
  });
});
