// Gateway conversations across a restart of the bridge, against real Prosody and ngircd: the
// bridge follows the parties of conversations still open, so an XMPP user online all along is not
// shown away on IRC (a message to them draws no RPL_AWAY), and their IRC puppet is back without
// waiting for them to write.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { xmppIrcGateway } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, connectAgent, xml, bare } from '../xmpp-agent.js';

describe('gateway: open conversations after a restart of the bridge', () => {
  let prosody: ProsodyServer;
  let ngircd: NgircdServer;
  let t: TestBridge | undefined;
  let erin: Agent;
  let fred: IrcAgent;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-gateway-restart-'));
  const bridgeConfig = () => ({ sites: [{ key: SITE, origins: ['http://shop.test'] }], ...xmppIrcGateway(SITE, prosody, ngircd) });
  const start = async () => {
    t = await startBridge(bridgeConfig(), { dir });
    const bridge = t.bridge;
    await until(() => ['xmpp', 'irc'].every((n) => bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
  };

  before(async () => {
    [prosody, ngircd] = await Promise.all([startProsody({ users: [['erin', 'erinpw']] }), startNgircd()]);
    [erin, fred] = await Promise.all([connectAgent(prosody.c2sPort, 'erin', 'erinpw'), connectIrcAgent(ngircd.port, 'fred')]);
    await start();
  });
  after(async () => {
    await Promise.all([erin?.stop(), fred?.quit()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), ngircd?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const fredJid = () => `irc\\3afred\\40test@${prosody.componentDomain}`;
  /** What WHOIS says of a nick, as Fred's client reads it. */
  const whois = (nick: string) => new Promise<{ hostname?: string; away?: string }>((resolve) => fred.client.whois(nick, resolve));
  /** Whether a user with this nick is on the server (WHOIS has their host). */
  const online = async (nick: string) => (await whois(nick)).hostname !== undefined;
  /** The RPL_AWAY (301) lines Fred's server sends him, as his client reads them. */
  const awayReplies: string[] = [];

  it('opens a conversation: Erin, available, is a puppet that is not away', async () => {
    fred.client.on('away', (event: { nick: string; message?: string; self?: boolean }) => {
      if (!event.self) awayReplies.push(`${event.nick}: ${event.message ?? ''}`);
    });
    await erin.send(xml('message', { type: 'chat', to: fredJid() }, xml('body', {}, 'Hello Fred, from XMPP')));
    const got = await fred.next((m) => m.type === 'privmsg' && m.message === 'Hello Fred, from XMPP');
    assert.equal(got.nick, 'erin');
    await until(async () => (await whois('erin')).away === undefined, 10_000, 'the puppet not away');
    fred.say('erin', 'Hi Erin');
    await erin.next((s) => s.is('message') && s.getChildText('body') === 'Hi Erin');
  });

  it('after a restart, has the puppet back at once, and Erin, available all along, is not shown away', async () => {
    await t!.stop();
    t = undefined;
    await until(async () => !(await online('erin')), 10_000, 'the puppet gone with the bridge');
    await start();
    // Back without Erin writing: the conversation is open, so Fred can answer her at once.
    await until(() => online('erin'), 15_000, 'the puppet back');
    // Her presence is followed again: the bridge learns she is available without her changing it,
    // and her puppet is not away.
    const bridge = t!.bridge;
    await until(() => bridge.core.presence.get(`xmpp:erin@${prosody.domain}`).status === 'available', 15_000, "Erin's presence followed again");
    assert.equal((await whois('erin')).away, undefined, 'not away after the restart');
    awayReplies.length = 0;
    fred.say('erin', 'Still there, Erin?');
    await erin.next((s) => s.is('message') && bare(s.attrs.from) === fredJid() && s.getChildText('body') === 'Still there, Erin?');
    // Fred's server tells him of an away user with RPL_AWAY before his message goes: none came.
    assert.equal((await whois('erin')).away, undefined);
    assert.deepEqual(awayReplies, [], 'no RPL_AWAY for a message to Erin');
    await erin.send(xml('message', { type: 'chat', to: fredJid() }, xml('body', {}, 'Yes, here')));
    await fred.next((m) => m.type === 'privmsg' && m.nick === 'erin' && m.message === 'Yes, here');
  });

  it('after another restart, shows Erin away all along as away: her presence is followed again, not only while she writes', async () => {
    await erin.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'lunch')));
    try {
      await until(async () => (await whois('erin')).away === 'Away: lunch', 15_000, 'the puppet away');
      await t!.stop();
      t = undefined;
      await until(async () => !(await online('erin')), 10_000, 'the puppet gone with the bridge');
      await start();
      await until(() => online('erin'), 15_000, 'the puppet back');
      await until(async () => (await whois('erin')).away === 'Away: lunch', 15_000, 'the puppet away after the restart');
    } finally {
      await erin.send(xml('presence'));
    }
    await until(async () => (await whois('erin')).away === undefined, 15_000, 'the puppet back from lunch');
  });
});
