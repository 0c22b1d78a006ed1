// The XMPP lease holder freezes (SIGSTOP: a hung process, a paused VM, a machine cut off without a
// reset), so its component connection stays open at Prosody and answers nothing. Two real CLI
// nodes on one real Postgres and Redis, and a real Prosody configured as docs/networks/xmpp.md
// asks of a cluster (`component_conflict_resolve = "kick_old"`): the other node takes the lease
// within the ttl, and its component connection replaces the frozen one, so the agent gets what
// visitors write; thawed, the old holder stands by.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ChildProcess } from 'node:child_process';
import { crash, runCli, writeCliConfig } from '../cli-process.js';
import { SITE, type Readiness, bodyOf, connectTo, call, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type RedisServer, startRedis } from '../servers/redis.js';
import { type Agent, connectAgent } from '../xmpp-agent.js';

const TTL_SECONDS = 6; // the default

describe('a frozen XMPP lease holder (Postgres, Redis, Prosody)', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let prosody: ProsodyServer;
  let alice: Agent;
  let databaseUrl: string;
  const children: ChildProcess[] = [];

  before(async () => {
    [postgres, redis, prosody] = await Promise.all([
      startPostgres(),
      startRedis(),
      startProsody({ users: [['alice', 'alicepw']], componentConflict: 'kick_old' }),
    ]);
    databaseUrl = await postgres.createDatabase();
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    for (const child of children) {
      child.kill('SIGCONT');
      await crash(child);
    }
    await alice?.stop();
    await Promise.all([prosody?.destroy(), redis?.destroy(), postgres?.destroy()]);
  });

  const xmppState = async (url: string) => (await bodyOf<Readiness>(await fetch(`${url}/readyz`))).networks.xmpp?.state;

  it('is taken over within the ttl and a few seconds, the new component connection replacing the frozen one', async (t) => {
    const node = async (nodeId: string) => {
      const config = writeCliConfig(t, {
        store: { type: 'postgres', url: databaseUrl, poolSize: 4 },
        cluster: { nodeId, redis: { url: redis.url } },
        teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      });
      const run = await runCli(config);
      children.push(run.child);
      return run;
    };
    const holder = await node('node-1');
    await until(async () => (await xmppState(holder.url)) === 'online', 15_000, 'the component online on the first node');
    const other = await node('node-2');
    assert.equal(await xmppState(other.url), 'standby');

    holder.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    await until(async () => (await xmppState(other.url)) === 'online', (TTL_SECONDS + 10) * 1000, 'the component online on the other node');
    const took = Date.now() - frozenAt;
    t.diagnostic(`frozen holder: component online on the other node after ${took} ms (ttl ${TTL_SECONDS} s)`);
    assert.ok(took <= (TTL_SECONDS + 5) * 1000, `taken over ${took} ms after the freeze`);

    const { socket } = await connectTo(t, other.url, { siteKey: SITE });
    const opened = await call(socket, 'conversation:open', { team: 'support' });
    assert.ok(opened.ok, JSON.stringify(opened));
    await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'frozen', text: 'while the old holder is frozen' });
    await alice.next((s) => s.is('message') && s.getChildText('body') === 'while the old holder is frozen', 10_000);

    // Thawed, it finds its lease gone and stands by: the new connection stays.
    holder.child.kill('SIGCONT');
    await until(async () => (await xmppState(holder.url)) === 'standby', 15_000, 'the old holder standing by');
    assert.equal(await xmppState(other.url), 'online');
  });
});
