// Outreach (docs/customers.md, "Outreach"): agents and API keys start a team conversation with a
// customer on the customer's own network, against real servers. The XMPP customers are plain
// @xmpp/client users of Prosody; the IRC customer a plain IRC client of ngircd; the SIP customer a
// SIP.js user agent registered on Kamailio.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
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
  connect,
  next,
  startBridge,
  until,
} from '../helpers.js';
import { kamailioNetwork, ngircdNetwork, prosodyNetwork } from '../servers/networks.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type SipAgent, connectSipAgent } from '../sip-agent.js';
import { type Agent, connectAgent, xml } from '../xmpp-agent.js';

/** The test sites, the first with outreach to `networks` on `domains` at a small burst, the other to IRC only. */
function sites(networks: string[], domains: string[]) {
  const [site, other] = baseConfig('').sites as Record<string, unknown>[];
  return [
    { ...site, outreach: { networks, domains, rate: { perMinute: 1, burst: 3 } } },
    { ...other, origins: [ORIGIN], outreach: { networks: ['irc'], domains: ['test'] } },
  ];
}

/** `POST /v1/messages` with the site's API key. */
const post = (t: TestBridge, body: object) =>
  fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
  });

type Stanza = ReturnType<typeof xml>;
const chatFrom = (from: string, body: string) => (s: Stanza) => s.is('message') && s.attrs.from?.split('/')[0] === from && s.getChildText('body') === body;

describe('outreach to XMPP customers (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let team: string;
  let erin: Agent;
  const customers: Agent[] = [];
  const customer = async (name: string) => {
    const agent = await connectAgent(prosody.c2sPort, name, `${name}pw`);
    customers.push(agent);
    return agent;
  };
  /** The messages of a conversation, as an agent of the site reads them. */
  const texts = async (conversationId: string) => {
    const alice = await connect(t, agentAuth('alice'));
    const { messages } = await call(alice.socket, 'history:get', { conversationId });
    alice.socket.disconnect();
    return messages.map((m: Message) => `${m.from}: ${m.text}`);
  };

  before(async () => {
    prosody = await startProsody({ users: ['carol', 'dave', 'erin', 'frank', 'gina'].map((name) => [name, `${name}pw`] as [string, string]) });
    t = await startBridge({
      sites: sites(['xmpp'], ['localhost', '*.example.org']),
      teams: [
        { id: 'support', name: 'Support', members: ['web:a_alice', 'web:a_bob', 'xmpp:erin@localhost'], sites: [SITE], capacity: 100 },
        { id: 'other', members: ['web:a_olga'], sites: [OTHER_SITE] },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    team = `support@${prosody.componentDomain}`;
    erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
  });
  after(async () => {
    for (const agent of customers) await agent.stop();
    await erin?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  it("through the SDK: the agent's message reaches the customer from the team JID, whose reply lands in the same conversation", async () => {
    const carol = await customer('carol');
    const { createClient, memoryStorage } = await import('@switchboard/sdk');
    const sdk = createClient({ url: t.url, ...agentAuth('alice'), storage: memoryStorage() });
    try {
      await sdk.ready();
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
    } finally {
      sdk.disconnect();
    }
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
    const network = await callUnchecked(olga.socket, 'conversation:open', { to: 'xmpp:gina@localhost', team: 'other' });
    assert.deepEqual([network.error.code, network.error.message], ['forbidden', "to: this site's outreach does not include the network xmpp"]);
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
});

describe('outreach to IRC and SIP customers against a real ngircd and Kamailio', () => {
  let ngircd: NgircdServer;
  let kamailio: KamailioServer;
  let t: TestBridge;
  let dana: IrcAgent;
  let sam: SipAgent;
  let ted: SipAgent;

  before(async () => {
    ngircd = await startNgircd();
    kamailio = await startKamailio({
      users: { sam: 'sampw', ted: 'tedpw', switchboard: 'bridgepw' },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    dana = await connectIrcAgent(ngircd.port, 'dana');
    sam = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'sam', 'sampw');
    ted = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'ted', 'tedpw');
    t = await startBridge({
      sites: sites(['irc', 'sip'], ['test', kamailio.domain]),
      teams: [{ id: 'support', members: ['web:a_alice'], sites: [SITE], capacity: 100 }],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        ngircdNetwork(ngircd, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 }),
        kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 }),
      ],
    });
    await until(() => t.bridge.registry.all().every((network) => network.status().state === 'online'), 15_000, 'the IRC bot and the SIP registration');
  });
  after(async () => {
    await dana?.quit();
    await sam?.stop();
    await ted?.stop();
    await t?.stop();
    await kamailio?.destroy();
    await ngircd?.destroy();
  });

  it("carries an agent's outreach to an IRC customer (a nick of the network, written as typed)", async () => {
    const alice = await connect(t, agentAuth('alice'));
    const { conversation } = await call(alice.socket, 'conversation:open', { to: 'irc:Dana', team: 'support', text: 'Hello Dana, about your ticket' });
    assert.equal(conversation.participants[0], 'irc:dana@test');
    // From the bot, as every answer to a customer who is in a team conversation, prefixed with the agent's name.
    await dana.next((m) => /^\[[^\]]+\] Hello Dana, about your ticket$/.test(m.message), 10_000);
    alice.socket.disconnect();
  });

  it('carries outreach by HTTP and by /to to SIP customers', async () => {
    const response = await post(t, { to: `sip:sam@${kamailio.domain}`, team: 'support', text: 'Your appointment is confirmed' });
    assert.equal(response.status, 201);
    await sam.next((m) => m.request.body === 'Your appointment is confirmed', 10_000);

    const alice = await connect(t, agentAuth('alice'));
    const { answer } = await call(alice.socket, 'agent:command', { text: `/to sip:ted@${kamailio.domain} Hi Ted, a question about your order` });
    assert.match(answer, new RegExp(`^Opened #\\w+ with sip:ted@${kamailio.domain.replaceAll('.', '\\.')} for team support`));
    await ted.next((m) => m.request.body === 'Hi Ted, a question about your order', 10_000);
    alice.socket.disconnect();
  });
});
