// The SIP network started again after a stop, against a real Kamailio: what a cluster node does
// when it gets the network's lease back (docs/deploying.md, "Several nodes"). It registers again
// and takes MESSAGEs as it did the first time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { sipNetworkConfigSchema } from '../../src/networks/sip/config.js';
import { createSipNetwork } from '../../src/networks/sip/sip-network.js';
import { until } from '../helpers.js';
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
});
