// The IRC network's flood control against a real ngircd with its default limits: a long paste
// goes out at the server's pace, whole and in order, without the server dropping the puppet. A file
// of its own: it waits on the server for minutes, and runs beside the other files meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type Tap, startTap } from '../servers/tap.js';

/** Quick presence polls and a short connect timeout, as for the other IRC tests. */
const QUICK = { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 };

describe('IRC flood control against ngircd with its default limits', () => {
  let ngircd: NgircdServer;
  let tap: Tap;
  let t: TestBridge;
  let dora: IrcAgent;
  const DORA = 'irc:dora@test';

  before(async () => {
    ngircd = await startNgircd({ limits: 'default' });
    tap = await startTap(ngircd.port);
    dora = await connectIrcAgent(ngircd.port, 'dora');
    t = await startBridge({
      teams: [{ id: 'support', members: [DORA], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(tap, { ...QUICK, maxLines: 600 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await dora?.quit();
    await t?.stop();
    await tap?.close();
    await ngircd?.destroy();
  });

  it('delivers a 500-line paste at the default pace: no disconnect, every line in order', { timeout: 600_000 }, async (context) => {
    const v = await openVisitor(t, { profile: { name: 'Paster' }, assignee: DORA });
    const lines = Array.from({ length: 500 }, (_, n) => `paste line ${n + 1}`);
    const started = Date.now();
    await sendText(v, lines.join('\n'));
    const got = await dora.collect((m) => m.message.startsWith('paste line '), 500, 580_000);
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual(
      got.map((m) => m.message),
      lines,
    );
    assert.equal(new Set(got.map((m) => m.nick)).size, 1, 'one puppet sent everything');
    const puppetConnections = tap.connections.filter((wire) => wire.some((line) => line.startsWith('NICK Paster')));
    assert.equal(puppetConnections.length, 1, 'the puppet never reconnected');
    context.diagnostic(`500 lines in ${seconds.toFixed(1)} s: ${(500 / seconds).toFixed(2)} lines/s under ngircd's default limits`);
  });
});
