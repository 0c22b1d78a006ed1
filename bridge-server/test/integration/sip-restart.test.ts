// The SIP network started again after a stop, against a real Kamailio: what a cluster node does
// when it gets the network's lease back (docs/deploying.md, "Several nodes"). It registers again
// and takes MESSAGEs as it did the first time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { sipNetworkConfigSchema } from '../../src/networks/sip/config.js';
import { createSipNetwork } from '../../src/networks/sip/sip-network.js';
import type { NetworkStatus } from '../../src/networks/network.js';
import { capturedLogs, until } from '../helpers.js';
import { aloneContext, recordingSink } from '../recording-sink.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { type SipAgent, connectSipAgent } from '../sip-agent.js';

describe('the SIP network started again after a stop, against a real Kamailio', () => {
  let kamailio: KamailioServer;
  let alice: SipAgent;
  let network: ReturnType<typeof createSipNetwork>;
  const { sink, stored, reported, onlineAfter } = recordingSink();

  before(async () => {
    kamailio = await startKamailio({ users: { alice: 'alicepw', switchboard: 'bridgepw' }, routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' } });
    alice = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'alice', 'alicepw');
    network = createSipNetwork(aloneContext(sipNetworkConfigSchema.parse(kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })), sink));
  });
  after(async () => {
    await network?.stop();
    await alice?.stop();
    await kamailio?.destroy();
  });

  /** Alice's MESSAGE to a visitor's URI: Kamailio routes it to the bridge's registration. */
  const write = (text: string) => alice.send(`sip:v_1@${VISITOR_DOMAIN}`, text);

  it('registers again when started after a stop, and takes MESSAGEs as before', async () => {
    await network.start();
    await until(() => onlineAfter(0), 10_000, 'registered');
    assert.equal(await write('before the stop'), 200);

    await network.stop();
    assert.equal(network.status().state, 'offline');
    assert.notEqual(await write('while stopped'), 200, 'nobody takes it while the network is stopped');

    const stopped = reported.length;
    await network.start();
    await until(() => onlineAfter(stopped), 10_000, 'registered again');
    assert.equal(await write('after the start'), 200);
    assert.deepEqual(
      stored.map((message) => message.text),
      ['before the stop', 'after the start'],
    );
  });

  it('says why it is offline while the registrar refuses its password, at every retry (not "connection lost")', async () => {
    const { logger, lines } = capturedLogs();
    const statuses: NetworkStatus[] = [];
    const config = sipNetworkConfigSchema.parse(kamailioNetwork(kamailio, { password: 'not-the-password', connectTimeoutSeconds: 5 }));
    const refused = createSipNetwork({ ...aloneContext(config, { ...sink, status: (_network, now) => void statuses.push(now) }), logger });
    try {
      await refused.start();
      // The first attempt and two retries, each refused.
      await until(() => lines.filter((line) => line.msg === 'sip connection failed').length >= 2, 20_000, 'two retries refused');
      const reasons = statuses.filter((status) => status.state === 'offline').map((status) => status.reason);
      assert.ok(reasons.length > 0);
      for (const reason of reasons) assert.match(reason ?? '', /^the SIP registrar refused REGISTER: 401 /);
      assert.match(refused.status().reason ?? '', /^the SIP registrar refused REGISTER: 401 /);
    } finally {
      await refused.stop();
    }
  });
});
