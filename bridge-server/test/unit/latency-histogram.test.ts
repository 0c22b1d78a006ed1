// The store's latency histogram prints as prom-client's own Histogram prints the same observations:
// same series in the same order, cumulative buckets, +Inf, sum and count, in the text format and
// as JSON; a reset forgets every series until it is observed again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from '../../src/latency-histogram.js';

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/** The same histogram twice, each in a registry of its own: prom-client's and this one. */
function both() {
  const options = { name: 'switchboard_store_seconds', help: 'Latency of store operations' };
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ ...options, labelNames: ['operation'] as const, buckets: BUCKETS, registers: [theirs] });
  const fast = new LatencyHistogram({ ...options, labelName: 'operation', buckets: BUCKETS, registers: [ours] });
  const observe = (operation: string, seconds: number) => {
    reference.labels({ operation }).observe(seconds);
    fast.labels({ operation }).observe(seconds);
  };
  const same = async (what: string) => {
    assert.equal(await ours.metrics(), await theirs.metrics(), `${what}: the text format`);
    // Through JSON as a scrape would carry it (fields left undefined are not sent).
    assert.deepEqual(JSON.parse(JSON.stringify(await ours.getMetricsAsJSON())), JSON.parse(JSON.stringify(await theirs.getMetricsAsJSON())), `${what}: JSON`);
    return ours.metrics();
  };
  return { theirs, ours, observe, same };
}

describe('the store latency histogram', () => {
  it('prints what prom-client prints for the same observations, on and between the bounds, past the last and at zero', async () => {
    const { observe, same } = both();
    assert.equal(
      await same('before any observation'),
      '# HELP switchboard_store_seconds Latency of store operations\n# TYPE switchboard_store_seconds histogram\n',
    );
    // The first label observed second: series print in the order of their first observation.
    const fetches = [0.00005, 0.0001, 0.0003, 0.0031, 0.7, 0];
    const appends = [0.0002, 0.0002, 0.002, 0.049, 0.5, 2.5];
    observe('getParty', 0.00042);
    for (const [i, seconds] of appends.entries()) {
      observe('appendMessage', seconds);
      if (fetches[i] !== undefined) observe('getConversation', fetches[i]);
    }
    const text = await same('after observations');
    assert.match(text, /^switchboard_store_seconds_bucket\{le="0\.0005",operation="appendMessage"\} 2$/m);
    assert.match(text, /^switchboard_store_seconds_bucket\{le="\+Inf",operation="appendMessage"\} 6$/m);
    assert.match(text, /^switchboard_store_seconds_count\{operation="getConversation"\} 6$/m);
    assert.ok(text.indexOf('operation="getParty"') < text.indexOf('operation="appendMessage"'), 'in the order first observed');
  });

  it('forgets every series at a reset, as prom-client does, and starts one again at its next observation', async () => {
    const { theirs, ours, observe, same } = both();
    observe('appendMessage', 0.001);
    observe('getParty', 0.0001);
    theirs.resetMetrics();
    ours.resetMetrics();
    await same('after a reset');
    observe('getParty', 0.02);
    const text = await same('observed again');
    assert.doesNotMatch(text, /appendMessage/);
    assert.match(text, /^switchboard_store_seconds_count\{operation="getParty"\} 1$/m);
  });

  it('gives one observer per label value and leaves out what is not a finite number', async () => {
    const { ours } = both();
    const fast = ours.getSingleMetric('switchboard_store_seconds') as unknown as LatencyHistogram<'operation'>;
    assert.equal(fast.labels({ operation: 'getParty' }), fast.labels({ operation: 'getParty' }));
    fast.labels({ operation: 'getParty' }).observe(Number.NaN);
    fast.labels({ operation: 'getParty' }).observe(Number.POSITIVE_INFINITY);
    assert.doesNotMatch(await ours.metrics(), /getParty/);
  });
});
