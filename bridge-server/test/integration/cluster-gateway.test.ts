// A gateway conversation on two bridge nodes (real Postgres, Redis, Prosody and ngircd): the node
// that takes the networks over from the one that stops follows the conversation's users again,
// so an XMPP user available all along is not shown away on IRC, and the IRC user is known online.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { xmppIrcGateway } from '../servers/networks.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type RedisServer, startRedis } from '../servers/redis.js';
import { type Agent, connectAgent, xml } from '../xmpp-agent.js';

describe('a gateway conversation when another node takes the networks over', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let prosody: ProsodyServer;
  let ngircd: NgircdServer;
  let erin: Agent;
  let fred: IrcAgent;
  let first: TestBridge | undefined;
  let second: TestBridge;

  const online = (t: TestBridge) => ['xmpp', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online');

  before(async () => {
    [postgres, redis, prosody, ngircd] = await Promise.all([startPostgres(), startRedis(), startProsody({ users: [['erin', 'erinpw']] }), startNgircd()]);
    const databaseUrl = await postgres.createDatabase();
    [erin, fred] = await Promise.all([connectAgent(prosody.c2sPort, 'erin', 'erinpw'), connectIrcAgent(ngircd.port, 'fred')]);
    const node = (nodeId: string) =>
      startBridge({
        sites: [{ key: SITE, origins: ['http://shop.test'] }],
        ...xmppIrcGateway(SITE, prosody, ngircd),
        store: { type: 'postgres', url: databaseUrl, poolSize: 4 },
        cluster: { nodeId, redis: { url: redis.url } },
      });
    // The first node takes both leases; the second starts once they are held, and stands by.
    first = await node('node-1');
    await until(() => online(first!), 15_000, 'the networks on the first node');
    second = await node('node-2');
    assert.equal(second.bridge.registry.get('xmpp')?.status().state, 'standby');
  });
  after(async () => {
    await Promise.all([erin?.stop(), fred?.quit()]);
    await second?.stop();
    await first?.stop();
    await Promise.all([ngircd?.destroy(), prosody?.destroy(), redis?.destroy(), postgres?.destroy()]);
  });

  const fredJid = () => `irc\\3afred\\40test@${prosody.componentDomain}`;
  /** What WHOIS says of a nick, as Fred's client reads it. */
  const whois = (nick: string) => new Promise<{ hostname?: string; away?: string }>((resolve) => fred.client.whois(nick, resolve));

  it('follows both users again on the node that took over, without either changing presence', async () => {
    await erin.send(xml('message', { type: 'chat', to: fredJid() }, xml('body', {}, 'Hello Fred, from XMPP')));
    await fred.next((m) => m.type === 'privmsg' && m.message === 'Hello Fred, from XMPP');
    await until(async () => (await whois('erin')).away === undefined, 10_000, "Erin's puppet not away");

    // The first node stops: it lets go of its leases, and the second runs both networks.
    await first!.stop();
    first = undefined;
    await until(() => online(second), 20_000, 'the networks on the second node');
    const presence = second.bridge.core.presence;
    await until(() => presence.get(`xmpp:erin@${prosody.domain}`).status === 'available', 15_000, "Erin's presence followed by the second node");
    await until(() => presence.get('irc:fred@test').status === 'available', 15_000, "Fred's presence followed by the second node");
    await until(async () => (await whois('erin')).hostname !== undefined && (await whois('erin')).away === undefined, 15_000, "Erin's puppet back, not away");
  });
});
