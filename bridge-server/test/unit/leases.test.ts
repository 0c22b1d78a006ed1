// Lease timing against an engine the test answers by hand and a clock it moves: a standby node
// tries every second, the holder renews every renewMs, and loses the lease at once (listeners told
// synchronously) when a renewal is refused or fails, or when none succeeded within the ttl counted
// from when the last good one was SENT. A network under a lease runs only while it is held.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { type LeaseEngine, LeaseManager, type LeaseTicker, LocalLeases } from '../../src/cluster/leases.js';
import { leasedNetwork } from '../../src/cluster/leased-network.js';
import { type Network, NetworkError, type NetworkStatus, type OutboundMessage } from '../../src/networks/network.js';
import { ManualClock } from '../manual-clock.js';

const TTL = 6000;
const RENEW = 2000;

/** A call to the engine the test answers (or leaves unanswered). */
interface Call {
  kind: 'acquire' | 'renew' | 'release';
  at: number;
  token?: number;
  answer(value: number | boolean | null): void;
  fail(error: Error): void;
}

class HandEngine implements LeaseEngine {
  readonly calls: Call[] = [];
  /** When set, calls are answered at once with this (acquire: a token or null; renew: true/false). */
  auto: { acquire?: number | null; renew?: boolean } = {};

  constructor(private readonly now: () => number) {}

  acquire(): Promise<number | null> {
    return this.call('acquire', undefined, this.auto.acquire) as Promise<number | null>;
  }

  renew(_name: string, _holder: string, token: number): Promise<boolean> {
    return this.call('renew', token, this.auto.renew) as Promise<boolean>;
  }

  release(_name: string, _holder: string, token: number): Promise<void> {
    return this.call('release', token, true).then(() => undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  last(kind: Call['kind']): Call {
    const call = this.calls.filter((c) => c.kind === kind).at(-1);
    assert.ok(call, `no ${kind} yet`);
    return call;
  }

  count(kind: Call['kind']): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  private call(kind: Call['kind'], token: number | undefined, auto: number | boolean | null | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.calls.push({ kind, at: this.now(), ...(token !== undefined ? { token } : {}), answer: resolve, fail: reject });
      if (auto !== undefined) resolve(auto);
    });
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function setup() {
  const clock = new ManualClock(new Date(0));
  const ticker: LeaseTicker = { now: () => clock.now().getTime(), setTimer: (run, ms) => clock.setTimer(run, ms) };
  const engine = new HandEngine(() => ticker.now());
  const changes: string[] = [];
  const manager = new LeaseManager('node-a', engine, {
    ttlMs: TTL,
    renewMs: RENEW,
    ticker,
    logger: pino({ level: 'silent' }),
    onChange: (name, change) => changes.push(`${name} ${change}`),
  });
  const lease = manager.lease('network:xmpp');
  const events: string[] = [];
  lease.listen({ acquired: (token) => events.push(`acquired ${token}`), lost: (reason) => events.push(`lost: ${reason}`) });
  /** Moves the clock in 100 ms steps, letting answered calls run between them. */
  const advance = async (ms: number) => {
    for (let moved = 0; moved < ms; moved += 100) {
      clock.set(new Date(ticker.now() + Math.min(100, ms - moved)));
      await flush();
    }
  };
  return { clock, ticker, engine, manager, lease, events, changes, advance };
}

describe('leases', () => {
  it('takes a free lease at start, renews it every renewMs, and gives the fence of its token', async () => {
    const { engine, lease, events, manager, advance, changes } = setup();
    engine.auto = { acquire: 7, renew: true };
    await lease.start();
    assert.deepEqual(events, ['acquired 7']);
    assert.equal(lease.token(), 7);
    assert.deepEqual(lease.fence(), { lease: 'network:xmpp', holder: 'node-a', token: 7 });
    assert.deepEqual(manager.held(), [{ name: 'network:xmpp', token: 7 }]);
    await advance(10_000);
    assert.deepEqual(
      engine.calls.filter((c) => c.kind === 'renew').map((c) => c.at),
      [2000, 4000, 6000, 8000, 10000],
    );
    assert.equal(lease.token(), 7, 'still held');
    assert.deepEqual(changes, ['network:xmpp acquired']);
  });

  it('tries every second while another node holds it, and takes it once it is free', async () => {
    const { engine, lease, events, advance } = setup();
    engine.auto = { acquire: null };
    await lease.start();
    assert.equal(lease.token(), undefined);
    assert.deepEqual(lease.fence(), undefined);
    await advance(3000);
    assert.deepEqual(
      engine.calls.map((c) => c.at),
      [0, 1000, 2000, 3000],
    );
    engine.auto = { acquire: 2, renew: true };
    await advance(1000);
    assert.deepEqual(events, ['acquired 2']);
    assert.equal(lease.token(), 2);
  });

  it('loses the lease at once when a renewal is refused or fails, telling listeners before anything else runs, then tries again as standby', async () => {
    const { engine, lease, events, advance } = setup();
    engine.auto = { acquire: 1 };
    await lease.start();
    await advance(2000);
    engine.last('renew').answer(false);
    // The loss is told in the same turn as the answer: check right after the microtasks ran.
    await Promise.resolve();
    await flush();
    assert.deepEqual(events, ['acquired 1', 'lost: another node holds the lease']);
    assert.equal(lease.token(), undefined);
    engine.auto = { acquire: 2 };
    await advance(1000);
    assert.deepEqual(events.at(-1), 'acquired 2');
    await advance(2000);
    engine.last('renew').fail(new Error('connection terminated'));
    await flush();
    assert.match(events.at(-1)!, /^lost: the database did not confirm a renewal: connection terminated/);
    assert.equal(lease.token(), undefined);
  });

  it('loses the lease ttl after the last good renewal was SENT, even if its answer came late, and when renewals hang', async () => {
    const { engine, lease, events, advance } = setup();
    engine.auto = { acquire: 1 };
    await lease.start();
    await advance(2000); // the renewal sent at 2000 ...
    await advance(2500);
    engine.last('renew').answer(true); // ... answered at 4500
    await flush();
    await advance(100);
    // The next renewal was due at 4000 (2000 after the send): it goes at once, and hangs.
    assert.equal(engine.last('renew').at, 4500);
    await advance(3300); // 7900: within 2000 + ttl
    assert.equal(lease.token(), 1);
    await advance(100); // 8000 = 2000 + ttl, not 4500 + ttl
    assert.deepEqual(events, ['acquired 1', 'lost: not renewed within the ttl']);
    assert.equal(lease.token(), undefined);
    // The hanging renewal's late "yes" changes nothing: it was lost.
    engine.last('renew').answer(true);
    await flush();
    assert.equal(lease.token(), undefined);
  });

  it('counts the deadline itself, not its timer: a late timer still finds the lease lost', async () => {
    const { engine, lease, events, clock, ticker } = setup();
    engine.auto = { acquire: 1 };
    await lease.start();
    // The renewal timer fires at 2000 (its call hangs); then time jumps, as in a paused process, past the deadline with no timer run yet.
    clock.set(new Date(2000));
    await flush();
    const jumped = ticker.now() + 10_000;
    (clock as unknown as { current: number }).current = jumped;
    assert.equal(lease.token(), undefined, 'past the deadline: not held, whatever the timers');
    assert.deepEqual(events, ['acquired 1', 'lost: not renewed within the ttl']);
  });

  it('releases with its token on stop (listeners told), and loses at once when a fenced write was refused', async () => {
    const { engine, lease, events, manager, advance } = setup();
    engine.auto = { acquire: 4, renew: true };
    await lease.start();
    lease.fenced();
    assert.equal(lease.token(), undefined);
    assert.match(events.at(-1)!, /^lost: a fenced write was refused/);
    engine.auto = { acquire: 5, renew: true };
    await advance(1000);
    assert.equal(lease.token(), 5);
    await manager.stop();
    assert.equal(engine.last('release').token, 5);
    assert.deepEqual(events.at(-1), 'lost: released');
    const calls = engine.calls.length;
    await advance(5000);
    assert.equal(engine.calls.length, calls, 'nothing more once stopped');
  });

  it('refuses timings where one failed renewal would lose the lease', () => {
    assert.throws(
      () => new LeaseManager('n', new HandEngine(() => 0), { ttlMs: 3000, renewMs: 2000, logger: pino({ level: 'silent' }) }),
      /renewed at least twice within its ttl/,
    );
  });

  it('holds every lease of a single node, always, with a constant token and nothing to fence', async () => {
    const leases = new LocalLeases();
    const lease = leases.lease('network:xmpp');
    await lease.start();
    assert.equal(lease.token(), 1);
    assert.equal(lease.fence(), undefined);
    assert.deepEqual(leases.held(), [{ name: 'network:xmpp', token: 1 }]);
  });
});

/** A network that records its starts, stops and sends. */
function recordingNetwork() {
  const log: string[] = [];
  let state: NetworkStatus = { state: 'offline', reason: 'not started' };
  const network = {
    scheme: 'xmpp',
    deliversFromStore: false,
    status: () => state,
    start: () => {
      log.push('start');
      state = { state: 'online' };
      return Promise.resolve();
    },
    stop: () => {
      log.push('stop');
      state = { state: 'offline', reason: 'stopped' };
      return Promise.resolve();
    },
    send: (outbound: OutboundMessage) => {
      log.push(`send ${outbound.message.text}`);
      return Promise.resolve({});
    },
    setTyping: () => Promise.resolve(),
    subscribePresence: (addresses: string[]) => {
      log.push(`follow ${addresses.join(' ')}`);
      return Promise.resolve();
    },
    notice: (input: { text: string }) => {
      log.push(`notice ${input.text}`);
      return Promise.resolve();
    },
  } satisfies Network & { setTyping(): Promise<void>; subscribePresence(addresses: string[]): Promise<void> };
  return { network, log };
}

describe('a network under a lease', () => {
  it('is never started on a standby node, reports standby, refuses sends (retryable); starts once acquired, stops at once when lost', async () => {
    const { engine, manager, advance } = setup();
    engine.auto = { acquire: null, renew: true };
    const { network, log } = recordingNetwork();
    const outbox: string[] = [];
    const statuses: string[] = [];
    const leased = leasedNetwork(network, manager.lease('network:xmpp'), {
      sink: { status: (_scheme, status) => statuses.push(status.state) },
      logger: pino({ level: 'silent' }),
      acquired: (scheme) => outbox.push(`acquired ${scheme}`),
      released: (scheme) => outbox.push(`released ${scheme}`),
    });
    assert.equal(typeof (leased as { setTyping?: unknown }).setTyping, 'function', 'features stay visible');
    await leased.start();
    assert.deepEqual(log, []);
    assert.deepEqual(leased.status(), { state: 'standby', reason: 'another node holds network:xmpp' });
    const refused = await leased.send({ message: { text: 'x' } } as OutboundMessage).catch((error: unknown) => error);
    assert.ok(refused instanceof NetworkError && refused.retryable);

    engine.auto = { acquire: 3, renew: true };
    await advance(1000);
    assert.deepEqual(log, ['start']);
    assert.deepEqual(outbox, ['acquired xmpp']);
    assert.deepEqual(leased.status(), { state: 'online' });
    await leased.send({ message: { text: 'hello' } } as OutboundMessage);

    engine.auto = { renew: false };
    await advance(2000);
    assert.deepEqual(outbox, ['acquired xmpp', 'released xmpp'], 'the outbox let go in the same turn as the loss');
    assert.equal(leased.status().state, 'standby');
    await flush();
    assert.deepEqual(log, ['start', 'send hello', 'stop']);
    assert.equal(statuses.at(-1), 'standby');
    await leased.stop();
    assert.deepEqual(log, ['start', 'send hello', 'stop'], 'not stopped twice');
  });

  it('asks the holder for a desk line on a standby node, and answers as the holder did (a context line noted only once it went out); sends it itself once it holds', async () => {
    const { engine, manager, advance } = setup();
    engine.auto = { acquire: null, renew: true };
    const { network, log } = recordingNetwork();
    const calls: string[] = [];
    let answer: () => Promise<unknown> = () => Promise.resolve();
    const leased = leasedNetwork(network, manager.lease('network:xmpp'), {
      sink: { status: () => undefined },
      logger: pino({ level: 'silent' }),
      acquired: () => undefined,
      released: () => undefined,
      calls: {
        forward: (scheme, method) => void calls.push(`told ${scheme} ${method}`),
        ask: (scheme, method, args) => {
          calls.push(`asked ${scheme} ${method} ${(args[0] as { text: string }).text}`);
          return answer();
        },
        serve: () => () => undefined,
      },
    });
    await leased.start();
    const line = { to: 'xmpp:ann@x.test' as const, text: '#c0ffe Ann' };
    assert.equal(await leased.notice!(line), undefined, 'the holder sent it');
    answer = () => Promise.reject(new NetworkError('xmpp did not answer: no node runs it at the moment', true, 'unavailable'));
    await assert.rejects(leased.notice!(line), /did not answer/, 'no holder: not sent');
    await leased.setTyping!({} as never);
    // Whom to follow goes to the holder, and is kept here for when this node runs the network.
    await leased.subscribePresence!(['xmpp:carl@x.test']);
    assert.deepEqual(calls, ['asked xmpp notice #c0ffe Ann', 'asked xmpp notice #c0ffe Ann', 'told xmpp setTyping', 'told xmpp subscribePresence']);
    assert.deepEqual(log, ['follow xmpp:carl@x.test']);
    engine.auto = { acquire: 4, renew: true };
    await advance(1000);
    await leased.notice!(line);
    assert.deepEqual(log, ['follow xmpp:carl@x.test', 'start', 'notice #c0ffe Ann'], 'sent here once held, asked of nobody');
    assert.equal(calls.length, 4);
    await leased.stop();
  });

  it('runs as if unwrapped on a single node', async () => {
    const { network, log } = recordingNetwork();
    const leased = leasedNetwork(network, new LocalLeases().lease('network:xmpp'), {
      sink: { status: () => undefined },
      logger: pino({ level: 'silent' }),
      acquired: () => undefined,
      released: () => undefined,
    });
    await leased.start();
    assert.deepEqual(leased.status(), { state: 'online' });
    await leased.send({ message: { text: 'hi' } } as OutboundMessage);
    await leased.stop();
    assert.deepEqual(log, ['start', 'send hi', 'stop']);
  });

  it("fails the bridge's start when the network cannot start, as unwrapped; in a cluster it lets the lease go", async () => {
    const broken = { ...recordingNetwork().network, start: () => Promise.reject(new Error('no account')) };
    const deps = { sink: { status: () => undefined }, logger: pino({ level: 'silent' }), acquired: () => undefined, released: () => undefined };
    await assert.rejects(leasedNetwork(broken, new LocalLeases().lease('network:xmpp'), deps).start(), /no account/);

    const { engine, manager } = setup();
    engine.auto = { acquire: 3, renew: true };
    const lease = manager.lease('network:xmpp');
    await assert.rejects(leasedNetwork(broken, lease, deps).start(), /no account/);
    assert.equal(lease.token(), undefined, 'not held with a network that does not run');
  });
});
