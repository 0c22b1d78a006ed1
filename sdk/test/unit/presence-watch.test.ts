// The presence an app watches, subscribed again after each reconnect: at most the bridge's limit of
// addresses a request, and without the addresses the app stopped watching.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Address, LIMITS, type Presence } from '@switchboard/protocol';
import { PresenceWatch } from '../../src/presence-watch.js';

function watcher() {
  const requests: { addresses?: Address[]; team?: string }[] = [];
  const reported: Presence[] = [];
  const watch = new PresenceWatch(
    async (target) => {
      requests.push(target);
      return { presences: (target.addresses ?? []).map((address) => ({ address, status: 'available' as const })) };
    },
    { presence: (presence) => reported.push(presence), team: () => undefined },
  );
  return { watch, requests, reported };
}

describe('SDK presence watch', () => {
  it('renews every watched address, at most the limit a request, and reports each', async () => {
    const { watch, requests, reported } = watcher();
    const addresses = Array.from({ length: LIMITS.maxPresenceAddresses + 30 }, (_, i) => `web:v_${i}` as Address);
    for (const address of addresses) await watch.watch({ addresses: [address] });
    requests.length = 0;
    await watch.renew();
    assert.deepEqual(
      requests.map((request) => request.addresses?.length),
      [LIMITS.maxPresenceAddresses, 30],
    );
    assert.deepEqual(
      reported.map((presence) => presence.address),
      addresses,
    );
  });

  it('renews no address it was told to forget', async () => {
    const { watch, requests } = watcher();
    await watch.watch({ addresses: ['web:v_a', 'web:v_b'] });
    watch.forget(['web:v_a']);
    requests.length = 0;
    await watch.renew();
    assert.deepEqual(requests, [{ addresses: ['web:v_b'] }]);
    watch.forget(['web:v_b']);
    requests.length = 0;
    await watch.renew();
    assert.deepEqual(requests, []);
  });
});
