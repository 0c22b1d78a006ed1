// The SDK's event emitter: off() takes back a listener whichever way it was added.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from '../../src/emitter.js';

class Events extends Emitter<{ ping: (n: number) => void }> {
  fire(n: number): void {
    this.emit('ping', n);
  }
}

describe('SDK emitter', () => {
  it('removes with off() a listener added with once(), as one added with on()', () => {
    const events = new Events();
    const heard: string[] = [];
    const onceListener = (n: number) => heard.push(`once ${n}`);
    const onListener = (n: number) => heard.push(`on ${n}`);
    events.once('ping', onceListener);
    events.on('ping', onListener);
    events.off('ping', onceListener);
    events.off('ping', onListener);
    events.fire(1);
    assert.deepEqual(heard, []);
    events.once('ping', onceListener);
    events.fire(2);
    events.fire(3);
    assert.deepEqual(heard, ['once 2'], 'once() still fires once');
  });
});
