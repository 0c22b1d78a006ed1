/** A real Kamailio, the agent alice registered on it with her presence open, and a bridge whose support team is alice. */
import { SITE, type TestBridge, startBridge, until } from './helpers.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from './servers/kamailio.js';
import { kamailioNetwork } from './servers/networks.js';
import { type SipAgent, connectSipAgent, pidf } from './sip-agent.js';

export { VISITOR_DOMAIN };

export interface SipDesk {
  kamailio: KamailioServer;
  t: TestBridge;
  alice: SipAgent;
  ALICE: string;
  stop(): Promise<void>;
}

export async function startSipDesk(network: Record<string, unknown> = {}): Promise<SipDesk> {
  // mallory: a user of the same server who is in no conversation.
  const kamailio = await startKamailio({
    users: { alice: 'alicepw', mallory: 'mallorypw', switchboard: 'bridgepw' },
    routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
  });
  const ALICE = `sip:alice@${kamailio.domain}`;
  const alice = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'alice', 'alicepw');
  await alice.publish(pidf(ALICE, 'open'));
  const t = await startBridge({
    teams: [{ id: 'support', members: [ALICE], sites: [SITE], capacity: 100 }],
    networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, network)],
  });
  await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 10_000, 'the bridge to register');
  return {
    kamailio,
    t,
    alice,
    ALICE,
    async stop() {
      await alice.stop();
      await t.stop();
      await kamailio.destroy();
    },
  };
}
