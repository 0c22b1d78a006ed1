// Two bridge nodes on one real Postgres and one real Redis, with a real Prosody whose component
// (and its team address for customers) every node is configured for. The component moves from one
// node to the other and back: what customers did with the team's address while the other node ran
// it holds when it comes back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type TestBridge, agentAuth, connect, startBridge, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type RedisServer, startRedis } from '../servers/redis.js';
import { type Agent, connectAgent, xml, bare } from '../xmpp-agent.js';

const LEASE = 'network:xmpp';

describe("a team's XMPP address on two nodes (Postgres, Redis, Prosody)", () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let prosody: ProsodyServer;
  let sql: pg.Client;
  let carol: Agent;
  let first: TestBridge;
  let second: TestBridge | undefined;

  before(async () => {
    [postgres, redis, prosody] = await Promise.all([startPostgres(), startRedis(), startProsody({ users: [['carol', 'carolpw']] })]);
    const databaseUrl = await postgres.createDatabase();
    sql = new pg.Client({ connectionString: databaseUrl });
    const node = (nodeId: string) =>
      startBridge({
        store: { type: 'postgres', url: databaseUrl, poolSize: 4 },
        cluster: { nodeId, redis: { url: redis.url } },
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody, { customers: { teamAddresses: { support: 'help' } } })],
      });
    first = await node('node-1');
    await until(() => online(first), 10_000, 'the component online on the first node');
    second = await node('node-2');
    await sql.connect();
    carol = await connectAgent(prosody.c2sPort, 'carol', 'carolpw');
  });
  after(async () => {
    await carol?.stop();
    await sql?.end();
    await second?.stop();
    await first?.stop();
    await Promise.all([prosody?.destroy(), redis?.destroy(), postgres?.destroy()]);
  });

  const online = (node: TestBridge) => node.bridge.registry.get('xmpp')?.status().state === 'online';
  const holds = (node: TestBridge) => node.bridge.leases.held().some((lease) => lease.name === LEASE);

  it("shows the team's presence, on its return, to a customer who subscribed while another node ran the component", async () => {
    const team = `help@${prosody.componentDomain}`;
    // The agent stays on the first node throughout: the team is available.
    const alice = await connect(first, agentAuth('alice'));
    // The first node's tenure runs out on the database's clock until the second node is the one that
    // takes it (the first, refused at its next renewal, tries again too). Only the first node's row is
    // run out: the first still believes it holds the lease until its next renewal, and running out a
    // tenure the second has just taken would start the race again.
    await until(
      async () => {
        if (holds(second!) && online(second!)) return true;
        if (holds(first)) {
          await sql.query(`UPDATE leases SET expires_at = now() - interval '1 second' WHERE name = $1 AND holder = $2`, [LEASE, 'node-1']);
        }
        return false;
      },
      60_000,
      'the second node running the component',
    );
    // Carol subscribes to the team's address there (stored), and sees the team available.
    const isTeam = (s: ReturnType<typeof xml>) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === undefined;
    await carol.send(xml('presence', { type: 'subscribe', to: team }));
    await carol.next(isTeam, 10_000);
    // The second node stops: the first runs the component again, and shows her the team's presence without her asking.
    await second!.stop();
    const stoppedAt = carol.stanzas.length;
    second = undefined;
    await until(() => online(first), 10_000, 'the component back on the first node');
    await carol.next((s) => carol.stanzas.indexOf(s) >= stoppedAt && isTeam(s), 10_000);
    assert.equal(alice.socket.connected, true);
  });
});
