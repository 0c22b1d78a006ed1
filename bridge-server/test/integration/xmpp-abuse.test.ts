// Abuse controls on customers writing to a team's JID (component mode), against a real Prosody:
// the customers are plain @xmpp/client users, the agent an XMPP user. A customer past the rate of
// new conversations and one of a denied domain get XMPP errors saying why; an agent's /block drops
// a customer's messages with one error, /whois tells the JID is vouched for, /metrics counts it all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BLOCKED_NOTICE } from '../../src/core/abuse/customer-controls.js';
import { SITE, type TestBridge, startBridge, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, connectAgent, retraction, xml } from '../xmpp-agent.js';

type Stanza = ReturnType<typeof xml>;
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

describe('abuse controls on XMPP customers (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let erin: Agent;
  let carol: Agent;
  let dave: Agent;
  before(async () => {
    prosody = await startProsody({
      users: [
        ['carol', 'carolpw'],
        ['dave', 'davepw'],
        ['erin', 'erinpw'],
      ],
    });
    t = await startBridge({
      teams: [
        { id: 'support', members: ['xmpp:erin@localhost'], sites: [SITE], capacity: 100 },
        { id: 'partners', members: ['xmpp:erin@localhost'], sites: [SITE], customers: { allowDomains: ['example.org', '*.example.org'] } },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      limits: { ratePerSecond: 1000, burst: 1000, customers: { conversationsPerHour: 1, messagesPerMinute: 30 } },
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    [erin, carol, dave] = await Promise.all([
      connectAgent(prosody.c2sPort, 'erin', 'erinpw'),
      connectAgent(prosody.c2sPort, 'carol', 'carolpw'),
      connectAgent(prosody.c2sPort, 'dave', 'davepw'),
    ]);
  });
  after(async () => {
    await Promise.all([erin?.stop(), carol?.stop(), dave?.stop()]);
    await t?.stop();
    await prosody?.destroy();
  });

  const teamJid = (team: string) => `${team}@${prosody.componentDomain}`;
  /** The customer's puppet JID at the agent (the customer is shown as a contact of the component). */
  const puppetOf = (user: string) => `xmpp\\3a${user}\\40localhost@${prosody.componentDomain}`;
  const write = (customer: Agent, to: string, text: string, id: string) =>
    customer.send(xml('message', { type: 'chat', to, id }, xml('body', {}, text), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id })));
  const errorFor = (customer: Agent, id: string) => customer.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === id);
  const conditionOf = (error: Stanza) => {
    const element = error.getChild('error');
    const condition = ['not-allowed', 'resource-constraint', 'policy-violation', 'item-not-found'].find((name) => element?.getChild(name, STANZAS));
    return { type: element?.attrs.type, condition, text: element?.getChildText('text', STANZAS) };
  };
  /** `switchboard_first_contacts_total` of the xmpp network, by outcome. */
  const firstContacts = async (): Promise<Record<string, number>> => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const count = (outcome: string) =>
      Number(new RegExp(`switchboard_first_contacts_total\\{network="xmpp",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    return Object.fromEntries(['opened', 'continued', 'rate_limited', 'denied_domain', 'blocked'].map((o) => [o, count(o)]));
  };
  /** A command from the agent to the component's own JID; resolves with the answer. */
  const ask = async (text: string): Promise<string> => {
    const seen = erin.stanzas.length;
    await erin.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, text)));
    const answer = await erin.next(
      (s, i = erin.stanzas.indexOf(s)) => i >= seen && s.is('message') && s.attrs.from === prosody.componentDomain && s.getChildText('body') !== null,
    );
    return answer.getChildText('body')!;
  };
  /** The first line the agent gets about a customer's conversation, from the customer's puppet; its ref. */
  const contextLine = async (user: string): Promise<{ text: string; ref: string }> => {
    const line = await erin.next(
      (s) => s.is('message') && s.attrs.from?.split('/')[0] === puppetOf(user) && /^#[0-9a-z]+ /.test(s.getChildText('body') ?? ''),
      15_000,
    );
    const text = line.getChildText('body')!;
    return { text, ref: /^#([0-9a-z]+)/.exec(text)![1]! };
  };

  it('refuses a second new conversation within the hour with resource-constraint', async () => {
    await write(dave, teamJid('support'), 'Where is my parcel?', 'd-1');
    const { ref } = await contextLine('dave');
    assert.match(await ask(`/close ${ref}`), /is closed/);
    await write(dave, teamJid('support'), 'Another question', 'd-2');
    assert.deepEqual(conditionOf(await errorFor(dave, 'd-2')), {
      type: 'wait',
      condition: 'resource-constraint',
      text: 'Too many new conversations: at most 1 an hour; try again later',
    });
  });

  it('refuses a customer whose domain the team does not take, with not-allowed', async () => {
    await write(carol, teamJid('partners'), 'Partner here', 'c-0');
    assert.deepEqual(conditionOf(await errorFor(carol, 'c-0')), {
      type: 'cancel',
      condition: 'not-allowed',
      text: 'This team takes no messages from localhost',
    });
  });

  it('introduces the customer as vouched for, tells it in /whois, and after /block drops their messages with one error', async () => {
    await write(carol, teamJid('support'), 'Hello, I need help', 'c-1');
    const { text, ref } = await contextLine('carol');
    assert.equal(text, `#${ref} xmpp:carol@localhost (vouched: its server localhost authenticated it), team support. Reply here; /whois ${ref} for more.`);
    await erin.next((s) => s.attrs.from?.split('/')[0] === puppetOf('carol') && s.getChildText('body') === 'Hello, I need help');
    assert.match(await ask(`/whois ${ref}`), /\nnetwork: xmpp \(xmpp:carol@localhost\)\nvouched: yes, its server localhost authenticated it/);

    assert.match(await ask(`/block ${ref}`), new RegExp(`^Blocked xmpp:carol@localhost on ${SITE}: `));
    for (const id of ['c-2', 'c-3', 'c-4']) await write(carol, teamJid('support'), `Are you there? (${id})`, id);
    assert.deepEqual(conditionOf(await errorFor(carol, 'c-2')), { type: 'cancel', condition: 'not-allowed', text: BLOCKED_NOTICE });
    // The next ones are dropped without a word: the unblocked customer's next message is the first the agent sees again.
    await until(async () => (await firstContacts()).blocked === 3, 5000, 'the three blocked messages taken');
    // Nor does a blocked customer take back what they wrote (handled in turn, before their next message).
    await carol.send(retraction(teamJid('support'), 'c-r', 'c-1'));
    assert.equal(await ask(`/unblock xmpp:carol@localhost`), `Unblocked xmpp:carol@localhost on ${SITE}.`);
    await write(carol, teamJid('support'), 'Sorry about that', 'c-5');
    await erin.next((s) => s.attrs.from?.split('/')[0] === puppetOf('carol') && s.getChildText('body') === 'Sorry about that');
    assert.deepEqual(
      carol.stanzas.filter((s) => s.is('message') && s.attrs.type === 'error').map((s) => s.attrs.id),
      ['c-0', 'c-2'],
      'one error for the blocked messages, none for the others',
    );
    assert.equal(
      erin.stanzas.some((s) => /Are you there/.test(s.getChildText('body') ?? '')),
      false,
      'no blocked message reached the agent',
    );
    const first = (await t.bridge.store.messageByRemoteId('xmpp', 'xmpp:carol@localhost/c-1'))!;
    assert.deepEqual(
      (await t.bridge.store.history(first.conversationId, { limit: 10 })).messages.map((m) => m.text),
      ['Hello, I need help', 'Sorry about that'],
    );
  });

  it('counts the first contacts in /metrics by network and outcome', async () => {
    assert.deepEqual(await firstContacts(), { opened: 2, continued: 1, rate_limited: 1, denied_domain: 1, blocked: 3 });
  });
});
