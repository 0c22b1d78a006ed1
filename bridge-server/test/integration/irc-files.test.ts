// Files on IRC against a real ngircd (docs/networks/irc.md, "Files"): a visitor's file reaches the
// agent as a line with a link that fetches the same bytes; a DCC SEND offer is answered, not taken.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, call, openVisitor, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { PDF, PNG, fetchLink, linksIn, sendFiles, upload } from '../network-files.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type Tap, startTap } from '../servers/tap.js';

const AGENT = 'irc:alice@test';

describe('files on IRC against a real ngircd', () => {
  let ngircd: NgircdServer;
  let tap: Tap;
  let t: TestBridge;
  let alice: IrcAgent;

  before(async () => {
    ngircd = await startNgircd();
    tap = await startTap(ngircd.port);
    alice = await connectIrcAgent(ngircd.port, 'alice');
    t = await startBridge({
      teams: [{ id: 'support', members: ['irc:Alice@test'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(tap, { nick: 'helpdesk', presencePollSeconds: 0.5, connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await alice?.quit();
    await t?.stop();
    await tap?.close();
    await ngircd?.destroy();
  });

  it("gives the agent the visitor's text, then a line per file whose link fetches the same bytes", async () => {
    const v = await openVisitor(t, { profile: { name: 'Dana' }, assignee: AGENT });
    const shot = await upload(t, v.session.token, v.conversationId, 'screen shot.png', PNG);
    const invoice = await upload(t, v.session.token, v.conversationId, 'invoice.pdf', PDF);
    await sendFiles(v.socket, v.conversationId, 'Here are both', [shot, invoice]);

    const text = await alice.next((m) => m.message === 'Here are both');
    const [first, second] = await alice.collect((m) => m.nick === text.nick && m.message.startsWith('[file] '), 2);
    assert.match(first!.message, /^\[file\] screen shot\.png \(\d+ bytes\): http:\/\/127\.0\.0\.1:\d+\/\S+$/);
    assert.match(second!.message, /^\[file\] invoice\.pdf \(\d+ bytes\): http:\/\/\S+$/);
    assert.deepEqual(await fetchLink(linksIn(first!.message)[0]!), PNG);
    assert.deepEqual(await fetchLink(linksIn(second!.message)[0]!), PDF);
    // The lines the server got from the bridge: the text, then the files, each a PRIVMSG of its own.
    const lines = tap.connections.flat().filter((line) => line.startsWith(`PRIVMSG alice :`) && /Here are both|\[file\] /.test(line));
    assert.equal(lines.length, 3, JSON.stringify(lines));

    // A file alone: its line only.
    const only = await upload(t, v.session.token, v.conversationId, 'only.png', PNG);
    await sendFiles(v.socket, v.conversationId, '', [only]);
    const line = await alice.next((m) => m.nick === text.nick && m.message.startsWith('[file] only.png'));
    assert.deepEqual(await fetchLink(linksIn(line.message)[0]!), PNG);
  });

  it('answers a DCC SEND offer to a puppet or the bot with a notice that files are not carried over IRC, and takes nothing', async () => {
    const v = await openVisitor(t, { profile: { name: 'Erin' }, assignee: AGENT });
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'e-1', text: 'hello' });
    const puppet = (await alice.next((m) => m.message === 'hello')).nick;
    const received: string[] = [];
    v.socket.on('message', (message) => received.push(message.text));

    alice.client.raw(`PRIVMSG ${puppet} :\u0001DCC SEND report.pdf 2130706433 5000 1024\u0001`);
    const notice = await alice.next((m) => m.type === 'notice' && m.nick === puppet);
    assert.match(notice.message, /^"report\.pdf" was not received: files are not carried over IRC here .*paste the link instead\.$/);
    assert.equal(notice.target, 'alice');
    alice.client.raw('PRIVMSG helpdesk :\u0001DCC SEND "my photo.jpg" 2130706433 5001 2048\u0001');
    const fromBot = await alice.next((m) => m.type === 'notice' && m.nick === 'helpdesk');
    assert.match(fromBot.message, /^"my photo\.jpg" was not received: files are not carried over IRC here/);
    assert.deepEqual(received, [], 'nothing reached the visitor');
  });
});
