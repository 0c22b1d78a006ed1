// The metrics table of docs/deploying.md is the list an operator builds dashboards from: every
// metric the bridge registers is in it (with its type and labels), and it names none that is not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import pino from 'pino';
import { parseConfig } from '../../src/config.js';
import { createBridge } from '../../src/server.js';

const deploying = readFileSync(new URL('../../../docs/deploying.md', import.meta.url), 'utf8');

/** The table's rows: name, type and labels. */
function documented(): Map<string, { type: string; labels: string[] }> {
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const match of deploying.matchAll(/^\| `(switchboard_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)) {
    const labels = [...match[3]!.matchAll(/`([a-z_]+)`/g)].map((label) => label[1]!);
    rows.set(match[1]!, { type: match[2]!, labels });
  }
  return rows;
}

describe('the metrics table in docs/deploying.md', () => {
  it('lists every metric the bridge registers, with its type and labels, and no other', async () => {
    // A whole bridge: some metrics are registered where what they count is made.
    const bridge = await createBridge(parseConfig({ sites: [{ key: 'shop' }], store: { type: 'sqlite', path: ':memory:' } }, 'test', '.'), {
      logger: pino({ level: 'silent' }),
    });
    const registered = (await bridge.metrics.registry.getMetricsAsJSON()).filter((metric) => !metric.name.startsWith('switchboard_process_'));
    await bridge.stop();
    const table = documented();
    for (const metric of registered) {
      const row = table.get(metric.name);
      assert.ok(row, `${metric.name} is in the table`);
      assert.equal(row.type, metric.type, `${metric.name}'s type`);
      const labels = (metric as unknown as { labelNames?: string[] }).labelNames;
      if (labels) assert.deepEqual([...row.labels].sort(), [...labels].sort(), `${metric.name}'s labels`);
    }
    const names = new Set(registered.map((metric) => metric.name));
    assert.deepEqual(
      [...table.keys()].filter((name) => !names.has(name)),
      [],
      'rows of metrics the bridge does not register',
    );
  });
});
