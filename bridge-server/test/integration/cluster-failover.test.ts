// Three bridge nodes (the real CLI, each a process of its own) on one real Postgres and one real
// Redis, with a real Prosody whose component every node is configured for, through failures: 2,000
// messages from visitors to a web agent and to an XMPP agent while the XMPP lease holder is killed
// with kill -9 twice and Redis is restarted once. Every acknowledged message is stored once, with
// gap-free seq in the order it was sent, and reaches its agent; Prosody never sees two component
// connections; a webhook receiver gets one delivery per event; the takeover times are printed.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { io } from 'socket.io-client';
import { crash, runCli } from '../cli-process.js';
import { SITE, type V1Socket, agentAuth, baseConfig, bodyOf, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type RedisServer, startRedis } from '../servers/redis.js';
import { type Agent, connectAgent, type xml } from '../xmpp-agent.js';

type Stanza = ReturnType<typeof xml>;
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const LEASE = 'network:xmpp';
const XENA = 'xmpp:xena@localhost';
const WENDY = 'web:a_wendy';
/** Visitors and the messages each sends: half of them to the web agent's team, half to the XMPP agent's. */
const VISITORS = 4;
const PER_VISITOR = 500;
/**
 * Messages a visitor has sent and not yet seen acknowledged, at most: one, as the SDK sends (its
 * outbox sends one at a time, so the order a visitor wrote is the order the bridge accepts).
 */
const WINDOW = 1;
const ACK_TIMEOUT_MS = 4000;

interface ClusterReadiness {
  node?: string;
  leases?: { name: string; token: number }[];
  networks: Record<string, { state: string } | undefined>;
}

interface Node {
  name: string;
  child: ChildProcess;
  url: string;
}

/** A webhook receiver that answers every delivery at once and keeps them all. */
async function webhookReceiver() {
  const deliveries: { id: string; event: string; messageId?: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { id: string; event: string; data: { message?: Message } };
      deliveries.push({ id: parsed.id, event: parsed.event, ...(parsed.data.message ? { messageId: parsed.data.message.id } : {}) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('three nodes through a kill -9 of the lease holder (twice) and a Redis restart', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let prosody: ProsodyServer;
  let xena: Agent;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cluster-'));
  const nodes = new Map<string, Node>();
  const configs = new Map<string, string>();

  before(async () => {
    [postgres, redis, prosody, receiver] = await Promise.all([startPostgres(), startRedis(), startProsody({ users: [['xena', 'xenapw']] }), webhookReceiver()]);
    const databaseUrl = await postgres.createDatabase();
    for (const name of ['node-1', 'node-2', 'node-3']) {
      const path = join(dir, `${name}.json`);
      writeFileSync(
        path,
        JSON.stringify(
          baseConfig(dir, {
            store: { type: 'postgres', url: databaseUrl, poolSize: 6 },
            cluster: { nodeId: name, redis: { url: redis.url } },
            teams: [
              { id: 'support', members: [WENDY], sites: [SITE], capacity: 1000 },
              { id: 'im', members: [XENA], sites: [SITE], capacity: 1000 },
            ],
            networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
            webhooks: [{ url: receiver.url, secret: 'cluster-webhook-secret-0123', events: ['conversation.message'] }],
            log: { level: 'info' },
          }),
        ),
      );
      configs.set(name, path);
    }
    xena = await connectAgent(prosody.c2sPort, 'xena', 'xenapw');
  });
  after(async () => {
    for (const node of nodes.values()) node.child.kill('SIGKILL');
    await xena?.stop();
    await Promise.all([prosody?.destroy(), redis?.destroy(), postgres?.destroy(), receiver?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const startNode = async (name: string) => {
    const { child, url } = await runCli(configs.get(name)!);
    nodes.set(name, { name, child, url });
    return nodes.get(name)!;
  };
  const readiness = async (node: Node): Promise<ClusterReadiness | null> => {
    try {
      return await bodyOf<ClusterReadiness>(await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(1000) }));
    } catch {
      return null; // killed, or not answering yet
    }
  };
  const holderOf = async (): Promise<Node | undefined> => {
    for (const node of nodes.values()) if ((await readiness(node))?.leases?.some((lease) => lease.name === LEASE)) return node;
    return undefined;
  };
  const liveUrl = (avoid?: string) => {
    const live = [...nodes.values()].filter((node) => node.child.exitCode === null && node.child.signalCode === null);
    return (live.find((node) => node.name !== avoid) ?? live[0])!.url;
  };

  it('keeps every acknowledged message once, in order, delivered to its agent, with one component connection at a time', async (t) => {
    for (const name of ['node-1', 'node-2', 'node-3']) await startNode(name);
    await until(async () => (await holderOf()) !== undefined, 15_000, 'a holder of the XMPP component');

    // Prosody's view and the nodes' own, sampled all along: never two nodes online on the component.
    let mostOnline = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const states = await Promise.all([...nodes.values()].map(readiness));
        mostOnline = Math.max(mostOnline, states.filter((state) => state?.networks.xmpp?.state === 'online').length);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // The web agent: reconnects to a live node whenever its node goes; every message it is sent, by id.
    const atWendy = new Map<string, number>();
    /** When the web agent had no connection (a message acknowledged then reaches her through history only). */
    const wendyAway: { from: number; to: number }[] = [];
    let wendy: V1Socket | undefined;
    const connectWendy = () => {
      const socket: V1Socket = io(`${liveUrl()}/v1`, { auth: agentAuth('wendy'), transports: ['websocket'], reconnection: false, forceNew: true });
      socket.once('session', () => {
        const gap = wendyAway.at(-1);
        if (gap && gap.to === Infinity) gap.to = Date.now();
      });
      socket.once('connect_error', () => socket.disconnect());
      const seen = new Set<string>();
      socket.on('message', (message: Message, ack?: () => void) => {
        ack?.();
        assert.equal(seen.has(message.id), false, `message ${message.id} sent twice on one connection`);
        seen.add(message.id);
        atWendy.set(message.id, (atWendy.get(message.id) ?? 0) + 1);
      });
      socket.on('disconnect', () => {
        if (wendyAway.at(-1)?.to !== Infinity) wendyAway.push({ from: Date.now(), to: Infinity });
        if (sampling) setTimeout(() => (wendy = connectWendy()), 200);
      });
      return socket;
    };
    wendy = connectWendy();
    await until(() => wendy?.connected === true, 10_000, 'the web agent connected');

    // Xena's XMPP client: every chat message by its origin-id (the bridge's message id).
    const atXena = new Map<string, number>();
    xena.xmpp.on('stanza', (stanza: Stanza) => {
      const id = stanza.is('message') ? stanza.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id : undefined;
      if (id) atXena.set(id, (atXena.get(id) ?? 0) + 1);
    });

    // The visitors: each opens its conversation, then sends its messages in a window, resending
    // on another node (same clientId) whatever was not acknowledged when its node went away.
    const acked = new Map<string, Message>();
    const ackedAt = new Map<string, number>();
    const conversations: { index: number; id: string; team: string }[] = [];
    let ackedCount = 0;
    const visitor = async (index: number) => {
      const team = index % 2 === 0 ? 'support' : 'im';
      let token: string | undefined;
      let conversationId: string | undefined;
      const open = async (): Promise<V1Socket> => {
        for (;;) {
          const socket: V1Socket = io(`${liveUrl()}/v1`, {
            auth: token ? { siteKey: SITE, token } : { siteKey: SITE },
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
          });
          const session = await new Promise<{ token: string } | null>((resolve) => {
            socket.once('session', resolve);
            socket.once('connect_error', () => resolve(null));
            setTimeout(() => resolve(null), 3000);
          });
          if (session) {
            token = session.token;
            return socket;
          }
          socket.disconnect();
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      let socket = await open();
      const request = <T>(event: string, payload: object) =>
        (socket.timeout(ACK_TIMEOUT_MS).emitWithAck as (event: string, payload: object) => Promise<T>)(event, payload);
      while (!conversationId) {
        const answer = await request<{ ok: boolean; conversation: { id: string } }>('conversation:open', { team }).catch(() => null);
        if (answer?.ok) conversationId = answer.conversation.id;
        else socket = await open();
      }
      conversations.push({ index, id: conversationId, team });
      let next = 0;
      const unacked = new Set<number>();
      while (next < PER_VISITOR || unacked.size > 0) {
        while (next < PER_VISITOR && unacked.size < WINDOW) unacked.add(next++);
        const sending = [...unacked].sort((a, b) => a - b);
        const answers = await Promise.all(
          sending.map((n) =>
            request<{ ok: boolean; message: Message }>('message:send', {
              conversationId,
              clientId: `v${index}-${n}`,
              text: `visitor ${index} message ${n}`,
            }).catch(() => null),
          ),
        );
        let lost = false;
        answers.forEach((answer, i) => {
          if (answer?.ok) {
            if (unacked.delete(sending[i]!)) ackedCount++;
            acked.set(`v${index}-${sending[i]}`, answer.message);
            if (!ackedAt.has(answer.message.id)) ackedAt.set(answer.message.id, Date.now());
          } else lost = true;
        });
        if (lost) {
          socket.disconnect();
          socket = await open();
        }
      }
      socket.disconnect();
    };
    const sending = Promise.all(Array.from({ length: VISITORS }, (_, index) => visitor(index)));

    // The failures, as the messages flow.
    const takeovers: number[] = [];
    const killHolder = async () => {
      const holder = (await holderOf())!;
      const killedAt = Date.now();
      await crash(holder.child);
      let next: Node | undefined;
      await until(async () => (next = await holderOf()) !== undefined && next.name !== holder.name, 20_000, 'another node taking over');
      takeovers.push(Date.now() - killedAt);
      await startNode(holder.name);
    };
    await until(() => ackedCount >= 300, 30_000, '300 messages acknowledged');
    await killHolder();
    await until(() => ackedCount >= 900, 60_000, '900 messages acknowledged');
    await redis.stop();
    await redis.start();
    await until(() => ackedCount >= 1400, 60_000, '1,400 messages acknowledged');
    await killHolder();
    await sending;
    assert.equal(acked.size, VISITORS * PER_VISITOR);

    // Stored once each, seq gap-free, in the order each visitor sent them.
    const reader: V1Socket = io(`${liveUrl()}/v1`, { auth: agentAuth('wendy'), transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise((resolve) => reader.once('session', resolve));
    for (const { index, ...conversation } of conversations) {
      const stored: Message[] = [];
      for (let after = 0; ;) {
        const page = (await reader.emitWithAck('history:get', { conversationId: conversation.id, afterSeq: after, limit: 100 })) as {
          messages: Message[];
          hasMore: boolean;
        };
        stored.push(...page.messages);
        if (!page.hasMore) break;
        after = page.messages.at(-1)!.seq;
      }
      const fromVisitor = stored.filter((message) => message.text.startsWith('visitor '));
      assert.deepEqual(
        stored.map((message) => message.seq),
        stored.map((_, i) => i + 1),
        `conversation ${index}: seq gap-free`,
      );
      assert.deepEqual(
        fromVisitor.map((message) => message.text),
        Array.from({ length: PER_VISITOR }, (_, n) => `visitor ${index} message ${n}`),
        `conversation ${index}: each message once, in the order sent`,
      );
      for (const message of fromVisitor)
        assert.equal(acked.get(`v${index}-${message.text.split(' ')[3]}`)?.id, message.id, 'the message acknowledged is the one stored');
    }
    reader.disconnect();

    // Delivered: to the web agent (live, or by the history its client reads after a reconnect: it must
    // have been sent live at least once while it was connected) and to the XMPP agent's client.
    const webIds = conversations
      .filter((c) => c.team === 'support')
      .flatMap((c) => [...acked.values()].filter((m) => m.conversationId === c.id).map((m) => m.id));
    const imIds = conversations.filter((c) => c.team === 'im').flatMap((c) => [...acked.values()].filter((m) => m.conversationId === c.id).map((m) => m.id));
    await until(() => imIds.every((id) => atXena.has(id)), 30_000, "every XMPP message at xena's client");
    const repeatedAtXena = imIds.filter((id) => (atXena.get(id) ?? 0) > 1).length;
    const missedByWendy = webIds.filter((id) => !atWendy.has(id));
    // A message acknowledged while she was connected, and not just before her connection went, reached her live.
    const awayWhen = (at: number) => wendyAway.some((gap) => at >= gap.from - 2000 && at <= gap.to + 1000);
    assert.deepEqual(
      missedByWendy.filter((id) => !awayWhen(ackedAt.get(id)!)),
      [],
      'every web message acknowledged while the agent was connected reached her live',
    );
    sampling = false;
    await sampler;
    wendy?.disconnect();

    t.diagnostic(`takeovers after kill -9: ${takeovers.map((ms) => `${ms} ms`).join(', ')}`);
    t.diagnostic(`xmpp messages sent again by a new holder (same origin-id, for the client to recognise): ${repeatedAtXena}`);
    t.diagnostic(`web messages the agent got only through history, acknowledged while she reconnected: ${missedByWendy.length}`);
    assert.equal(mostOnline, 1, 'never two nodes online on the component');
    assert.doesNotMatch(prosody.log(), /Second component attempted to connect/, 'Prosody never saw a second component connection');
    for (const ms of takeovers) assert.ok(ms <= 10_000, `taken over ${ms} ms after the kill`);
    assert.ok(repeatedAtXena <= 2 * 8, 'at most what was in flight at each kill is sent again');

    // The webhook: one delivery id per message event, whatever node sent it.
    await until(() => new Set(receiver.deliveries.map((d) => d.messageId)).size >= acked.size, 30_000, 'a delivery for every message');
    const idsPerMessage = new Map<string, Set<string>>();
    for (const delivery of receiver.deliveries) {
      if (!delivery.messageId) continue;
      if (!idsPerMessage.has(delivery.messageId)) idsPerMessage.set(delivery.messageId, new Set());
      idsPerMessage.get(delivery.messageId)!.add(delivery.id);
    }
    for (const message of acked.values()) assert.equal(idsPerMessage.get(message.id)?.size, 1, `one event for message ${message.id}`);
    const repeatedDeliveries = receiver.deliveries.length - new Set(receiver.deliveries.map((d) => d.id)).size;
    t.diagnostic(`webhook deliveries made again after a kill (same delivery id): ${repeatedDeliveries}`);
  });
});
