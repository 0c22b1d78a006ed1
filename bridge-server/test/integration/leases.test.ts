// Network leases across bridge nodes sharing one real Postgres, with one real Prosody whose
// component domain (which it lets only one connection hold) is configured on every node: one node
// runs the component, the others stand by and never connect; messages queued on a standby node are
// sent by the holder; a stopped holder hands over at once, a killed one within the ttl and a second
// or two (measured, printed); a stale holder's outbox write is refused by the fence.
import assert from 'node:assert/strict';
import { type TestContext, after, before, describe, it } from 'node:test';
import pg from 'pg';
import { FencedError } from '../../src/store/store.js';
import { crash, exited, runCli, writeCliConfig } from '../cli-process.js';
import { SITE, type TestBridge, type WebVisitor, bodyOf, call, connect, connectTo, openVisitor, startBridge, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type RedisServer, startRedis } from '../servers/redis.js';
import { type Agent, connectAgent, isChatFrom, xml, bare } from '../xmpp-agent.js';
import { continuationSites } from '../continuation-desk.js';

const LEASE = 'network:xmpp';
const TTL_SECONDS = 6; // the default

interface ClusterReadiness {
  status: string;
  node: string;
  leases: { name: string; token: number }[];
  networks: Record<string, { state: string; reason?: string }>;
}

const readiness = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return { http: response.status, ...(await bodyOf<ClusterReadiness>(response)) };
};

describe('network leases across nodes (Postgres, Prosody)', () => {
  let postgres: PostgresServer;
  let databaseUrl: string;
  let prosody: ProsodyServer;
  let redis: RedisServer;
  let alice: Agent;
  const nodes: TestBridge[] = [];
  let visitor: WebVisitor;

  const nodeConfig = (nodeId: string) => ({
    store: { type: 'postgres', url: databaseUrl, poolSize: 4 },
    cluster: { nodeId, redis: { url: redis.url } },
    sites: continuationSites({ networks: ['xmpp'] }),
    teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
    networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
  });
  const startNode = async (nodeId: string) => {
    const node = await startBridge(nodeConfig(nodeId));
    nodes.push(node);
    return node;
  };
  const holds = (node: TestBridge) => node.bridge.leases.held().some((lease) => lease.name === LEASE);
  const online = (node: TestBridge) => node.bridge.registry.get('xmpp')?.status().state === 'online';
  /** The visitor's text, sent on `node` (its session resumed there by token), reaches alice's client. */
  const reachesAlice = async (node: TestBridge | { url: string; t: TestContext }, text: string) => {
    const auth = { siteKey: SITE, token: visitor.session.token };
    const { socket } = 'bridge' in node ? await connect(node, auth) : await connectTo(node.t, node.url, auth);
    const sent = await call(socket, 'message:send', { conversationId: visitor.conversationId, clientId: text, text });
    assert.equal(sent.ok, true);
    const stanza = await alice.next((s) => s.is('message') && s.getChildText('body') === text, 10_000);
    assert.equal(bare(stanza.attrs.from), `${visitor.self.slice(4)}@${prosody.componentDomain}`);
  };

  before(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase();
    [prosody, redis] = await Promise.all([
      startProsody({
        users: [
          ['alice', 'alicepw'],
          ['dana', 'danapw'],
        ],
      }),
      startRedis(),
    ]);
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    for (const node of nodes) await node.stop();
    await prosody?.destroy();
    await redis?.destroy();
    await postgres?.destroy();
  });

  it('runs the component on exactly one of two nodes; the other stands by without connecting, and is ready', async () => {
    const [one, two] = [await startNode('node-1'), await startNode('node-2')];
    const [holder, standby] = holds(one) ? [one, two] : [two, one];
    assert.equal(holds(standby), false, 'one holder');
    await until(() => online(holder), 10_000, 'the component online on the holder');
    const held = await readiness(holder.url);
    assert.equal(held.http, 200);
    assert.equal(held.node, holder === one ? 'node-1' : 'node-2');
    assert.deepEqual(held.leases, [{ name: LEASE, token: held.leases[0]!.token }]);
    const waiting = await readiness(standby.url);
    assert.equal(waiting.http, 200, 'a standby node serves its web clients: ready');
    assert.deepEqual(waiting.leases, []);
    assert.deepEqual(waiting.networks.xmpp, { state: 'standby', reason: `another node holds ${LEASE}` });
    // It never tried: Prosody would have refused a second connection for the domain, and the holder's is still the one up.
    assert.equal(online(holder), true);
    const metrics = await (await fetch(`${holder.url}/metrics`)).text();
    assert.match(metrics, /switchboard_lease_changes_total\{lease="network:xmpp",change="acquired"\} 1/);
    // The standby counts the cluster's queue for the network it does not send, as the holder does.
    const standbyMetrics = await (await fetch(`${standby.url}/metrics`)).text();
    assert.match(standbyMetrics, /switchboard_outbox_depth\{network="xmpp"\} 0/);
  });

  it("sends a visitor's message written on the standby node to the agent, through the holder", async (t) => {
    const [holder, standby] = holds(nodes[0]!) ? [nodes[0]!, nodes[1]!] : [nodes[1]!, nodes[0]!];
    // The conversation opens where the agent's presence is known (the holder); the visitor then writes on the other node.
    visitor = await openVisitor(holder, { assignee: 'xmpp:alice@localhost' });
    const started = Date.now();
    await reachesAlice(standby, 'written on the standby node');
    t.diagnostic(`queued on the standby node, sent by the holder after ${Date.now() - started} ms`);
    // Counted once the item's turn ended, just after the send.
    const claims = async () => /switchboard_outbox_claims_total\{network="xmpp"\} [1-9]/.test(await (await fetch(`${holder.url}/metrics`)).text());
    await until(claims, 5000, 'the claim counted on the holder');
  });

  it('passes typing and read markers made on the standby node to the holder, which sends them', async () => {
    const [holder, standby] = holds(nodes[0]!) ? [nodes[0]!, nodes[1]!] : [nodes[1]!, nodes[0]!];
    const visitorJid = `${visitor.self.slice(4)}@${prosody.componentDomain}`;
    const { socket } = await connect(standby, { siteKey: SITE, token: visitor.session.token });
    assert.equal((await call(socket, 'typing', { conversationId: visitor.conversationId, state: 'composing' })).ok, true);
    await alice.next(
      (s) => s.is('message') && bare(s.attrs.from) === visitorJid && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined,
      10_000,
    );
    // Alice asks for chat markers (XEP-0333); the holder took her message, so only it knows her stanza id.
    const arrived = new Promise<{ seq: number }>((resolve) => socket.once('message', (message: { seq: number }) => resolve(message)));
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: visitorJid, id: 'marked-1' },
        xml('body', {}, 'please read this'),
        xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
      ),
    );
    const { seq } = await arrived;
    assert.equal((await call(socket, 'read', { conversationId: visitor.conversationId, seq })).ok, true);
    await alice.next((s) => bare(s.attrs.from) === visitorJid && s.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === 'marked-1', 10_000);
    assert.equal(holds(standby), false, 'the standby node still does not run the component');
    assert.equal(online(holder), true);
  });

  it("sends a continuation's code asked for on the standby node through the holder, and tells the asker what it answered", async (t) => {
    const [, standby] = holds(nodes[0]!) ? [nodes[0]!, nodes[1]!] : [nodes[1]!, nodes[0]!];
    const dana = await connectAgent(prosody.c2sPort, 'dana', 'danapw');
    t.after(() => dana.stop());
    const { socket } = await connect(standby, { siteKey: SITE, token: visitor.session.token });
    const started = await call(socket, 'continuation:start', { conversationId: visitor.conversationId, address: 'xmpp:dana@localhost' });
    assert.equal(started.ok, true, JSON.stringify(started));
    const proof = await dana.next(isChatFrom(`support@${prosody.componentDomain}`), 10_000);
    assert.match(proof.getChildText('body') ?? '', /^\d{6} is your code/);
  });

  it('hands the component over at once when its holder stops (SIGTERM: networks stopped, then the lease released)', async (t) => {
    const holder = nodes.find(holds)!;
    const standby = nodes.find((node) => node !== holder)!;
    const before = (await readiness(holder.url)).leases[0]!.token;
    const stopping = Date.now();
    await holder.stop();
    nodes.splice(nodes.indexOf(holder), 1);
    const stopped = Date.now();
    await until(() => holds(standby), 5000, 'the standby node to take the lease');
    const took = Date.now() - stopped;
    await until(() => online(standby), 10_000, 'the component online on the standby node');
    const connected = Date.now() - stopped - took;
    t.diagnostic(
      `holder stopped in ${stopped - stopping} ms; the other node held the lease ${took} ms later, the component was online ${connected} ms after that`,
    );
    // Within its next try (a second), with room for a loaded machine: far from the ttl (6 s) a lease left to run out would take.
    assert.ok(took < 3000, `handed over in ${took} ms`);
    // Connected at once once it holds the lease (a handshake with Prosody), not after a backoff.
    assert.ok(connected < 3000, `the component online ${connected} ms after the lease`);
    const after = (await readiness(standby.url)).leases[0]!.token;
    assert.equal(after, before + 1, 'a new fencing token');
    await reachesAlice(standby, 'after the handover');
    // The new holder follows the agent's presence: a new conversation is routed to her there.
    const fresh = await openVisitor(standby, { assignee: 'xmpp:alice@localhost' });
    await call(fresh.socket, 'message:send', { conversationId: fresh.conversationId, clientId: 'fresh', text: 'new after the handover' });
    await alice.next((s) => s.is('message') && s.getChildText('body') === 'new after the handover', 10_000);
  });

  it('takes over from a holder killed with kill -9 within the ttl and a second or two, and sends what was queued meanwhile', async (t) => {
    // A child process becomes the holder: it starts as standby, then the in-process holder stops.
    const config = writeCliConfig(t, { ...nodeConfig('child'), log: { level: 'info' } });
    const child = await runCli(config);
    t.after(() => child.child.kill('SIGKILL'));
    assert.deepEqual((await readiness(child.url)).networks.xmpp?.state, 'standby');
    const previous = nodes.pop()!;
    await previous.stop();
    await until(async () => (await readiness(child.url)).networks.xmpp?.state === 'online', 10_000, 'the child to take over');
    await reachesAlice({ url: child.url, t }, 'through the child');

    const survivor = await startNode('node-3');
    assert.equal(holds(survivor), false);
    const killedAt = Date.now();
    await crash(child.child);
    // Queued on the survivor while nobody runs the component: sent once it takes over.
    const { socket } = await connect(survivor, { siteKey: SITE, token: visitor.session.token });
    const queued = await call(socket, 'message:send', { conversationId: visitor.conversationId, clientId: 'gap', text: 'queued while nobody held it' });
    assert.equal(queued.ok, true);
    await until(() => holds(survivor), (TTL_SECONDS + 5) * 1000, 'the survivor to take the lease');
    const leaseAfter = Date.now() - killedAt;
    await until(() => online(survivor), 10_000, 'the component online on the survivor');
    const onlineAfter = Date.now() - killedAt;
    t.diagnostic(`kill -9 of the holder: lease taken over after ${leaseAfter} ms, component online after ${onlineAfter} ms (ttl ${TTL_SECONDS} s)`);
    // The ttl, the standby's next try (a second) and room for a loaded machine.
    assert.ok(leaseAfter <= (TTL_SECONDS + 3) * 1000, `taken over ${leaseAfter} ms after the kill`);
    await alice.next((s) => s.is('message') && s.getChildText('body') === 'queued while nobody held it', 5000);
    assert.ok(Date.now() - killedAt < (TTL_SECONDS + 8) * 1000);
    socket.disconnect();
    assert.equal(await exited(child.child), null, 'killed, not exited');
  });

  it("refuses a stale holder's outbox writes (the fence), then the node notices, stands by, and takes the lease again with a new token", async (t) => {
    const node = nodes.find(holds)!;
    const lease = node.bridge.leases.lease(LEASE);
    const fence = lease.fence()!;
    assert.ok(fence);
    // While current, the write goes through (an id no item has: nothing to delete).
    assert.equal(await node.bridge.store.completeOutbox({ id: -1, network: 'xmpp' }, 'sent', fence), null);
    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    t.after(() => sql.end());
    // The lease runs out on the database's clock before the node renews it: it is stale now.
    await sql.query(`UPDATE leases SET expires_at = now() - interval '1 second' WHERE name = $1`, [LEASE]);
    await assert.rejects(node.bridge.store.completeOutbox({ id: -1, network: 'xmpp' }, 'sent', fence), FencedError);
    await assert.rejects(node.bridge.store.retryOutbox({ id: -1, network: 'xmpp' }, Date.now(), 'x', fence), FencedError);
    // Its next renewal is refused: it stops the component, then (the row being free) takes it again.
    await until(() => node.bridge.registry.get('xmpp')?.status().state === 'standby' || (lease.token() ?? 0) > fence.token, 5000, 'the loss');
    await until(() => (lease.token() ?? 0) === fence.token + 1 && online(node), 10_000, 'the lease again, the component back');
    const { rows } = await sql.query<{ holder: string; token: string }>('SELECT holder, token FROM leases WHERE name = $1', [LEASE]);
    assert.deepEqual(rows, [{ holder: 'node-3', token: String(fence.token + 1) }]);
    await assert.rejects(node.bridge.store.completeOutbox({ id: -1, network: 'xmpp' }, 'sent', fence), FencedError, 'the old token stays refused');
    await reachesAlice(node, 'after the stale tenure');
  });
});
