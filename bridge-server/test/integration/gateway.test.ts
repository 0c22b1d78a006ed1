// Gateway mode against real servers: an XMPP user on Prosody and a SIP user on Kamailio message each
// other through the bridge, with typing and presence; an IRC user on ngircd joins the same path; a
// loop (an identity of the bridge, or its id in a hop marker) and what the policy does not allow are
// refused; an address with special characters round-trips; usage counts what crossed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { API_KEY, SITE, type TestBridge, call, connect, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { kamailioNetwork, ngircdNetwork, prosodyNetwork, xmppIrcGateway } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type SipAgent, connectSipAgent, pidf } from '../sip-agent.js';
import { type Agent, connectAgent, correction, retraction, xml, bare } from '../xmpp-agent.js';

/** XEP-0106: the JID node for an address of another network. */
const escapeNode = (address: string) => address.replace(/[\\ "&'/:<>@]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** The day (UTC) the suite began: its usage is read from then on. */
const FIRST_DAY = new Date().toISOString().slice(0, 10);

describe('gateway: XMPP, SIP and IRC users through the bridge', () => {
  let prosody: ProsodyServer;
  let kamailio: KamailioServer;
  let ngircd: NgircdServer;
  let t: TestBridge;
  let carl: Agent;
  let bob: SipAgent;
  let dArcy: SipAgent;
  let dave: IrcAgent;
  let BOB: string;
  const CARL_URI = `sip:xmpp%3Acarl%40localhost@${VISITOR_DOMAIN}`;
  const DAVE = 'irc:dave@test';
  const DAVE_URI = `sip:irc%3Adave%40test@${VISITOR_DOMAIN}`;
  const BOT = 'gw';
  // The store outlives a restart of the bridge.
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-gateway-'));
  const bridgeConfig = () => ({
    sites: [{ key: SITE, origins: ['http://shop.test'], apiKeys: [{ id: 'crm', key: API_KEY }] }],
    teams: [],
    gateway: {
      site: SITE,
      id: 'bridge-a',
      allow: [
        { from: 'xmpp', to: 'sip', toDomains: [kamailio.domain] },
        { from: 'sip', to: 'xmpp', toDomains: ['localhost'] },
        { from: 'xmpp', to: 'irc' },
        { from: 'irc', to: 'xmpp' },
        { from: 'irc', to: 'sip' },
        { from: 'sip', to: 'irc' },
      ],
    },
    networks: [{ type: 'web' }, prosodyNetwork(prosody), kamailioNetwork(kamailio), ngircdNetwork(ngircd, { nick: BOT, presencePollSeconds: 1 })],
  });
  const networksOnline = () => until(() => ['xmpp', 'sip', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');

  before(async () => {
    [prosody, kamailio, ngircd] = await Promise.all([
      startProsody({ users: [['carl', 'carlpw']] }),
      startKamailio({
        users: { bob: 'bobpw', "d.arcy+o'hara": 'darcypw', switchboard: 'bridgepw' },
        routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
      }),
      startNgircd(),
    ]);
    BOB = `sip:bob@${kamailio.domain}`;
    [carl, bob, dArcy, dave] = await Promise.all([
      connectAgent(prosody.c2sPort, 'carl', 'carlpw'),
      connectSipAgent(kamailio.wsUrl, kamailio.domain, 'bob', 'bobpw'),
      connectSipAgent(kamailio.wsUrl, kamailio.domain, "d.arcy+o'hara", 'darcypw'),
      connectIrcAgent(ngircd.port, 'dave'),
    ]);
    t = await startBridge(bridgeConfig(), { dir });
    await networksOnline();
  });
  after(async () => {
    await Promise.all([carl?.stop(), bob?.stop(), dArcy?.stop(), dave?.quit()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), kamailio?.destroy(), ngircd?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });
  /** The next stanza matching, among those Carl receives from now on. */
  const carlNext = (predicate: (s: ReturnType<typeof xml>) => boolean, timeoutMs?: number) => {
    const mark = carl.stanzas.length;
    return carl.next((s) => carl.stanzas.indexOf(s) >= mark && predicate(s), timeoutMs);
  };
  /** What WHOIS says of a nick, as Dave's client reads it. */
  const whois = (nick: string) => new Promise<{ real_name?: string; away?: string }>((resolve) => dave.client.whois(nick, resolve));

  const jidOf = (address: string) => `${escapeNode(address)}@${prosody.componentDomain}`;
  const chatFrom = (jid: string) => (s: ReturnType<typeof xml>) => s.is('message') && bare(s.attrs.from) === jid && s.getChildText('body') !== null;

  it("refuses an XMPP user's message to a website visitor as the visitor's address does, not as the gateway would", async () => {
    const visitor = await connect(t, { siteKey: SITE });
    try {
      const jid = `${visitor.session.self.slice('web:'.length)}@${prosody.componentDomain}`;
      await carl.send(xml('message', { type: 'chat', to: jid, id: 'gv-1' }, xml('body', {}, 'Hello, visitor')));
      const error = await carlNext((s) => s.attrs.type === 'error' && s.attrs.id === 'gv-1');
      assert.ok(error.getChild('error')?.getChild('not-allowed', 'urn:ietf:params:xml:ns:xmpp-stanzas'), error.toString());
      assert.equal(
        error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
        'This visitor is not in a conversation with you; your message was not delivered.',
      );
    } finally {
      visitor.socket.disconnect();
    }
  });

  it("carries an XMPP user's message to a SIP user, and the reply back, with typing both ways", async () => {
    const bobJid = jidOf(BOB);
    assert.equal(bobJid, `sip\\3abob\\40${kamailio.domain}@${prosody.componentDomain}`);
    await carl.send(xml('message', { type: 'chat', to: bobJid, id: 'g1' }, xml('body', {}, 'Hello Bob, from XMPP')));
    const got = await bob.next((m) => m.request.body === 'Hello Bob, from XMPP');
    assert.equal(got.request.from.uri.toString(), CARL_URI);
    // On the wire the user part has its `:` escaped: a proxy reads `xmpp%3Acarl%40localhost` whole,
    // not the user `xmpp` with a password (RFC 3261 sections 19.1.1 and 25.1).
    assert.match(got.request.getHeader('From') ?? '', new RegExp(`<sip:xmpp%3Acarl%40localhost@${VISITOR_DOMAIN.replaceAll('.', '\\.')}>`));
    assert.equal(got.request.getHeader('Switchboard-Hops'), 'bridge-a', 'the hop marker names this bridge');

    assert.equal(await bob.send(CARL_URI, 'Hi Carl, from SIP 👋'), 200);
    const reply = await carl.next(chatFrom(bobJid));
    assert.equal(reply.getChildText('body'), 'Hi Carl, from SIP 👋');

    await carl.send(xml('message', { type: 'chat', to: bobJid }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    const composing = await bob.next((m) => m.request.getHeader('Content-Type') === 'application/im-iscomposing+xml');
    assert.match(composing.request.body, /<state>active<\/state>/);
    const isComposing =
      '<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state></isComposing>';
    assert.equal(await bob.send(CARL_URI, isComposing, 'application/im-iscomposing+xml'), 200);
    await carl.next((s) => s.is('message') && bare(s.attrs.from) === bobJid && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined);
  });

  it("shows each side the other's presence: SIMPLE to XMPP presence, and XMPP presence to a SIMPLE publication", async () => {
    const bobJid = jidOf(BOB);
    // Bob goes away on SIP: Carl sees the gateway contact away.
    await bob.publish(pidf(BOB, 'open', 'away'));
    await carl.next((s) => s.is('presence') && bare(s.attrs.from) === bobJid && s.getChildText('show') === 'away', 15_000);
    // Carl is busy on XMPP: Bob, watching Carl's gateway URI, is told.
    const watch = await bob.watch(CARL_URI);
    try {
      await carl.send(xml('presence', {}, xml('show', {}, 'dnd')));
      await until(() => watch.notifications.some((body) => /<basic>open<\/basic>/.test(body) && /busy/.test(body)), 15_000, 'a NOTIFY with Carl busy');
    } finally {
      await watch.stop();
      await carl.send(xml('presence'));
    }
  });

  it('round-trips an address with special characters', async () => {
    const address = `sip:d.arcy+o'hara@${kamailio.domain}`;
    const jid = jidOf(address);
    await carl.send(xml('message', { type: 'chat', to: jid }, xml('body', {}, 'Hello Mr Darcy')));
    const got = await dArcy.next((m) => m.request.body === 'Hello Mr Darcy');
    assert.equal(got.request.from.uri.toString(), CARL_URI);
    assert.equal(await dArcy.send(CARL_URI, 'Good day'), 200);
    assert.equal((await carl.next(chatFrom(jid))).getChildText('body'), 'Good day');
  });

  it("stops a loop: a message to one of the bridge's own identities is refused, not relayed", async () => {
    // Carl writes to the SIP identity the bridge gives Carl himself: it would come back to XMPP.
    const loopJid = jidOf(CARL_URI);
    await carl.send(xml('message', { type: 'chat', to: loopJid, id: 'loop1' }, xml('body', {}, 'echo?')));
    const error = await carl.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'loop1');
    assert.match(error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /came back through the gateway/);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /switchboard_gateway_refused_total\{reason="loop"\} 1/);
  });

  it("refuses what the policy does not allow (a domain outside the pair's list), with the reason", async () => {
    await carl.send(xml('message', { type: 'chat', to: jidOf('sip:eve@elsewhere.test'), id: 'out1' }, xml('body', {}, 'to elsewhere?')));
    const error = await carl.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'out1');
    assert.match(
      error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '',
      /does not connect localhost on xmpp to elsewhere\.test on sip/,
    );
    assert.ok(error.getChild('error')?.getChild('not-allowed', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    // The same from SIP, with the reason in a Warning header (RFC 3261 section 20.43), as XMPP users get it in text.
    const refused = await bob.request(`sip:xmpp%3Aeve%40elsewhere.test@${VISITOR_DOMAIN}`, 'to elsewhere?');
    assert.equal(refused.statusCode, 403);
    assert.match(
      refused.warning ?? '',
      new RegExp(
        `^399 ${VISITOR_DOMAIN.replaceAll('.', '\\.')} "[^"]*does not connect ${kamailio.domain.replaceAll('.', '\\.')} on sip to elsewhere\\.test on xmpp[^"]*"$`,
      ),
    );
    assert.equal(await bob.send(`sip:v_nobody@${VISITOR_DOMAIN}`, 'to a visitor?'), 403, 'website visitors are not gateway users');
  });

  it('reads an IRC nick typed with capitals in a SIP URI as its user', async () => {
    // SIP URIs keep the case of their user part: `irc%3ADave%40test` is Dave all the same.
    assert.equal(await bob.send(`sip:irc%3ADave%40test@${VISITOR_DOMAIN}`, 'Hello Dave, typed with a capital'), 200);
    await dave.next((m) => m.type === 'privmsg' && m.message === 'Hello Dave, typed with a capital');
  });

  it('tells an XMPP user at once that an IRC nick nobody has is not there, while a user seen on IRC who left is waited for', async () => {
    // Nobody ever had the nick: the server's 401 (or its ISON) is the answer, not holdMinutes of waiting.
    const nobodyJid = jidOf('irc:nobody@test');
    const notice = carlNext((s) => chatFrom(nobodyJid)(s) && /^Not delivered/.test(s.getChildText('body') ?? ''), 10_000);
    await carl.send(xml('message', { type: 'chat', to: nobodyJid, id: 'nobody1' }, xml('body', {}, 'Hello, anyone?')));
    assert.match(
      (await notice).getChildText('body')!,
      /^Not delivered \("Hello, anyone\?"\): irc: nobody is on IRC as nobody, and the bridge has never seen that nick there$/,
    );

    // Erin was seen on IRC: once she left, what is written to her waits for her, and reaches her when back.
    let erin = await connectIrcAgent(ngircd.port, 'erin');
    const erinJid = jidOf('irc:erin@test');
    await carl.send(xml('message', { type: 'chat', to: erinJid }, xml('body', {}, 'Hi Erin')));
    await erin.next((m) => m.message === 'Hi Erin');
    await erin.quit();
    await carl.send(xml('message', { type: 'chat', to: erinJid }, xml('body', {}, 'Are you back, Erin?')));
    erin = await connectIrcAgent(ngircd.port, 'erin');
    await erin.next((m) => m.message === 'Are you back, Erin?', 15_000);
    await erin.quit();
    assert.ok(!carl.stanzas.some((s) => chatFrom(erinJid)(s) && /^Not delivered/.test(s.getChildText('body') ?? '')), 'no failure for a user who was away');
  });

  it('lets an IRC user join the same path: /to through the bot, replies from a user of their own, with XMPP and SIP', async () => {
    dave.say(BOT, '/to xmpp:Carl@LocalHost Hello Carl, from IRC');
    await dave.next((m) => m.type === 'notice' && m.nick === BOT && /^Sent to xmpp:carl@localhost\./.test(m.message));
    const daveJid = jidOf(DAVE);
    assert.equal((await carl.next(chatFrom(daveJid))).getChildText('body'), 'Hello Carl, from IRC');
    await carl.send(xml('message', { type: 'chat', to: daveJid }, xml('body', {}, 'Hi Dave, from XMPP')));
    const fromCarl = await dave.next((m) => m.type === 'privmsg' && m.message === 'Hi Dave, from XMPP');
    const carlNick = fromCarl.nick;
    assert.equal(carlNick, 'carl');
    assert.equal((await whois(carlNick)).real_name, 'xmpp:carl@localhost', 'WHOIS tells who the IRC user stands for');
    dave.say(carlNick, 'Thanks Carl');
    await carl.next((s) => chatFrom(daveJid)(s) && s.getChildText('body') === 'Thanks Carl');

    dave.say(BOT, `/to ${BOB} Hello Bob, from IRC`);
    const atBob = await bob.next((m) => m.request.body === 'Hello Bob, from IRC');
    assert.equal(atBob.request.from.uri.toString(), DAVE_URI);
    assert.equal(await bob.send(DAVE_URI, 'Hi Dave, from SIP'), 200);
    const fromBob = await dave.next((m) => m.type === 'privmsg' && m.message === 'Hi Dave, from SIP');
    assert.equal(fromBob.nick, 'bob');
    assert.equal((await whois('bob')).real_name, BOB);

    dave.say(BOT, '/to xmpp:carl@localhost');
    const usage = await dave.next((m) => m.type === 'notice' && m.nick === BOT && /^Usage: \/to ADDRESS TEXT/.test(m.message));
    // Its example is of a network Dave may reach (IRC reaches XMPP and SIP here).
    assert.equal(usage.message, 'Usage: /to ADDRESS TEXT (for example /to xmpp:carl@example.org Hello)');
    dave.say(BOT, 'hello?');
    // Dave is no agent: told what the bot serves and where /to is, with no instructions meant for agents.
    const notAgent = await dave.next((m) => m.type === 'notice' && m.nick === BOT && /Send \/help for what you can do here\.$/.test(m.message));
    assert.match(notAgent.message, /serves the team's agents, and dave is not one of them/);
    assert.doesNotMatch(notAgent.message, /visitor|#ref/);
    dave.say(BOT, '/help');
    const help = await dave.next((m) => m.type === 'notice' && m.nick === BOT && /^\/to ADDRESS TEXT/.test(m.message));
    assert.match(help.message, /\(xmpp:carl@example\.org, sip:bob@example\.com\)/, 'the networks IRC reaches, and only those');
    dave.say(BOT, '/to nowhere:x hi');
    await dave.next((m) => m.type === 'notice' && m.nick === BOT && /not an address of a network this bridge connects/.test(m.message));
  });

  it('shows IRC presence across: an IRC user away is away on XMPP, an XMPP user busy is an AWAY puppet', async () => {
    const daveJid = jidOf(DAVE);
    const away = carlNext((s) => s.is('presence') && bare(s.attrs.from) === daveJid && s.getChildText('show') === 'away', 15_000);
    dave.client.raw('AWAY :lunch');
    await away;
    const back = carlNext((s) => s.is('presence') && bare(s.attrs.from) === daveJid && s.attrs.type === undefined && s.getChild('show') === undefined, 15_000);
    dave.client.raw('AWAY');
    await back;

    await carl.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'in a meeting')));
    try {
      let seen: { away?: string } = {};
      await until(async () => ((seen = await whois('carl')).away ?? '') !== '', 15_000, 'the puppet away');
      assert.equal(seen.away, 'Busy: in a meeting');
    } finally {
      await carl.send(xml('presence'));
    }
    await until(async () => (await whois('carl')).away === undefined, 15_000, 'the puppet back');
  });

  it("lets a SIP user follow an IRC user's presence with /follow, before any message", async () => {
    const erin = await connectIrcAgent(ngircd.port, 'erin');
    const ERIN_URI = `sip:irc%3Aerin%40test@${VISITOR_DOMAIN}`;
    const BRIDGE_URI = `sip:switchboard@${VISITOR_DOMAIN}`;
    try {
      assert.equal(await dArcy.send(BRIDGE_URI, '/follow irc:Erin'), 200);
      const answer = await dArcy.next((m) => m.request.from.uri.toString() === BRIDGE_URI && /^Following /.test(m.request.body));
      assert.equal(answer.request.body, "Following irc:erin@test's presence; they see yours.");
      const watch = await dArcy.watch(ERIN_URI);
      try {
        await until(() => watch.notifications.some((body) => /<basic>open<\/basic>/.test(body) && !/away/.test(body)), 15_000, 'Erin online');
        erin.client.raw('AWAY :coffee');
        await until(() => watch.notifications.some((body) => /<basic>open<\/basic>/.test(body) && /away/.test(body)), 15_000, 'Erin away');
      } finally {
        await watch.stop();
      }
      assert.equal(await dArcy.send(BRIDGE_URI, '/unfollow irc:erin'), 200);
      await dArcy.next((m) => m.request.from.uri.toString() === BRIDGE_URI && m.request.body === 'No longer following irc:erin@test.');
      assert.equal(await dArcy.send(BRIDGE_URI, '/follow sip:bob'), 200);
      await dArcy.next((m) => m.request.from.uri.toString() === BRIDGE_URI && /^"sip:bob" is not a valid sip address\.$/.test(m.request.body));
    } finally {
      await erin.quit();
    }
  });

  it("stops a message carrying this bridge's id in its hop marker, and carries another bridge's on", async () => {
    const loop = await bob.request(CARL_URI, 'round and round', undefined, ['Switchboard-Hops: bridge-z, bridge-a']);
    assert.equal(loop.statusCode, 403);
    assert.match(loop.warning ?? '', /^399 \S+ "this message came back through the gateway; it is not relayed again"$/);
    assert.equal(await bob.send(CARL_URI, 'through one bridge', undefined, ['Switchboard-Hops: bridge-z']), 200);
    const relayed = await carl.next((s) => s.is('message') && s.getChildText('body') === 'through one bridge');
    const hops = relayed
      .getChild('hops', 'urn:switchboard:hops:0')
      ?.getChildren('hop')
      .map((hop) => hop.attrs.bridge);
    assert.deepEqual(hops, ['bridge-z', 'bridge-a'], 'the marker goes on with this bridge added');
    await carl.send(
      xml(
        'message',
        { type: 'chat', to: jidOf(BOB), id: 'hop1' },
        xml('body', {}, 'back again?'),
        xml('hops', { xmlns: 'urn:switchboard:hops:0' }, xml('hop', { bridge: 'bridge-z' }), xml('hop', { bridge: 'bridge-a' })),
      ),
    );
    const error = await carl.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'hop1');
    assert.match(error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /came back through the gateway/);
    dave.say('bob', 'and on to SIP');
    const atBob = await bob.next((m) => m.request.body === 'and on to SIP');
    assert.equal(atBob.request.getHeader('Switchboard-Hops'), 'bridge-a', 'IRC carries no marker: this bridge is the first it knows of');
  });

  it('counts what crossed each boundary in the usage report', async () => {
    // From the day the suite began to today: a run across midnight counts both days.
    const response = await fetch(`${t.url}/v1/usage?from=${FIRST_DAY}&to=${new Date().toISOString().slice(0, 10)}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const body = (await response.json()) as { usage: { from: string; to: string; messages: number }[] };
    const count = (from: string, to: string) => body.usage.filter((u) => u.from === from && u.to === to).reduce((sum, u) => sum + u.messages, 0);
    assert.equal(count('xmpp', 'sip'), 2, 'Hello Bob, Hello Mr Darcy');
    assert.equal(count('sip', 'xmpp'), 3, 'Hi Carl, Good day, through one bridge');
    assert.equal(count('irc', 'xmpp'), 2, 'Hello Carl, Thanks Carl');
    assert.equal(count('xmpp', 'irc'), 4, 'Hello anyone (to a nick nobody has), Hi Erin, Are you back Erin, Hi Dave');
    assert.equal(count('irc', 'sip'), 2, 'Hello Bob, and on to SIP');
    assert.equal(count('sip', 'irc'), 2, 'Hello Dave typed with a capital, Hi Dave');
  });

  it("keeps a gateway conversation its users' own: the site's integration reads it, and does not write in it", async () => {
    const conversations = await t.bridge.store.listConversations({ siteKey: SITE, participant: DAVE, limit: 50 });
    const between = conversations.find((c) => c.participants.includes('xmpp:carl@localhost'))!;
    assert.ok(between, 'the conversation of Carl and Dave');
    const post = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: between.id, text: 'The desk speaking', clientId: 'desk-in-gateway' }),
    });
    assert.equal(post.status, 403);
    const { error } = (await post.json()) as { error: { code: string; message: string } };
    assert.deepEqual(error, {
      code: 'forbidden',
      message: "conversationId: a gateway conversation is its users' own: the site's agents and integrations read it, and do not write in it",
    });
    assert.deepEqual((await t.bridge.store.getConversation(between.id))!.participants, between.participants, 'nobody joined it');
    // Nor does the desk's typing reach them.
    const crm = await connect(t, { apiKey: API_KEY }, { origin: null });
    const typing = await call(crm.socket, 'typing', { conversationId: between.id, state: 'composing' });
    assert.equal(typing.error?.code, 'forbidden');
    // Its users, of whom the bridge keeps no details, are known to the site's desk by their address.
    for (const address of ['xmpp:carl@localhost', DAVE]) {
      const known = await call(crm.socket, 'party:get', { address });
      assert.deepEqual(known.party, { address, role: 'visitor', verified: false }, address);
    }
    // A user in no conversation of the site is no one to it.
    assert.equal((await call(crm.socket, 'party:get', { address: 'xmpp:nobody@localhost' })).error?.code, 'not_found');
    crm.socket.disconnect();
  });

  it("gives a SIP user an XMPP user's correction as a new message marked edited, and no retraction at all (SIP has neither)", async () => {
    const bobJid = jidOf(BOB);
    await carl.send(xml('message', { type: 'chat', to: bobJid, id: 'amend-1' }, xml('body', {}, 'Meet at 5')));
    await bob.next((m) => m.request.body === 'Meet at 5');
    await carl.send(correction(bobJid, 'Meet at 6', 'amend-2', 'amend-1'));
    await bob.next((m) => m.request.body === 'Meet at 6 (edited)');
    await carl.send(retraction(bobJid, 'amend-3', 'amend-2'));
    await carl.send(xml('message', { type: 'chat', to: bobJid, id: 'amend-4' }, xml('body', {}, 'See you')));
    await bob.next((m) => m.request.body === 'See you');
    const texts = bob.inbox.map((m) => m.request.body).filter((body) => /^(Meet at|See you|$)/.test(body) || body.includes('retract'));
    assert.deepEqual(texts, ['Meet at 5', 'Meet at 6 (edited)', 'See you'], 'the retraction sends nothing, neither an empty MESSAGE nor its fallback');
  });

  // Last: it restarts the bridge.
  it('follows the users of open gateway conversations again after a restart: an XMPP user busy is still an AWAY puppet on IRC', async () => {
    await carl.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'in a meeting')));
    try {
      await until(async () => (await whois('carl')).away === 'Busy: in a meeting', 15_000, 'the puppet away');
      await t.stop();
      t = await startBridge(bridgeConfig(), { dir });
      await networksOnline();
      // Carl, busy all along, writes in the conversation with Dave that was open before the restart.
      await carl.send(xml('message', { type: 'chat', to: jidOf(DAVE) }, xml('body', {}, 'Still there, Dave?')));
      await dave.next((m) => m.type === 'privmsg' && m.nick === 'carl' && m.message === 'Still there, Dave?');
      // The bridge knows it only by following his presence again (a probe): no change of his tells it.
      await until(async () => (await whois('carl')).away === 'Busy: in a meeting', 15_000, 'the puppet away after the restart');
    } finally {
      await carl.send(xml('presence'));
    }
    await until(async () => (await whois('carl')).away === undefined, 15_000, 'the puppet back');
  });
});

describe('gateway receipts: XEP-0184 and XEP-0333 <-> IMDN', () => {
  let prosody: ProsodyServer;
  let kamailio: KamailioServer;
  let t: TestBridge;
  let carl: Agent;
  let bob: SipAgent;
  let BOB: string;
  const CARL_URI = `sip:xmpp%3Acarl%40localhost@${VISITOR_DOMAIN}`;

  before(async () => {
    [prosody, kamailio] = await Promise.all([
      startProsody({ users: [['carl', 'carlpw']] }),
      startKamailio({ users: { bob: 'bobpw', switchboard: 'bridgepw' }, routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' } }),
    ]);
    BOB = `sip:bob@${kamailio.domain}`;
    [carl, bob] = await Promise.all([connectAgent(prosody.c2sPort, 'carl', 'carlpw'), connectSipAgent(kamailio.wsUrl, kamailio.domain, 'bob', 'bobpw')]);
    t = await startBridge({
      teams: [],
      gateway: {
        site: SITE,
        allow: [
          { from: 'xmpp', to: 'sip' },
          { from: 'sip', to: 'xmpp' },
        ],
      },
      networks: [{ type: 'web' }, prosodyNetwork(prosody), kamailioNetwork(kamailio, { imdn: true })],
    });
    await until(() => ['xmpp', 'sip'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
  });
  after(async () => {
    await Promise.all([carl?.stop(), bob?.stop()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), kamailio?.destroy()]);
  });

  const imdn = (messageId: string, kind: 'delivery' | 'display') =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>${messageId}</message-id>` +
    `<${kind}-notification><status><${kind === 'delivery' ? 'delivered' : 'displayed'}/></status></${kind}-notification></imdn>`;

  it('answers an XMPP receipt request only when the SIP side confirms, and the other way round', async () => {
    const bobJid = `sip\\3abob\\40${kamailio.domain}@${prosody.componentDomain}`;
    await carl.send(
      xml(
        'message',
        { type: 'chat', to: bobJid, id: 'rc1' },
        xml('body', {}, 'Did you get this?'),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
        xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
      ),
    );
    const cpim = await bob.next((m) => m.request.getHeader('Content-Type') === 'message/cpim' && m.request.body.endsWith('Did you get this?'));
    const messageId = /imdn\.Message-ID: (\S+)/.exec(cpim.request.body)![1]!;
    assert.equal(
      carl.stanzas.some((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'rc1'),
      false,
      'no receipt before the SIP side confirms',
    );
    assert.equal(await bob.send(CARL_URI, imdn(messageId, 'delivery'), 'message/imdn+xml'), 200);
    const received = await carl.next((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'rc1');
    assert.equal(bare(received.attrs.from), bobJid);
    assert.equal(await bob.send(CARL_URI, imdn(messageId, 'display'), 'message/imdn+xml'), 200);
    await carl.next((s) => s.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === 'rc1');

    // Bob asks for notifications in CPIM; Carl's client confirms with XEP-0184 and XEP-0333.
    const body = [
      `From: <${BOB}>`,
      `To: <${CARL_URI}>`,
      'NS: imdn <urn:ietf:params:imdn>',
      'imdn.Message-ID: bob-1',
      'imdn.Disposition-Notification: positive-delivery, display',
      '',
      'Content-Type: text/plain;charset=UTF-8',
      '',
      'Yes, got it',
    ].join('\r\n');
    assert.equal(await bob.send(CARL_URI, body, 'message/cpim'), 200);
    const atCarl = await carl.next((s) => s.is('message') && s.getChildText('body') === 'Yes, got it');
    assert.ok(atCarl.getChild('request', 'urn:xmpp:receipts'));
    const delivered = () =>
      bob.inbox.some(
        (m) =>
          m.request.getHeader('Content-Type') === 'message/cpim' &&
          m.request.body.includes('Content-Type: message/imdn+xml') &&
          m.request.body.includes('<message-id>bob-1</message-id>') &&
          m.request.body.includes('<delivered/>'),
      );
    assert.equal(delivered(), false, "no IMDN before Carl's client confirms");
    await carl.send(xml('message', { to: bobJid }, xml('received', { xmlns: 'urn:xmpp:receipts', id: atCarl.attrs.id })));
    await until(delivered, 10_000, 'the delivery IMDN');
    await carl.send(xml('message', { to: bobJid }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: atCarl.attrs.id })));
    await until(
      () => bob.inbox.some((m) => m.request.body.includes('<message-id>bob-1</message-id>') && m.request.body.includes('<displayed/>')),
      10_000,
      'the display IMDN',
    );
  });
});

describe('gateway: IRC users who must be logged in to services, beside IRC customers', () => {
  let prosody: ProsodyServer;
  let ngircd: NgircdServer;
  let t: TestBridge;
  let carl: Agent;
  let eve: IrcAgent;
  const BOT = 'desk';

  before(async () => {
    [prosody, ngircd] = await Promise.all([startProsody({ users: [['carl', 'carlpw']] }), startNgircd()]);
    [carl, eve] = await Promise.all([connectAgent(prosody.c2sPort, 'carl', 'carlpw'), connectIrcAgent(ngircd.port, 'eve')]);
    t = await startBridge({
      teams: [{ id: 'support', members: ['web:a_alice'], sites: [SITE] }],
      gateway: { site: SITE, allow: [{ from: 'irc', to: 'xmpp' }] },
      networks: [
        { type: 'web' },
        prosodyNetwork(prosody),
        // ngircd has no services: no nick is logged in to an account.
        ngircdNetwork(ngircd, { nick: BOT, presencePollSeconds: 1, requireAccount: true, customers: { team: 'support' } }),
      ],
    });
    await until(() => ['xmpp', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
  });
  after(async () => {
    await Promise.all([carl?.stop(), eve?.quit()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), ngircd?.destroy()]);
  });

  it('refuses /to from a nick not logged in to its account, while its messages to the team (a customer) need none', async () => {
    eve.say(BOT, '/to xmpp:carl@localhost Hello Carl, as anyone on this nick');
    const refused = await eve.next((m) => m.type === 'notice' && m.nick === BOT);
    assert.equal(refused.message, 'Log in to the services account "eve" to talk to visitors or use commands here.');
    eve.say(BOT, 'I have a question about my order');
    await until(
      async () => (await t.bridge.store.listConversations({ siteKey: SITE, participant: 'irc:eve@test', limit: 10 })).some((c) => c.team === 'support'),
      10_000,
      "the customer's conversation with the team",
    );
    assert.equal(
      carl.stanzas.some((s) => s.is('message') && s.getChildText('body')?.includes('Hello Carl')),
      false,
      'nothing reached Carl',
    );
  });
});

describe('gateway: an IRC gateway domain on XMPP (XEP-0100)', () => {
  const IRC_GATEWAY = 'irc.localhost';
  let prosody: ProsodyServer;
  let ngircd: NgircdServer;
  let t: TestBridge;
  let carl: Agent;
  let dave: IrcAgent;

  before(async () => {
    [prosody, ngircd] = await Promise.all([startProsody({ users: [['carl', 'carlpw']], extraComponents: [IRC_GATEWAY] }), startNgircd()]);
    [carl, dave] = await Promise.all([connectAgent(prosody.c2sPort, 'carl', 'carlpw'), connectIrcAgent(ngircd.port, 'dave')]);
    // RFC 6121 section 2.1.6: a client that fetched its roster is sent subscription requests.
    await carl.xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    t = await startBridge({
      teams: [],
      gateway: { site: SITE, allow: [{ from: 'xmpp', to: 'irc' }] },
      networks: [{ type: 'web' }, prosodyNetwork(prosody, { gateways: [{ domain: IRC_GATEWAY, network: 'irc' }] }), ngircdNetwork(ngircd, { nick: 'gw' })],
    });
    await until(() => ['xmpp', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
  });
  after(async () => {
    await Promise.all([carl?.stop(), dave?.quit()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), ngircd?.destroy()]);
  });

  it('gives the JID of the nick a user typed with capitals as the IRC user it is, who gets what is written to it', async () => {
    await carl.send(
      xml('iq', { type: 'set', to: IRC_GATEWAY, id: 'translate-1' }, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'Dave@test'))),
    );
    const answer = await carl.next((s) => s.is('iq') && s.attrs.id === 'translate-1');
    const jid = answer.getChild('query', 'jabber:iq:gateway')?.getChildText('jid');
    assert.equal(jid, `dave\\40test@${IRC_GATEWAY}`);
    await carl.send(xml('message', { type: 'chat', to: jid }, xml('body', {}, 'Hello Dave, from the gateway domain')));
    await dave.next((m) => m.type === 'privmsg' && m.message === 'Hello Dave, from the gateway domain');
  });

  it("takes a JID not written as the bridge writes the user's address for nobody: refused, never a second way to them", async () => {
    // The nick without the network's id (its canonical address is irc:dave@test): not dave's JID.
    const wrong = `dave@${IRC_GATEWAY}`;
    await carl.send(xml('message', { type: 'chat', to: wrong, id: 'wrong-1' }, xml('body', {}, 'Hello from the wrong JID')));
    const error = await carl.next((s) => s.attrs.type === 'error' && s.attrs.id === 'wrong-1');
    assert.ok(error.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'), error.toString());
    await carl.send(xml('message', { type: 'chat', to: `dave\\40test@${IRC_GATEWAY}` }, xml('body', {}, 'and from the right one')));
    await dave.next((m) => m.type === 'privmsg' && m.message === 'and from the right one');
    assert.equal(dave.messages.filter((m) => m.message === 'Hello from the wrong JID').length, 0);
  });

  it("asks the XMPP user to add the IRC contact from the contact's own JID, with its nick, and follows their presence once approved (XEP-0100, XEP-0172)", async () => {
    const daveJid = `dave\\40test@${IRC_GATEWAY}`;
    await carl.send(xml('message', { type: 'chat', to: daveJid }, xml('body', {}, 'Are you on IRC?')));
    await dave.next((m) => m.type === 'privmsg' && m.message === 'Are you on IRC?');
    const asked = await carl.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && bare(s.attrs.from) === daveJid);
    assert.equal(asked.getChildText('nick', 'http://jabber.org/protocol/nick'), 'dave');
    const fromDomain = carl.stanzas.filter((s) => s.is('presence') && s.attrs.type === 'subscribe' && !s.attrs.from?.includes('@'));
    assert.deepEqual(fromDomain, [], "no request from the component's domain: approving it would add no contact");
    // Carl's client approved it (connectAgent does): his presence comes to Dave's JID, and the bridge follows it.
    await carl.send(xml('presence', {}, xml('show', {}, 'dnd')));
    try {
      await until(() => t.bridge.core.presence.get('xmpp:carl@localhost').status === 'busy', 10_000, "carl's presence, through the contact's JID");
    } finally {
      await carl.send(xml('presence'));
    }
  });
});

describe('gateway: an XMPP user who has not answered the bridge’s subscription request', () => {
  it('shows present to the IRC user they write to, not Offline (their presence is not known yet)', async () => {
    const [prosody, ngircd] = await Promise.all([startProsody({ users: [['carl', 'carlpw']] }), startNgircd()]);
    // Carl's client asks him about the request, and he has not answered.
    const [carl, dave] = await Promise.all([
      connectAgent(prosody.c2sPort, 'carl', 'carlpw', { subscriptions: 'ignore' }),
      connectIrcAgent(ngircd.port, 'dave'),
    ]);
    const t = await startBridge(xmppIrcGateway(SITE, prosody, ngircd));
    try {
      await until(() => ['xmpp', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
      dave.say('gw', '/to xmpp:carl@localhost Hello Carl');
      const daveJid = `irc\\3adave\\40test@${prosody.componentDomain}`;
      await carl.next((s) => s.is('message') && bare(s.attrs.from) === daveJid && s.getChildText('body') === 'Hello Carl');
      await carl.next((s) => s.is('presence') && s.attrs.type === 'subscribe');
      await carl.send(xml('message', { type: 'chat', to: daveJid }, xml('body', {}, 'Hi Dave')));
      const reply = await dave.next((m) => m.type === 'privmsg' && m.message === 'Hi Dave');
      // The puppet's away flag, as WHOIS tells it once the bridge has had its say.
      dave.say(reply.nick, 'Are you there?');
      await carl.next((s) => s.is('message') && s.getChildText('body') === 'Are you there?');
      const seen = await new Promise<{ away?: string }>((resolve) => dave.client.whois(reply.nick, resolve));
      assert.equal(seen.away, undefined);
    } finally {
      await Promise.all([carl.stop(), dave.quit()]);
      await t.stop();
      await Promise.all([prosody.destroy(), ngircd.destroy()]);
    }
  });
});

describe('gateway: past the IRC network’s puppets, lines relayed by the bot', () => {
  it('lets the IRC user answer a relayed line by its ref, into their own conversation only', async () => {
    const [prosody, ngircd] = await Promise.all([startProsody({ users: [['carl', 'carlpw']] }), startNgircd()]);
    const [carl, dave, erin] = await Promise.all([
      connectAgent(prosody.c2sPort, 'carl', 'carlpw'),
      connectIrcAgent(ngircd.port, 'dave'),
      connectIrcAgent(ngircd.port, 'erin'),
    ]);
    const config = xmppIrcGateway(SITE, prosody, ngircd, { maxPuppets: 0 });
    // One message a minute per sender: a policy asked about someone else's conversation would say so.
    Object.assign(config.gateway as object, { burst: 1, ratePerMinute: 1 });
    const t = await startBridge(config);
    try {
      await until(() => ['xmpp', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
      const daveJid = `irc\\3adave\\40test@${prosody.componentDomain}`;
      await carl.send(xml('message', { type: 'chat', to: daveJid }, xml('body', {}, 'Hello Dave, no puppet for me')));
      const relayed = await dave.next((m) => m.type === 'privmsg' && m.nick === 'gw' && m.message.endsWith('Hello Dave, no puppet for me'));
      const ref = /^\[carl #([0-9a-z]+)\] /.exec(relayed.message)?.[1];
      assert.ok(ref, relayed.message);
      dave.say('gw', `#${ref} Hi Carl, answered by ref`);
      await carl.next((s) => s.is('message') && bare(s.attrs.from) === daveJid && s.getChildText('body') === 'Hi Carl, answered by ref');
      // Someone else's ref is no way into the conversation, nor a way to learn about it: Erin is told
      // what the bot is, each time (the gateway's policy is not asked: no rate, no refusal of its own),
      // and Carl gets nothing of hers.
      for (const attempt of ['let me in', 'let me in, please']) {
        const seen = erin.messages.length;
        erin.say('gw', `#${ref} ${attempt}`);
        const told = await erin.next((m) => erin.messages.indexOf(m) >= seen && m.type === 'notice' && m.nick === 'gw');
        assert.match(told.message, /erin is not one of them\. Your message was not delivered\./);
      }
      assert.ok(!carl.stanzas.some((s) => (s.getChildText('body') ?? '').startsWith('let me in')));
    } finally {
      await Promise.all([carl.stop(), dave.quit(), erin.quit()]);
      await t.stop();
      await Promise.all([prosody.destroy(), ngircd.destroy()]);
    }
  });
});

describe("gateway beside the desk: an agent's customers stay the desk's", () => {
  let prosody: ProsodyServer;
  let ngircd: NgircdServer;
  let t: TestBridge;
  let alice: Agent;
  let carl: Agent;
  let dave: IrcAgent;
  let erin: IrcAgent;
  const BOT = 'desk';

  before(async () => {
    [prosody, ngircd] = await Promise.all([
      startProsody({
        users: [
          ['alice', 'alicepw'],
          ['carl', 'carlpw'],
        ],
      }),
      startNgircd(),
    ]);
    [alice, carl, dave, erin] = await Promise.all([
      connectAgent(prosody.c2sPort, 'alice', 'alicepw'),
      connectAgent(prosody.c2sPort, 'carl', 'carlpw'),
      connectIrcAgent(ngircd.port, 'dave'),
      connectIrcAgent(ngircd.port, 'erin'),
    ]);
    t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: [SITE], capacity: 100 }],
      gateway: {
        site: SITE,
        allow: [
          { from: 'xmpp', to: 'irc' },
          { from: 'irc', to: 'xmpp' },
        ],
      },
      networks: [{ type: 'web' }, prosodyNetwork(prosody), ngircdNetwork(ngircd, { nick: BOT, presencePollSeconds: 1, customers: { team: 'support' } })],
    });
    await until(() => ['xmpp', 'irc'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
  });
  after(async () => {
    await Promise.all([alice?.stop(), carl?.stop(), dave?.quit(), erin?.quit()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), ngircd?.destroy()]);
  });

  it("refuses what an agent writes in a customer's chat once their conversation closed, as without a gateway: no gateway conversation from the agent's own address", async () => {
    const body = (s: Parameters<Parameters<Agent['next']>[0]>[0]) => (s.is('message') ? s.getChildText('body') : null);
    dave.say(BOT, 'Where is my parcel?');
    const context = await alice.next((s) => /^#\w+ .*irc:dave@test /.test(body(s) ?? ''), 15_000);
    const ref = /^#(\w+) /.exec(body(context)!)![1]!;
    const customer = bare(context.attrs.from);
    await alice.next((s) => body(s) === 'Where is my parcel?');

    await alice.send(xml('message', { type: 'chat', to: prosody.componentDomain, id: 'close-1' }, xml('body', {}, `/close ${ref}`)));
    await alice.next((s) => body(s) === `#${ref} is closed.`);
    await alice.send(xml('message', { type: 'chat', to: customer, id: 'after-close' }, xml('body', {}, 'Are you still there?')));
    const refused = await alice.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'after-close');
    assert.ok(refused.getChild('error')?.getChild('not-allowed'), refused.toString());
    const conversations = await t.bridge.store.listConversations({ siteKey: SITE, participant: 'xmpp:alice@localhost', limit: 10 });
    assert.deepEqual(
      conversations.map((c) => c.team),
      ['support'],
      'the desk conversation only: no gateway conversation opened from the agent',
    );
    assert.equal(
      dave.messages.some((m) => m.message.includes('Are you still there?')),
      false,
      'nothing reached the customer',
    );
  });

  it('lets an agent reach through the gateway a user who is no customer of the desk, who wrote through the gateway before', async () => {
    erin.say(BOT, '/to xmpp:carl@localhost Hi Carl');
    await carl.next((s) => s.is('message') && s.getChildText('body') === 'Hi Carl', 15_000);
    await alice.send(xml('message', { type: 'chat', to: 'irc\\3aerin\\40test@web.localhost', id: 'to-erin' }, xml('body', {}, 'Hi Erin, alice here')));
    await erin.next((m) => m.type === 'privmsg' && m.message.endsWith('Hi Erin, alice here'), 15_000);
    assert.equal(
      alice.stanzas.some((s) => s.attrs.type === 'error' && s.attrs.id === 'to-erin'),
      false,
      'not refused',
    );
  });

  it("lists the gateway's commands in an IRC customer's /help, after the customer's own", async () => {
    dave.say(BOT, '/help');
    const helpLine = (pattern: RegExp) => dave.next((m) => m.type === 'notice' && m.nick === BOT && pattern.test(m.message));
    await helpLine(/^Write here to reach support; an agent answers here\.$/);
    await helpLine(/^Gateway commands:$/);
    await helpLine(/^\/to ADDRESS TEXT  write to a user of another network \(xmpp:carl@example\.org\)/);
    await helpLine(/^\/follow ADDRESS /);
    await helpLine(/^\/help {2}this list$/);
    assert.equal(dave.messages.filter((m) => m.type === 'notice' && m.nick === BOT && m.message.startsWith('/help')).length, 1, '/help listed once');
  });
});
