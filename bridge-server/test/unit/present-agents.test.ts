import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { PresentAgentsKeeping } from '../../src/networks/web/present-agents.js';

const logger = pino({ level: 'silent' });

/** A network's records in memory, each write held until `release` when `holding`. */
function records() {
  const values = new Map<string, string>();
  const writes: (string | null)[] = [];
  let holding: (() => void)[] | undefined;
  return {
    values,
    writes,
    hold: () => void (holding = []),
    release: () => {
      const waiting = holding ?? [];
      holding = undefined;
      for (const go of waiting) go();
    },
    state: async (key: string) => values.get(key) ?? null,
    setState: async (key: string, value: string | null) => {
      if (holding) await new Promise<void>((resolve) => holding!.push(resolve));
      writes.push(value);
      if (value === null) values.delete(key);
      else values.set(key, value);
    },
  };
}

describe('the web agents present, kept across a restart', () => {
  it('reads back what it kept, and nothing once none is present', async () => {
    const store = records();
    const keeping = new PresentAgentsKeeping(store, 'present-agents:local', logger);
    keeping.save([
      { address: 'web:a_alice@shop', status: 'available' },
      { address: 'web:a_bob@shop', status: 'busy', text: 'On a call' },
    ]);
    await keeping.written();
    assert.deepEqual(await new PresentAgentsKeeping(store, 'present-agents:local', logger).load(), [
      { address: 'web:a_alice@shop', status: 'available' },
      { address: 'web:a_bob@shop', status: 'busy', text: 'On a call' },
    ]);
    keeping.save([]);
    await keeping.written();
    assert.equal(store.values.size, 0);
    assert.deepEqual(await keeping.load(), []);
  });

  it('writes the latest list once for the changes made while a write runs', async () => {
    const store = records();
    const keeping = new PresentAgentsKeeping(store, 'k', logger);
    store.hold();
    keeping.save([{ address: 'web:a_alice@shop', status: 'available' }]);
    await new Promise((resolve) => setImmediate(resolve));
    keeping.save([{ address: 'web:a_bob@shop', status: 'available' }]);
    keeping.save([{ address: 'web:a_carol@shop', status: 'away' }]);
    store.release();
    await new Promise((resolve) => setImmediate(resolve));
    store.release();
    await keeping.written();
    assert.equal(store.writes.length, 2);
    assert.deepEqual(await keeping.load(), [{ address: 'web:a_carol@shop', status: 'away' }]);
  });

  it('takes from a damaged or hostile value only agents with a status they could have', async () => {
    const store = records();
    const keeping = new PresentAgentsKeeping(store, 'k', logger);
    store.values.set('k', '{not json');
    assert.deepEqual(await keeping.load(), []);
    store.values.set('k', JSON.stringify({ address: 'web:a_alice@shop' }));
    assert.deepEqual(await keeping.load(), []);
    store.values.set(
      'k',
      JSON.stringify([
        { address: 'web:v_0123456789ab', status: 'available' },
        { address: 'xmpp:eve@example.org', status: 'available' },
        { address: 'web:a_alice@shop', status: 'offline' },
        { address: 'web:a_alice@shop', status: 'available', text: 7 },
        null,
        { address: 'web:a_bob@shop', status: 'away' },
      ]),
    );
    assert.deepEqual(await keeping.load(), [{ address: 'web:a_bob@shop', status: 'away' }]);
  });

  it('starts with nobody, and goes on keeping, when the store fails', async () => {
    const failing = {
      state: async () => Promise.reject(new Error('disk I/O error')),
      setState: async () => Promise.reject(new Error('disk I/O error')),
    };
    const keeping = new PresentAgentsKeeping(failing, 'k', logger);
    assert.deepEqual(await keeping.load(), []);
    keeping.save([{ address: 'web:a_alice@shop', status: 'available' }]);
    await keeping.written();
    keeping.save([]);
    await keeping.written();
  });
});
