// The registry's checks across entries: a network that shows other networks' users under addresses
// of its own (XMPP gateway domains) may not map the network whose parties the bridge hosts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateNetworks } from '../../src/networks/registry.js';

const xmpp = (network: string) => ({
  type: 'xmpp',
  service: 'xmpp://127.0.0.1:5347',
  domain: 'web.example.org',
  password: 's',
  gateways: [{ domain: 'gw.example.org', network }],
});

describe('network registry', () => {
  it('refuses a gateway domain for the hosted parties, naming the field', () => {
    assert.throws(
      () => validateNetworks({ networks: [{ type: 'web' }, xmpp('web')] }),
      /networks\[1\]\.gateways\[0\]\.network: must be a network whose users have addresses of their own, not "web"/,
    );
  });

  it('takes a gateway domain for any other network, configured or not', () => {
    assert.deepEqual(
      validateNetworks({ networks: [xmpp('sip')] }).map((entry) => entry.type),
      ['web', 'xmpp'],
    );
    assert.throws(() => validateNetworks({ networks: [xmpp('xmpp')] }), /networks\[0\]\.gateways\[0\]\.network: must be another network than xmpp/);
  });
});
