// Whether IRC vouches for a customer's nick (`/whois`), against a real ngircd: it has no services,
// so a nick in use is "not vouched" and a nick no one uses is said to be free.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBridge, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

describe("a customer's identity on IRC against a real ngircd (no services)", () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let fox: IrcAgent;
  before(async () => {
    ngircd = await startNgircd();
    fox = await connectIrcAgent(ngircd.port, 'fox');
    t = await startBridge({ networks: [{ type: 'web' }, ngircdNetwork(ngircd, { connectTimeoutSeconds: 5 })] });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await fox?.quit();
    await t?.stop();
    await ngircd?.destroy();
  });

  it('asks the server by WHOIS: a nick without a services account is not vouched for', async () => {
    const irc = t.bridge.registry.get('irc')!;
    assert.deepEqual(await irc.identityOf?.('irc:fox@test'), { vouched: false, how: 'not logged in to a services account: anyone may take a nick' });
    assert.deepEqual(await irc.identityOf?.('irc:nobody@test'), { vouched: false, how: 'no one uses the nick nobody now' });
  });
});
