// The kit's link on its own (the adapters' real-server tests exercise it against Prosody and Kamailio).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Link } from '../../src/networks/kit/link.js';
import type { NetworkStatus } from '../../src/networks/network.js';

const quick = { initialMs: 5, maxMs: 20, jitter: 0 };

function link(connect: () => Promise<void>) {
  const reported: NetworkStatus[] = [];
  const l = new Link({ name: 'test', connect, report: (status) => reported.push(status), logger: pino({ level: 'silent' }), backoff: quick });
  return { link: l, reported };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(condition());
};

describe("the network kit's link", () => {
  it('connects at start, reports each change once, and refuses sends while down', async () => {
    const { link: l, reported } = link(async () => undefined);
    // The state only: a reason can name the server's internal address, and senders read this.
    assert.throws(() => l.assertOnline(), /^NetworkError: test is offline$/);
    assert.equal(l.status.reason, 'not started');
    await l.start();
    assert.deepEqual(reported, [{ state: 'connecting' }, { state: 'online' }]);
    l.up(); // the library's own "online" event as well: nothing new to report
    assert.equal(reported.length, 2);
    assert.doesNotThrow(() => l.assertOnline());
    await l.stop(async () => undefined);
  });

  it('starts anyway when the first attempt fails, and keeps trying in the background', async () => {
    let calls = 0;
    const { link: l, reported } = link(async () => {
      if (++calls < 3) throw new Error('refused');
    });
    await l.start();
    assert.equal(l.status.state, 'offline');
    assert.equal(l.status.reason, 'refused');
    await until(() => l.status.state === 'online');
    assert.equal(calls, 3);
    assert.ok(reported.some((s) => s.state === 'offline' && s.reason === 'refused'));
    await l.stop(async () => undefined);
  });

  it('reconnects after a drop, not after a stop, and again after a new start', async () => {
    let calls = 0;
    const { link: l } = link(async () => {
      calls++;
    });
    await l.start();
    l.dropped('the server went away');
    assert.deepEqual(l.status, { state: 'offline', reason: 'the server went away' });
    await until(() => l.status.state === 'online');
    assert.equal(calls, 2);
    await l.stop(async () => undefined);
    l.dropped('closed by the stop');
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(calls, 2, 'a stopped link does not reconnect');
    assert.deepEqual(l.status, { state: 'offline', reason: 'stopped' });
    await l.start();
    l.dropped('dropped again');
    await until(() => calls === 4);
    await l.stop(async () => undefined);
  });

  it('reports nothing online once stopped: not an attempt that finishes after the stop, nor the library saying it came up', async () => {
    let finish: () => void = () => undefined;
    const { link: l, reported } = link(() => new Promise<void>((resolve) => (finish = resolve)));
    const starting = l.start();
    await until(() => l.status.state === 'connecting');
    await l.stop(async () => undefined);
    finish();
    await starting;
    l.up();
    assert.deepEqual(l.status, { state: 'offline', reason: 'stopped' });
    assert.equal(
      reported.some((status) => status.state === 'online'),
      false,
    );
  });
});
