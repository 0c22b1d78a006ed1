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

  it('remembers only what the bridge took, and one refusal at renewal costs only the address refused', async () => {
    const refusedAddress = 'web:v_gone' as Address;
    let refuse = new Set<string>(['web:v_never']);
    const requests: { addresses?: Address[]; team?: string }[] = [];
    const reported: string[] = [];
    const teams: string[] = [];
    const watch = new PresenceWatch(
      async (target) => {
        requests.push(target);
        if ((target.addresses ?? []).some((address) => refuse.has(address)) || (target.team !== undefined && refuse.has(target.team)))
          throw Object.assign(new Error('forbidden'), { code: 'forbidden' });
        return { presences: (target.addresses ?? []).map((address) => ({ address, status: 'available' as const })), available: true, online: 1 };
      },
      { presence: (presence) => reported.push(presence.address), team: (availability) => teams.push(availability.team) },
    );
    await assert.rejects(watch.watch({ addresses: ['web:v_never'] }));
    await watch.watch({ addresses: ['web:v_a', refusedAddress, 'web:v_b'] });
    await watch.watch({ team: 'support' });
    // The party lost the right to watch one address since: the others and the team are renewed, the error told once.
    refuse = new Set([refusedAddress]);
    requests.length = 0;
    await assert.rejects(watch.renew(), /forbidden/);
    assert.deepEqual(reported.sort(), ['web:v_a', 'web:v_b']);
    assert.deepEqual(teams, ['support']);
    assert.ok(!requests.some((request) => request.addresses?.includes('web:v_never')), 'a refused watch is not remembered');
    // Refused for good: not asked again at the next renewal.
    reported.length = 0;
    requests.length = 0;
    await watch.renew();
    assert.deepEqual(requests, [{ addresses: ['web:v_a', 'web:v_b'] }, { team: 'support' }]);
    watch.clear();
    requests.length = 0;
    await watch.renew();
    assert.deepEqual(requests, [], 'nothing watched once cleared');
  });
});
