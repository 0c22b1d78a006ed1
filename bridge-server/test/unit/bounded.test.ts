// `bounded`: the promise's value when it comes in time; undefined when it is late or rejects; never a rejection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bounded } from '../../src/util/bounded.js';

describe('bounded', () => {
  it('answers the value that came in time', async () => {
    assert.equal(await bounded(Promise.resolve(true), 1000), true);
  });

  it('answers undefined for a promise that rejects, or that is still waiting when the time is up', async () => {
    assert.equal(await bounded(Promise.reject(new Error('refused')), 1000), undefined);
    // Its timer holds no process open (it bounds courtesies at shutdown): this one does, meanwhile.
    const alive = setTimeout(() => undefined, 1000);
    try {
      assert.equal(await bounded(new Promise<boolean>(() => undefined), 10), undefined);
    } finally {
      clearTimeout(alive);
    }
  });
});
