// Two bridge nodes on one real Postgres and one real Redis, with a real ngircd whose IRC network
// every node is configured for: one node holds the lease and runs the bot, the other stands by.
// What the standby node asks the holder to tell an IRC agent reads as it does on a single node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type RedisServer, startRedis } from '../servers/redis.js';

const AGENT = 'irc:ivan@test';

describe('an IRC network on two nodes (Postgres, Redis, ngircd)', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let ngircd: NgircdServer;
  let ivan: IrcAgent;
  let holder: TestBridge;
  let standby: TestBridge;

  before(async () => {
    [postgres, redis, ngircd] = await Promise.all([startPostgres(), startRedis(), startNgircd()]);
    const databaseUrl = await postgres.createDatabase();
    ivan = await connectIrcAgent(ngircd.port, 'ivan');
    const node = (nodeId: string) =>
      startBridge({
        store: { type: 'postgres', url: databaseUrl, poolSize: 4 },
        cluster: { nodeId, redis: { url: redis.url } },
        teams: [{ id: 'support', members: [AGENT], sites: [SITE], capacity: 100 }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { nick: 'shopdesk', presencePollSeconds: 0.5, connectTimeoutSeconds: 5 })],
      });
    // The first node takes the lease; the second starts once it is held, and stands by.
    holder = await node('node-1');
    await until(() => holder.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the bot online on the first node');
    standby = await node('node-2');
    assert.equal(standby.bridge.registry.get('irc')?.status().state, 'standby');
  });
  after(async () => {
    await ivan?.quit();
    await standby?.stop();
    await holder?.stop();
    await Promise.all([ngircd?.destroy(), redis?.destroy(), postgres?.destroy()]);
  });

  it('names the bot in the context line of a conversation opened on the standby node', async () => {
    // Routed on the standby node (the agent's presence comes from the holder), which asks the holder to send the line.
    const visitor = await openVisitor(standby, { profile: { name: 'Dana' }, assignee: AGENT });
    await sendText(visitor, 'opened on the standby node');
    const got = await ivan.next((m) => m.message === 'opened on the standby node', 15_000);
    const context = ivan.messages.find((m) => m.nick === got.nick && m.message.startsWith('#'));
    assert.match(context?.message ?? '', /^#\w+ Dana \(not verified\), team support\. Reply here; \/msg shopdesk \/whois \w+ for more\.$/);
  });
});
