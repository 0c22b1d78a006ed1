import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from '../../src/emitter.js';
import { newClientId } from '../../src/ids.js';
import { PersistedState, memoryStorage } from '../../src/storage.js';

describe('SDK persisted state', () => {
  it('round-trips token, cursors and outbox under its prefix', () => {
    const storage = memoryStorage();
    const state = new PersistedState(storage, 'p:');
    state.token = 't';
    state.cursors = { c1: 3 };
    state.outbox = [{ clientId: 'k', conversationId: 'c1', text: 'hi', createdAt: '2026-01-01T00:00:00.000Z', state: 'pending' }];
    const again = new PersistedState(storage, 'p:');
    assert.equal(again.token, 't');
    assert.deepEqual(again.cursors, { c1: 3 });
    assert.equal(again.outbox[0]!.text, 'hi');
    assert.equal(new PersistedState(storage, 'other:').token, undefined);
    again.outbox = [];
    assert.equal(storage.getItem('p:outbox'), null);
    again.clear();
    assert.equal(new PersistedState(storage, 'p:').token, undefined);
  });

  it('ignores corrupt or foreign values instead of failing', () => {
    const storage = memoryStorage();
    storage.setItem('p:token', '{broken');
    storage.setItem('p:cursors', JSON.stringify({ c: -1 }));
    storage.setItem('p:outbox', JSON.stringify([{ nope: true }]));
    const state = new PersistedState(storage, 'p:');
    assert.equal(state.token, undefined);
    assert.deepEqual(state.cursors, {});
    assert.deepEqual(state.outbox, []);
  });

  it('keeps working when storage throws (quota, private mode)', () => {
    const throwing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    const state = new PersistedState(throwing, 'p:');
    state.token = 'x';
    assert.equal(state.token, undefined);
  });
});

describe('SDK helpers', () => {
  it('makes unique client ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, newClientId));
    assert.equal(ids.size, 1000);
  });

  it('makes client ids that are version 7 UUIDs of the time, each after the last even when the clock steps back', (t) => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, newClientId);
    const after = Date.now();
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millis = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    assert.ok(millis(ids[0]!) >= before && millis(ids.at(-1)!) <= after, 'the time is the first 48 bits');
    // Made in the same millisecond or after a clock step back: still in the order made.
    const now = after;
    t.mock.method(Date, 'now', () => now - 60_000);
    const stepped = Array.from({ length: 100 }, newClientId);
    const all = [...ids, ...stepped];
    assert.deepEqual([...all].sort(), all);
    assert.equal(new Set(all).size, all.length);
  });

  it('keeps emitting to other listeners when one throws', async () => {
    class Test extends Emitter<{ ping: (n: number) => void }> {
      fire(n: number) {
        this.emit('ping', n);
      }
    }
    const emitter = new Test();
    const seen: number[] = [];
    // The app's error is rethrown on its own (so it shows up as an uncaught error); capture it here.
    const rethrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (task) => {
      try {
        task();
      } catch (error) {
        rethrown.push(error);
      }
    };
    try {
      emitter.on('ping', () => {
        throw new Error('app bug');
      });
      const off = emitter.on('ping', (n) => seen.push(n));
      emitter.fire(1);
      off();
      emitter.fire(2);
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.deepEqual(seen, [1]);
    assert.equal(rethrown.length, 2);
    assert.match(String(rethrown[0]), /app bug/);
  });
});
