// Outreach (docs/customers.md, "Outreach"): agents and API keys start a team conversation with a
// customer on the customer's own network, against real servers. The XMPP customers are plain
// @xmpp/client users of Prosody; the IRC customer a plain IRC client of ngircd; the SIP customer a
// SIP.js user agent registered on Kamailio.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address, Conversation, Message } from '@switchboard/protocol';
import type { SwitchboardClient } from '@switchboard/sdk';
import type { Message as SipMessage } from 'sip.js';
import { crash, exited, runCli, runCliOnline, writeCliConfig } from '../cli-process.js';
import {
  API_KEY,
  OTHER_SECRET,
  OTHER_SITE,
  ORIGIN,
  SITE,
  type HttpAnswer,
  type TestBridge,
  agentAuth,
  baseConfig,
  bodyOf,
  call,
  callUnchecked,
  collect,
  connect,
  connectTo,
  next,
  startBridge,
  until,
} from '../helpers.js';
import { kamailioNetwork, ngircdNetwork, prosodyClientNetwork, prosodyNetwork } from '../servers/networks.js';
import { freePort } from '../servers/ports.js';
import { startTap } from '../servers/tap.js';
import { runXmppCli } from '../xmpp-customer-desk.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type SipAgent, connectSipAgent } from '../sip-agent.js';
import { type Agent, connectAgent, xml } from '../xmpp-agent.js';

/**
 * The test sites, the first with outreach to `networks` on `domains` at a small burst, the other
 * with an outreach of its own (each network it lists is one the bridge has: the bridge checks).
 */
function sites(networks: string[], domains: string[], other: { networks: string[]; domains: string[] }) {
  const [site, otherSite] = baseConfig('').sites as Record<string, unknown>[];
  return [
    { ...site, outreach: { networks, domains, rate: { perMinute: 1, burst: 3 } } },
    { ...otherSite, origins: [ORIGIN], outreach: other },
  ];
}

/** The other site's outreach beside an XMPP network: XMPP users, of another domain. */
const OTHER_ON_XMPP = { networks: ['xmpp'], domains: ['example.net'] };

/** `POST /v1/messages` with the site's API key, to a bridge (or the URL of one run by the CLI). */
const post = (t: TestBridge | { url: string }, body: object) =>
  fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
  });

type Stanza = ReturnType<typeof xml>;
const chatFrom = (from: string, body: string) => (s: Stanza) => s.is('message') && s.attrs.from?.split('/')[0] === from && s.getChildText('body') === body;
const NICK = 'http://jabber.org/protocol/nick';
/** A MESSAGE with this text from this URI (the team's), under this display name. */
const sipFrom = (uri: string, text: string, name?: string) => (m: SipMessage) =>
  m.request.body === text && m.request.from.uri.toString() === uri && (name === undefined || m.request.from.displayName === name);
/** Customers of a Prosody, each a plain XMPP client of the test (user `name`, password `<name>pw`). */
function xmppCustomers(prosody: () => ProsodyServer) {
  const connected: Agent[] = [];
  return {
    connect: async (name: string): Promise<Agent> => {
      const agent = await connectAgent(prosody().c2sPort, name, `${name}pw`);
      connected.push(agent);
      return agent;
    },
    stopAll: async (): Promise<void> => {
      for (const agent of connected) await agent.stop();
    },
  };
}
/**
 * A later text to the same customer, by HTTP: the outbox sends one recipient's messages in order,
 * so once it arrived anything sent twice before it has arrived too (no fixed wait before counting).
 */
const LATER = 'A later note, after which nothing earlier arrives';
/** The texts of a conversation, as an agent of the site reads them from a bridge. */
async function textsAt(url: string, context: Parameters<typeof connectTo>[0], conversationId: string): Promise<string[]> {
  const { socket } = await connectTo(context, url, agentAuth('alice'));
  const { messages } = await call(socket, 'history:get', { conversationId });
  socket.disconnect();
  return messages.map((m: Message) => `${m.from}: ${m.text}`);
}

describe('outreach to XMPP customers (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let team: string;
  let erin: Agent;
  const customers = xmppCustomers(() => prosody);
  const customer = customers.connect;
  /** The messages of a conversation, as an agent of the site reads them. */
  const texts = async (conversationId: string) => {
    const alice = await connect(t, agentAuth('alice'));
    const { messages } = await call(alice.socket, 'history:get', { conversationId });
    alice.socket.disconnect();
    return messages.map((m: Message) => `${m.from}: ${m.text}`);
  };

  /** Runs `use` with an SDK client signed in as the agent `user`. */
  const withSdk = async (user: string, use: (sdk: SwitchboardClient) => Promise<void>) => {
    const { createClient, memoryStorage } = await import('@switchboard/sdk');
    const sdk = createClient({ url: t.url, ...agentAuth(user), storage: memoryStorage() });
    try {
      await sdk.ready();
      await use(sdk);
    } finally {
      sdk.disconnect();
    }
  };

  before(async () => {
    prosody = await startProsody({
      users: ['carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivy', 'jo'].map((name) => [name, `${name}pw`] as [string, string]),
    });
    t = await startBridge({
      sites: sites(['xmpp'], ['localhost', '*.example.org'], OTHER_ON_XMPP),
      teams: [
        {
          id: 'support',
          name: 'Support',
          members: ['web:a_alice', 'web:a_bob', 'web:a_hugo', 'web:a_pia', 'xmpp:erin@localhost'],
          sites: [SITE],
          capacity: 100,
        },
        { id: 'other', members: ['web:a_olga'], sites: [OTHER_SITE] },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    team = `support@${prosody.componentDomain}`;
    erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
  });
  after(async () => {
    await customers.stopAll();
    await erin?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  it("through the SDK: the agent's message reaches the customer from the team JID, whose reply lands in the same conversation", async () => {
    const carol = await customer('carol');
    await withSdk('alice', async (sdk) => {
      // The session names where the agent may reach out (what the console offers).
      assert.deepEqual(sdk.session?.outreachTo, ['xmpp']);
      const conversation = await sdk.reachOut({ to: 'xmpp:Carol@localhost', team: 'support', text: 'Hello Carol, your order has shipped' });
      assert.equal(conversation.team, 'support');
      assert.equal(conversation.assignee, 'web:a_alice');
      assert.deepEqual(conversation.participants, ['xmpp:carol@localhost', 'web:a_alice']);
      await carol.next(chatFrom(team, 'Hello Carol, your order has shipped'));

      const reply = new Promise<Message>((resolve) => sdk.on('message', (m) => m.from === 'xmpp:carol@localhost' && resolve(m)));
      await carol.send(xml('message', { type: 'chat', to: team, id: 'r-1' }, xml('body', {}, 'Thanks! When will it arrive?')));
      assert.equal((await reply).conversationId, conversation.id);

      // Again while it is open: the same conversation, not a second.
      const again = await sdk.reachOut({ to: 'xmpp:carol@localhost', team: 'support', text: 'Tomorrow' });
      assert.equal(again.id, conversation.id);
      await carol.next(chatFrom(team, 'Tomorrow'));
      assert.deepEqual(await texts(conversation.id), [
        'web:a_alice: Hello Carol, your order has shipped',
        'xmpp:carol@localhost: Thanks! When will it arrive?',
        'web:a_alice: Tomorrow',
      ]);
    });
  });

  it('tells the site nothing another site heard from the customer until they answer it: their name, the search', async () => {
    const jo = await customer('jo');
    const JO = 'xmpp:jo@localhost';
    // Jo wrote to the other site first, under a name.
    await jo.send(
      xml(
        'message',
        { type: 'chat', to: `other@${prosody.componentDomain}`, id: 'o-1' },
        xml('body', {}, 'A question for the other site'),
        xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Jo Quist'),
      ),
    );
    await until(async () => (await t.bridge.store.getParty(JO))?.name === 'Jo Quist', 5000, 'the name kept');
    // An agent of its own: outreach is rate limited per agent.
    const pia = await connect(t, agentAuth('pia'));
    const reached = await call(pia.socket, 'conversation:open', { to: JO, team: 'support', text: 'Hello Jo, we have news' });
    assert.ok(reached.ok, JSON.stringify(reached));
    await jo.next(chatFrom(team, 'Hello Jo, we have news'));
    assert.equal((await call(pia.socket, 'party:get', { address: JO })).error?.code, 'not_found');
    assert.deepEqual((await call(pia.socket, 'inbox:search', { query: 'Quist' })).results, []);
    const contact = await call(pia.socket, 'contact:get', { address: JO });
    assert.ok(contact.ok, JSON.stringify(contact));
    assert.equal(contact.contact.name, undefined, 'nor in the contact');

    await jo.send(xml('message', { type: 'chat', to: team, id: 'o-2' }, xml('body', {}, 'Oh, thanks!')));
    await until(async () => (await call(pia.socket, 'party:get', { address: JO })).party?.name === 'Jo Quist', 5000, 'the name once they answered');
    assert.equal((await call(pia.socket, 'contact:get', { address: JO })).contact.name, 'Jo Quist');
    const { results } = await call(pia.socket, 'inbox:search', { query: 'Quist' });
    assert.deepEqual(
      results.map((hit: { kind: string; conversationId: string }) => [hit.kind, hit.conversationId]),
      [['customer', reached.conversation.id]],
    );
    pia.socket.disconnect();
  });

  it('by /to from an XMPP agent: answered with the new conversation, the customer written to from the team JID', async () => {
    const dave = await customer('dave');
    const seen = erin.stanzas.length;
    await erin.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, '/to xmpp:dave@localhost Hi Dave, about your ticket')));
    const answer = await erin.next(
      (s, i = erin.stanzas.indexOf(s)) => i >= seen && s.attrs.from === prosody.componentDomain && s.getChildText('body') !== null,
    );
    const id = /\(id (\S+)\)/.exec(answer.getChildText('body') ?? '')?.[1];
    assert.match(answer.getChildText('body') ?? '', /^Opened #\w+ with xmpp:dave@localhost for team support/);
    assert.ok(id);
    await dave.next(chatFrom(team, 'Hi Dave, about your ticket'));

    // The reply reaches the agent (from the customer's contact on the component) and is in the conversation.
    await dave.send(xml('message', { type: 'chat', to: team, id: 'd-1' }, xml('body', {}, 'Yes?')));
    await erin.next(chatFrom(`xmpp\\3adave\\40localhost@${prosody.componentDomain}`, 'Yes?'), 10_000);
    assert.deepEqual(await texts(id), ['xmpp:erin@localhost: Hi Dave, about your ticket', 'xmpp:dave@localhost: Yes?']);
  });

  it('by /to outside the policy: answered with the reason, nothing sent', async () => {
    const seen = erin.stanzas.length;
    await erin.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, '/to xmpp:zed@example.com Hi')));
    const answer = await erin.next(
      (s, i = erin.stanzas.indexOf(s)) => i >= seen && s.attrs.from === prosody.componentDomain && s.getChildText('body') !== null,
    );
    assert.equal(answer.getChildText('body'), "Not sent to xmpp:zed@example.com: to: this site's outreach does not include the domain example.com");
  });

  it('by HTTP: the text from the team reaches the customer from the team JID, whose reply lands in the conversation', async () => {
    const frank = await customer('frank');
    const alice = await connect(t, agentAuth('alice'));
    const response = await post(t, { to: 'xmpp:frank@localhost', team: 'support', text: 'Your invoice is ready' });
    assert.equal(response.status, 201);
    const body = await bodyOf<HttpAnswer<{ message: Message; conversation: Conversation }>>(response);
    assert.equal(body.message.from, 'team:support');
    assert.equal(body.conversation.team, 'support');
    assert.equal(body.conversation.participants[0], 'xmpp:frank@localhost');
    await frank.next(chatFrom(team, 'Your invoice is ready'));
    const reply = next(alice.socket, 'message', (m) => m.from === 'xmpp:frank@localhost');
    await frank.send(xml('message', { type: 'chat', to: team, id: 'f-1' }, xml('body', {}, 'Thank you')));
    assert.equal((await reply).conversationId, body.conversation.id);
    alice.socket.disconnect();
  });

  it('refuses outside the policy, for visitors, and addresses no network owns', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const domain = await callUnchecked(alice.socket, 'conversation:open', { to: 'xmpp:gina@example.com', team: 'support' });
    assert.deepEqual([domain.error.code, domain.error.message], ['forbidden', "to: this site's outreach does not include the domain example.com"]);
    const subdomain = await callUnchecked(alice.socket, 'conversation:open', { to: 'xmpp:gina@eu.example.org', team: 'support' });
    assert.equal(subdomain.ok, true, 'a subdomain of *.example.org is allowed');
    const nowhere = await callUnchecked(alice.socket, 'conversation:open', { to: 'sip:gina@example.org', team: 'support' });
    assert.equal(nowhere.error.code, 'bad_request');
    alice.socket.disconnect();

    const olga = await connect(t, agentAuth('olga', OTHER_SITE, OTHER_SECRET));
    // The other site's outreach is its own: not this site's domains.
    const network = await callUnchecked(olga.socket, 'conversation:open', { to: 'xmpp:gina@localhost', team: 'other' });
    assert.deepEqual([network.error.code, network.error.message], ['forbidden', "to: this site's outreach does not include the domain localhost"]);
    olga.socket.disconnect();

    const visitor = await connect(t, { siteKey: SITE });
    const refused = await callUnchecked(visitor.socket, 'conversation:open', { to: 'xmpp:gina@localhost', team: 'support', text: 'hi' });
    assert.equal(refused.error.code, 'forbidden');
    visitor.socket.disconnect();

    const http = await post(t, { to: 'xmpp:gina@example.com', team: 'support', text: 'x' });
    assert.equal(http.status, 403);
    assert.equal((await bodyOf<HttpAnswer>(http)).error.code, 'forbidden');
  });

  it("limits each agent's rate", async () => {
    const bob = await connect(t, agentAuth('bob'));
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await callUnchecked(bob.socket, 'conversation:open', { to: `xmpp:g${i}@localhost`, team: 'support' }));
    assert.deepEqual(
      answers.map((a) => (a.ok ? 'ok' : a.error.code)),
      ['ok', 'ok', 'ok', 'rate_limited'],
    );
    bob.socket.disconnect();
  });

  it('by HTTP with a clientId: a retry after a lost answer opens nothing and sends nothing again, even once the conversation is closed', async () => {
    const hank = await customer('hank');
    const alice = await connect(t, agentAuth('alice'));
    const opened = collect(alice.socket, 'conversation');
    const request = { to: 'xmpp:hank@localhost', team: 'support', text: 'Your refund is on its way', clientId: 'refund-hank' };
    const first = await bodyOf<HttpAnswer<{ message: Message; conversation: Conversation }>>(await post(t, request));
    await hank.next(chatFrom(team, 'Your refund is on its way'));
    const retried = await post(t, request);
    assert.equal(retried.status, 201);
    const again = await bodyOf<HttpAnswer<{ message: Message; conversation: Conversation }>>(retried);
    assert.deepEqual([again.conversation.id, again.message.id], [first.conversation.id, first.message.id]);

    await call(alice.socket, 'conversation:close', { conversationId: first.conversation.id });
    const afterClose = await bodyOf<HttpAnswer<{ message: Message; conversation: Conversation }>>(await post(t, request));
    assert.deepEqual([afterClose.conversation.id, afterClose.message.id], [first.conversation.id, first.message.id]);
    assert.equal(new Set(opened.filter((c) => c.participants.includes('xmpp:hank@localhost')).map((c) => c.id)).size, 1, 'one conversation');
    assert.equal((await post(t, { to: 'xmpp:hank@localhost', team: 'support', text: LATER })).status, 201);
    await hank.next(chatFrom(team, LATER));
    assert.equal(hank.stanzas.filter(chatFrom(team, 'Your refund is on its way')).length, 1, 'the customer got the text once');
    assert.deepEqual(await texts(first.conversation.id), ['team:support: Your refund is on its way']);

    // The same clientId for another customer names another message: refused, not silently the first.
    const reused = await post(t, { ...request, to: 'xmpp:ivy@localhost' });
    assert.equal(reused.status, 400);
    alice.socket.disconnect();
  });

  it('through the SDK with a clientId: a retry returns the same conversation with one message', async () => {
    const ivy = await customer('ivy');
    await withSdk('hugo', async (sdk) => {
      const request = { to: 'xmpp:ivy@localhost' as Address, team: 'support', text: 'Hello Ivy, your parcel left today', clientId: 'parcel-ivy' };
      const conversation = await sdk.reachOut(request);
      const retried = await sdk.reachOut(request);
      assert.equal(retried.id, conversation.id);
      await ivy.next(chatFrom(team, 'Hello Ivy, your parcel left today'));
      assert.equal((await sdk.reachOut({ to: request.to, team: 'support', text: LATER })).id, conversation.id);
      await ivy.next(chatFrom(team, LATER));
      assert.equal(ivy.stanzas.filter(chatFrom(team, 'Hello Ivy, your parcel left today')).length, 1);
      assert.deepEqual(await texts(conversation.id), ['web:a_hugo: Hello Ivy, your parcel left today', `web:a_hugo: ${LATER}`]);
    });
  });
});

describe('outreach to XMPP customers against a real Prosody: client mode, and a kill -9 between the acknowledgement and the delivery', () => {
  let prosody: ProsodyServer;
  const customers = xmppCustomers(() => prosody);
  const customer = customers.connect;
  before(async () => {
    prosody = await startProsody({ users: ['deskbot', 'kim', 'lou', 'max', 'ned'].map((name) => [name, `${name}pw`] as [string, string]) });
  });
  after(async () => {
    await customers.stopAll();
    await prosody?.destroy();
  });

  it("in client mode: the agent's message reaches the customer from the bot's JID with the agent's nick, whose reply to the bot lands in the conversation", async () => {
    const BOT = 'deskbot@localhost';
    const t = await startBridge({
      sites: sites(['xmpp'], ['localhost'], OTHER_ON_XMPP),
      teams: [
        { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
        { id: 'sales', name: 'Sales', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
      ],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        prosodyClientNetwork(prosody, { username: 'deskbot', password: 'deskbotpw' }, { customers: { team: 'support' } }),
      ],
    });
    try {
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot online');
      const kim = await customer('kim');
      const alice = await connect(t, agentAuth('alice'));
      const { conversation } = await call(alice.socket, 'conversation:open', {
        to: 'xmpp:kim@localhost',
        team: 'support',
        text: 'Hello Kim, your order has shipped',
      });
      const got = await kim.next(chatFrom(BOT, 'Hello Kim, your order has shipped'));
      assert.equal(got.getChildText('nick', NICK), 'alice');
      const reply = next(alice.socket, 'message', (m) => m.from === 'xmpp:kim@localhost');
      await kim.send(xml('message', { type: 'chat', to: BOT, id: 'k-1' }, xml('body', {}, 'Great, thanks')));
      assert.equal((await reply).conversationId, conversation.id);

      // The bot takes customers' messages for its team only: a reply to another team's conversation would open a new one.
      const other = await callUnchecked(alice.socket, 'conversation:open', { to: 'xmpp:kim@localhost', team: 'sales', text: 'Hi' });
      assert.deepEqual(
        [other.error.code, other.error.message],
        ['forbidden', 'to: customers on xmpp cannot write to team "sales" (see "customers" in the xmpp network\'s configuration), so they could not answer'],
      );
      alice.socket.disconnect();
    } finally {
      await t.stop();
    }
  });

  it('in component mode, by HTTP and by /to: a kill -9 right after the acknowledgement loses nothing, each is delivered once and the replies land', async (context) => {
    // The bridge cannot reach the server when the outreach is acknowledged: its component link is down until the restart.
    const port = await freePort();
    const config = writeCliConfig(context, {
      sites: sites(['xmpp'], ['localhost'], OTHER_ON_XMPP),
      teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody, { service: `xmpp://127.0.0.1:${port}`, connectTimeoutSeconds: 2 })],
    });
    const team = `support@${prosody.componentDomain}`;
    const [lou, max] = [await customer('lou'), await customer('max')];
    const first = await runCli(config);
    context.after(() => first.child.kill('SIGKILL'));
    const response = await post(first, { to: 'xmpp:lou@localhost', team: 'support', text: 'Your invoice is ready' });
    assert.equal(response.status, 201);
    const byHttp = (await bodyOf<HttpAnswer<{ conversation: Conversation }>>(response)).conversation.id;
    const { socket: alice } = await connectTo(context, first.url, agentAuth('alice'));
    const { answer } = await call(alice, 'agent:command', { text: '/to xmpp:max@localhost Hi Max, about your ticket' });
    const byTo = /\(id (\S+)\)/.exec(answer)?.[1];
    assert.ok(byTo, answer);
    await crash(first.child);

    const tap = await startTap(prosody.componentPort, port);
    context.after(() => tap.close());
    const second = await runXmppCli(config);
    try {
      await lou.next(chatFrom(team, 'Your invoice is ready'), 15_000);
      await max.next(chatFrom(team, 'Hi Max, about your ticket'), 15_000);
      await lou.send(xml('message', { type: 'chat', to: team, id: 'l-1' }, xml('body', {}, 'Thank you')));
      await max.send(xml('message', { type: 'chat', to: team, id: 'm-1' }, xml('body', {}, 'Yes?')));
      // Each customer's reply stored (two connections: either may land first).
      await until(
        async () => (await textsAt(second.url, context, byTo)).length === 2 && (await textsAt(second.url, context, byHttp)).length === 2,
        10_000,
        "the customers' replies",
      );
      for (const to of ['xmpp:lou@localhost', 'xmpp:max@localhost']) assert.equal((await post(second, { to, team: 'support', text: LATER })).status, 201);
      await Promise.all([lou.next(chatFrom(team, LATER)), max.next(chatFrom(team, LATER))]);
      assert.equal(lou.stanzas.filter(chatFrom(team, 'Your invoice is ready')).length, 1, 'delivered once');
      assert.equal(max.stanzas.filter(chatFrom(team, 'Hi Max, about your ticket')).length, 1, 'delivered once');
      assert.deepEqual(await textsAt(second.url, context, byHttp), [
        'team:support: Your invoice is ready',
        'xmpp:lou@localhost: Thank you',
        `team:support: ${LATER}`,
      ]);
      assert.deepEqual(await textsAt(second.url, context, byTo), [
        'web:a_alice: Hi Max, about your ticket',
        'xmpp:max@localhost: Yes?',
        `team:support: ${LATER}`,
      ]);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });
});

describe('outreach to IRC and SIP customers against a real ngircd and Kamailio', () => {
  let ngircd: NgircdServer;
  let kamailio: KamailioServer;
  let dana: IrcAgent;
  let sam: SipAgent;
  let ted: SipAgent;
  const TEAM_URI = `sip:support@${VISITOR_DOMAIN}`;
  /** The first site's outreach to the IRC and SIP networks the bridge has (both by default), the other site's to IRC or SIP. */
  const policy = (networks = ['irc', 'sip']) => sites(networks, ['test', kamailio.domain], { networks: networks.slice(0, 1), domains: ['test'] });
  // bob writes first too where alice's outreach budget (a burst of 3) is spent.
  const teams = [{ id: 'support', name: 'Support', members: ['web:a_alice', 'web:a_bob'], sites: [SITE], capacity: 100 }];

  before(async () => {
    ngircd = await startNgircd();
    kamailio = await startKamailio({
      users: { sam: 'sampw', ted: 'tedpw', uma: 'umapw', vic: 'vicpw', wes: 'wespw', switchboard: 'bridgepw' },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    dana = await connectIrcAgent(ngircd.port, 'dana');
    sam = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'sam', 'sampw');
    ted = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'ted', 'tedpw');
  });
  after(async () => {
    await dana?.quit();
    await sam?.stop();
    await ted?.stop();
    await kamailio?.destroy();
    await ngircd?.destroy();
  });

  describe('through a running bridge', () => {
    let t: TestBridge;
    before(async () => {
      t = await startBridge({
        sites: policy(),
        // Team `both` serves two sites, and the IRC network names none for its customers.
        teams: [...teams, { id: 'both', members: ['web:a_alice'], sites: [SITE, OTHER_SITE] }],
        networks: [
          { type: 'web', presenceGraceMs: 50 },
          ngircdNetwork(ngircd, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5, nick: 'desk', customers: { team: 'support' } }),
          kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 }),
        ],
      });
      await until(() => t.bridge.registry.all().every((network) => network.status().state === 'online'), 15_000, 'the IRC bot and the SIP registration');
    });
    after(() => t?.stop());

    it("carries an agent's outreach to an IRC customer (a nick of the network, written as typed) from the bot, whose reply lands in the conversation", async () => {
      const alice = await connect(t, agentAuth('alice'));
      const { conversation } = await call(alice.socket, 'conversation:open', { to: 'irc:Dana', team: 'support', text: 'Hello Dana, about your ticket' });
      assert.equal(conversation.participants[0], 'irc:dana@test');
      const got = await dana.next((m) => m.type === 'privmsg' && m.message === '[alice] Hello Dana, about your ticket', 10_000);
      assert.equal(got.nick, 'desk', 'from the bot');
      assert.equal(got.target, 'dana', 'in private');
      const reply = next(alice.socket, 'message', (m) => m.from === 'irc:dana@test');
      dana.say('desk', 'Which ticket?');
      assert.equal((await reply).conversationId, conversation.id);
      alice.socket.disconnect();
    });

    it("refuses outreach to a team whose customers' replies on that network would go to no site", async () => {
      const alice = await connect(t, agentAuth('alice'));
      const refused = await callUnchecked(alice.socket, 'conversation:open', { to: 'irc:dana', team: 'both', text: 'Hello' });
      assert.deepEqual(
        [refused.error.code, refused.error.message],
        ['forbidden', 'to: irc customers\' replies to team "both" go to no site (set "customers.site" in the irc network\'s configuration)'],
      );
      alice.socket.disconnect();
    });

    it('carries outreach by HTTP and by /to to SIP customers from the team URI, named, and their replies to it land in the conversations', async () => {
      const alice = await connect(t, agentAuth('alice'));
      const response = await post(t, { to: `sip:sam@${kamailio.domain}`, team: 'support', text: 'Your appointment is confirmed' });
      assert.equal(response.status, 201);
      const byHttp = (await bodyOf<HttpAnswer<{ conversation: Conversation }>>(response)).conversation.id;
      await sam.next(sipFrom(TEAM_URI, 'Your appointment is confirmed', 'Support'), 10_000);
      const samReply = next(alice.socket, 'message', (m) => m.from === `sip:sam@${kamailio.domain}`);
      assert.equal(await sam.send(TEAM_URI, 'See you then'), 200);
      assert.equal((await samReply).conversationId, byHttp);

      const { answer } = await call(alice.socket, 'agent:command', { text: `/to sip:ted@${kamailio.domain} Hi Ted, a question about your order` });
      assert.match(answer, new RegExp(`^Opened #\\w+ with sip:ted@${kamailio.domain.replaceAll('.', '\\.')} for team support`));
      const byTo = /\(id (\S+)\)/.exec(answer)?.[1];
      await ted.next(sipFrom(TEAM_URI, 'Hi Ted, a question about your order', 'alice'), 10_000);
      const tedReply = next(alice.socket, 'message', (m) => m.from === `sip:ted@${kamailio.domain}`);
      assert.equal(await ted.send(TEAM_URI, 'Ask away'), 200);
      assert.equal((await tedReply).conversationId, byTo);
      alice.socket.disconnect();
    });
    it('carries outreach by HTTP and by /to to IRC customers, and through the SDK to a SIP customer, each reply landing in its conversation', async () => {
      const [erin, finn] = await Promise.all([connectIrcAgent(ngircd.port, 'erin'), connectIrcAgent(ngircd.port, 'finn')]);
      const wes = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'wes', 'wespw');
      const alice = await connect(t, agentAuth('alice'));
      const sockets = [alice.socket];
      try {
        // By HTTP: the text comes from the team, named by the team's name (given to alice, the only agent online).
        const response = await post(t, { to: 'irc:Erin', team: 'support', text: 'Your refund is on its way' });
        assert.equal(response.status, 201);
        const byHttp = (await bodyOf<HttpAnswer<{ conversation: Conversation }>>(response)).conversation.id;
        const toErin = await erin.next((m) => m.type === 'privmsg' && m.message === '[Support] Your refund is on its way', 10_000);
        assert.equal(toErin.nick, 'desk', 'from the bot');
        const erinReply = next(alice.socket, 'message', (m) => m.from === 'irc:erin@test');
        erin.say('desk', 'Thank you!');
        assert.equal((await erinReply).conversationId, byHttp);

        // By /to, as an IM client's agent types it (bob: alice's burst is spent by the tests before).
        const bob = await connect(t, agentAuth('bob'));
        sockets.push(bob.socket);
        const { answer } = await call(bob.socket, 'agent:command', { text: '/to irc:finn Hi Finn, about your order' });
        assert.match(answer, /^Opened #\w+ with irc:finn@test for team support/);
        const byTo = /\(id (\S+)\)/.exec(answer)?.[1];
        await finn.next((m) => m.type === 'privmsg' && m.nick === 'desk' && m.message === '[bob] Hi Finn, about your order', 10_000);
        const finnReply = next(bob.socket, 'message', (m) => m.from === 'irc:finn@test');
        finn.say('desk', 'Go ahead');
        assert.equal((await finnReply).conversationId, byTo);

        // Through the SDK, to a SIP customer: from the team URI under the agent's name.
        const { conversation } = await call(bob.socket, 'conversation:open', { to: `sip:wes@${kamailio.domain}`, team: 'support', text: 'Hello Wes' });
        assert.ok(conversation, 'opened');
        await wes.next(sipFrom(TEAM_URI, 'Hello Wes', 'bob'), 10_000);
        const wesReply = next(bob.socket, 'message', (m) => m.from === `sip:wes@${kamailio.domain}`);
        assert.equal(await wes.send(TEAM_URI, 'Hello back'), 200);
        assert.equal((await wesReply).conversationId, conversation.id);
      } finally {
        for (const socket of sockets) socket.disconnect();
        await Promise.all([erin.quit(), finn.quit(), wes.stop()]);
      }
    });
  });

  it("refuses outreach to an IRC network that takes no customers' messages (no `customers`): the reply could not land", async () => {
    const t = await startBridge({
      sites: policy(['irc']),
      teams,
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { nick: 'nodesk', connectTimeoutSeconds: 5 })],
    });
    try {
      const alice = await connect(t, agentAuth('alice'));
      const refused = await callUnchecked(alice.socket, 'conversation:open', { to: 'irc:dana', team: 'support', text: 'Hello' });
      assert.deepEqual(
        [refused.error.code, refused.error.message],
        ['forbidden', 'to: customers on irc cannot write to team "support" (see "customers" in the irc network\'s configuration), so they could not answer'],
      );
      const http = await post(t, { to: 'irc:dana', team: 'support', text: 'Hello' });
      assert.equal(http.status, 403);
      alice.socket.disconnect();
    } finally {
      await t.stop();
    }
  });

  it('on SIP, by HTTP and by /to: a kill -9 right after the acknowledgement loses nothing, each is delivered once and the replies land', async (context) => {
    const config = writeCliConfig(context, {
      sites: policy(['sip']),
      teams,
      networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
    });
    const uma = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'uma', 'umapw');
    const vic = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'vic', 'vicpw');
    context.after(() => Promise.all([uma.stop(), vic.stop()]));
    // The customers' phones are away (480): what the bridge acknowledged waits in its outbox.
    for (const phone of [uma, vic]) phone.answer = { statusCode: 480, reasonPhrase: 'Temporarily Unavailable' };
    const first = await runCliOnline(config, 'sip');
    context.after(() => first.child.kill('SIGKILL'));
    const response = await post(first, { to: `sip:uma@${kamailio.domain}`, team: 'support', text: 'Your appointment moved to Friday' });
    assert.equal(response.status, 201);
    const byHttp = (await bodyOf<HttpAnswer<{ conversation: Conversation }>>(response)).conversation.id;
    const { socket: alice } = await connectTo(context, first.url, agentAuth('alice'));
    const { answer } = await call(alice, 'agent:command', { text: `/to sip:vic@${kamailio.domain} Hi Vic, your parcel is here` });
    const byTo = /\(id (\S+)\)/.exec(answer)?.[1];
    assert.ok(byTo, answer);
    await crash(first.child);

    for (const phone of [uma, vic]) {
      phone.inbox.length = 0;
      phone.answer = { statusCode: 200 };
    }
    const second = await runCliOnline(config, 'sip');
    try {
      await uma.next(sipFrom(TEAM_URI, 'Your appointment moved to Friday', 'Support'), 30_000);
      await vic.next(sipFrom(TEAM_URI, 'Hi Vic, your parcel is here', 'alice'), 30_000);
      assert.equal(await uma.send(TEAM_URI, 'Friday is fine'), 200);
      assert.equal(await vic.send(TEAM_URI, 'On my way'), 200);
      for (const phone of ['uma', 'vic'])
        assert.equal((await post(second, { to: `sip:${phone}@${kamailio.domain}`, team: 'support', text: LATER })).status, 201);
      await Promise.all([uma.next(sipFrom(TEAM_URI, LATER)), vic.next(sipFrom(TEAM_URI, LATER))]);
      assert.equal(uma.inbox.filter(sipFrom(TEAM_URI, 'Your appointment moved to Friday')).length, 1, 'delivered once');
      assert.equal(vic.inbox.filter(sipFrom(TEAM_URI, 'Hi Vic, your parcel is here')).length, 1, 'delivered once');
      assert.deepEqual(await textsAt(second.url, context, byHttp), [
        'team:support: Your appointment moved to Friday',
        `sip:uma@${kamailio.domain}: Friday is fine`,
        `team:support: ${LATER}`,
      ]);
      assert.deepEqual(await textsAt(second.url, context, byTo), [
        'web:a_alice: Hi Vic, your parcel is here',
        `sip:vic@${kamailio.domain}: On my way`,
        `team:support: ${LATER}`,
      ]);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });
});
