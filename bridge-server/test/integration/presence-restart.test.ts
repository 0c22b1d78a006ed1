// A restart of the bridge is a short drop for its web agents, as a page reload is: the agents present
// when it stopped are present again at its start within the web network's grace period, so their team
// stays available to new visitors while the consoles reconnect, and turns unavailable only for an
// agent who does not come back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, agentAuth, call, collect, connect, next, startBridge, until } from '../helpers.js';

const GRACE_MS = 1500;

describe('web agents across a restart of the bridge', () => {
  let dir: string;
  const running: TestBridge[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-presence-restart-'));
  });
  after(async () => {
    for (const t of running) await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A bridge on the test's store folder, with a grace period long enough to look inside it. */
  const bridge = async () => {
    const t = await startBridge({ networks: [{ type: 'web', presenceGraceMs: GRACE_MS }] }, { dir });
    running.push(t);
    return t;
  };
  const stop = async (t: TestBridge) => {
    running.splice(running.indexOf(t), 1);
    await t.stop();
  };

  it('keeps the team available to a new visitor while its agent reconnects: no change is told', async () => {
    const first = await bridge();
    await connect(first, agentAuth('alice'));
    const watcher = await connect(first, { siteKey: SITE });
    await until(async () => (await call(watcher.socket, 'presence:subscribe', { team: 'support' })).available === true);
    await stop(first);

    const second = await bridge();
    // Before the agent is back: a new visitor sees the team available, not its offline form.
    const visitor = await connect(second, { siteKey: SITE });
    const watched = await call(visitor.socket, 'presence:subscribe', { team: 'support' });
    assert.deepEqual([watched.available, watched.online], [true, 1]);
    // The agent reconnects within the grace: past its end (a wait is the only way to see that
    // nothing came), the visitor was told nothing, and the team is available.
    const told = collect(visitor.socket, 'team:availability');
    const back = await connect(second, agentAuth('alice'));
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 300));
    assert.deepEqual(told, [], 'no flap while the agent reconnects');
    assert.equal((await call(visitor.socket, 'presence:subscribe', { team: 'support' })).available, true);
    // Busy when the bridge stops next: busy (online, not available) at the next start.
    await call(back.socket, 'presence:set', { status: 'busy', text: 'On a call' });
    await until(async () => (await call(visitor.socket, 'presence:subscribe', { team: 'support' })).available === false);
    back.socket.disconnect();
    await stop(second);
  });

  it('keeps the status the agent chose, and lets the team go offline once the grace runs out for an agent who does not come back', async () => {
    const third = await bridge();
    const visitor = await connect(third, { siteKey: SITE });
    const watched = await call(visitor.socket, 'presence:subscribe', { team: 'support' });
    assert.deepEqual([watched.available, watched.online], [false, 1], 'busy: online, not available');
    const gone = await next(visitor.socket, 'team:availability', (a) => a.online === 0, GRACE_MS + 5000);
    assert.equal(gone.available, false);
    await stop(third);

    // Nobody was present at the end of that run: the next starts with nobody online.
    const fourth = await bridge();
    const later = await connect(fourth, { siteKey: SITE });
    assert.equal((await call(later.socket, 'presence:subscribe', { team: 'support' })).online, 0);
  });
});
