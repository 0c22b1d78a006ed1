// Gateway domains against a real Prosody: each network's users under a component domain of their
// own, found through service discovery (XEP-0030) and jabber:iq:gateway (XEP-0100), with presence
// subscriptions through the gateway, probes, the hop marker, and one status for all connections.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, startBridge, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { freePort } from '../servers/ports.js';
import { type Agent, connectAgent, xml, bare } from '../xmpp-agent.js';

type Stanza = ReturnType<typeof xml>;
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SIP_DOMAIN = 'sip.localhost';
const IRC_DOMAIN = 'irc.localhost';

/** Sends an iq and resolves with its answer (result or error), matched by id. */
async function iq(agent: Agent, type: 'get' | 'set', to: string | undefined, query: Stanza): Promise<Stanza> {
  const id = randomUUID();
  await agent.send(xml('iq', { type, ...(to ? { to } : {}), id }, query));
  return agent.next((s) => s.is('iq') && s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error'));
}

const translate = (agent: Agent, to: string, prompt: string) => iq(agent, 'set', to, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, prompt)));

describe('XMPP gateway domains: discovery, jabber:iq:gateway, subscriptions, hops', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let carl: Agent;

  before(async () => {
    prosody = await startProsody({ users: [['carl', 'carlpw']], extraComponents: [SIP_DOMAIN, IRC_DOMAIN] });
    carl = await connectAgent(prosody.c2sPort, 'carl', 'carlpw');
    // RFC 6121 section 2.1.6: a client that fetched its roster is sent subscription answers.
    await iq(carl, 'get', undefined, xml('query', { xmlns: 'jabber:iq:roster' }));
    t = await startBridge({
      gateway: { site: SITE, id: 'bridge-a', allow: [{ from: 'xmpp', to: 'sip' }] },
      networks: [
        { type: 'web' },
        // The SIP network the pair names; no server answers it (what is tested here is the XMPP side).
        {
          type: 'sip',
          server: `ws://127.0.0.1:${await freePort()}`,
          domain: 'example.com',
          username: 'switchboard',
          password: 'unused',
          visitorDomain: 'web.example.com',
          imdn: true,
        },
        prosodyNetwork(prosody, {
          gateways: [
            { domain: SIP_DOMAIN, network: 'sip' },
            { domain: IRC_DOMAIN, network: 'irc', defaultHost: 'libera', name: 'Libera Chat' },
          ],
        }),
      ],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 15_000, 'the XMPP network');
  });
  after(async () => {
    await carl?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  it("lists the gateway domains in the main domain's disco#items", async () => {
    const answer = await iq(carl, 'get', prosody.componentDomain, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }));
    assert.equal(answer.attrs.type, 'result');
    const items = answer
      .getChild('query')!
      .getChildren('item')
      .map((item) => item.attrs);
    assert.deepEqual(items, [
      { jid: SIP_DOMAIN, name: 'SIP/SIMPLE gateway' },
      { jid: IRC_DOMAIN, name: 'Libera Chat' },
    ]);
  });

  it('describes the SIP gateway domain as a gateway/simple with jabber:iq:gateway', async () => {
    const answer = await iq(carl, 'get', SIP_DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    assert.equal(answer.attrs.type, 'result');
    const query = answer.getChild('query')!;
    assert.deepEqual(query.getChild('identity')!.attrs, { category: 'gateway', type: 'simple', name: 'SIP/SIMPLE gateway' });
    const features = query.getChildren('feature').map((f) => f.attrs.var);
    for (const feature of ['jabber:iq:gateway', 'http://jabber.org/protocol/disco#items', 'urn:xmpp:receipts', 'urn:switchboard:hops:0'])
      assert.ok(features.includes(feature), feature);
  });

  it('says what to type (jabber:iq:gateway get)', async () => {
    const answer = await iq(carl, 'get', SIP_DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' }));
    assert.equal(answer.attrs.type, 'result');
    const query = answer.getChild('query', 'jabber:iq:gateway')!;
    assert.match(query.getChildText('desc') ?? '', /^Enter the SIP address of the person you want to add/);
    assert.equal(query.getChildText('prompt'), 'SIP address');
  });

  it('turns an address into the JID to add (jabber:iq:gateway set), on the gateway and on the main domain', async () => {
    const jidOf = async (to: string, prompt: string) => {
      const answer = await translate(carl, to, prompt);
      assert.equal(answer.attrs.type, 'result', `${prompt} at ${to}`);
      return answer.getChild('query', 'jabber:iq:gateway')!.getChildText('jid');
    };
    assert.equal(await jidOf(SIP_DOMAIN, 'bob@example.com'), `bob\\40example.com@${SIP_DOMAIN}`);
    assert.equal(await jidOf(SIP_DOMAIN, 'sip:bob@example.com'), `bob\\40example.com@${SIP_DOMAIN}`);
    assert.equal(await jidOf(IRC_DOMAIN, 'dave'), `dave\\40libera@${IRC_DOMAIN}`);
    assert.equal(await jidOf(prosody.componentDomain, 'sip:bob@example.com'), `bob\\40example.com@${SIP_DOMAIN}`);
    assert.equal(await jidOf(prosody.componentDomain, 'irc:dave@libera'), `dave\\40libera@${IRC_DOMAIN}`);
  });

  it('round-trips an address with special characters: the JID given is the user subscribed to', async () => {
    const answer = await translate(carl, SIP_DOMAIN, "d.arcy+o'hara@example.com");
    const jid = answer.getChild('query', 'jabber:iq:gateway')!.getChildText('jid')!;
    assert.equal(jid, `d.arcy+o\\27hara\\40example.com@${SIP_DOMAIN}`);
    await carl.send(xml('presence', { type: 'subscribe', to: jid }));
    await carl.next((s) => s.is('presence') && s.attrs.type === 'subscribed' && bare(s.attrs.from) === jid);
    const follows = await t.bridge.store.gatewayFollows('xmpp:carl@localhost');
    assert.ok(
      follows.some((follow) => follow.target === "sip:d.arcy+o'hara@example.com"),
      JSON.stringify(follows),
    );
    // Unsubscribing stops following.
    await carl.send(xml('presence', { type: 'unsubscribe', to: jid }));
    await until(
      async () => !(await t.bridge.store.gatewayFollows('xmpp:carl@localhost')).some((follow) => follow.target === "sip:d.arcy+o'hara@example.com"),
      5000,
      'the follow ended',
    );
  });

  it('answers what is no address with an iq error saying why, never silence', async () => {
    for (const [to, prompt, condition] of [
      [SIP_DOMAIN, 'bob', 'bad-request'],
      [SIP_DOMAIN, 'bob smith@example.com', 'bad-request'],
      [SIP_DOMAIN, 'irc:dave@libera', 'bad-request'],
      [SIP_DOMAIN, `${'a'.repeat(1100)}@example.com`, 'not-acceptable'],
      [prosody.componentDomain, 'bob@example.com', 'bad-request'],
    ] as const) {
      const answer = await translate(carl, to, prompt);
      assert.equal(answer.attrs.type, 'error', prompt);
      const error = answer.getChild('error')!;
      assert.ok(error.getChild(condition, STANZAS), `${prompt}: ${error.toString()}`);
      assert.ok((error.getChildText('text', STANZAS) ?? '').length > 0);
    }
  });

  it('answers a probe for a gateway user whose presence it has not shown with unavailable', async () => {
    const jid = `nobody\\40example.com@${SIP_DOMAIN}`;
    await carl.send(xml('presence', { type: 'probe', to: jid }));
    await carl.next((s) => s.is('presence') && bare(s.attrs.from) === jid && s.attrs.type === 'unavailable');
  });

  it('refuses a subscription the gateway policy does not allow, with the reason', async () => {
    const jid = `dave\\40libera@${IRC_DOMAIN}`;
    await carl.send(xml('presence', { type: 'subscribe', to: jid }));
    const refused = await carl.next((s) => s.is('presence') && bare(s.attrs.from) === jid && s.attrs.type === 'unsubscribed');
    assert.match(refused.getChildText('status') ?? '', /does not connect xmpp to irc/);
  });

  it('refuses a message whose hop marker names this bridge: it came back through the gateway', async () => {
    const jid = `bob\\40example.com@${SIP_DOMAIN}`;
    await carl.send(
      xml(
        'message',
        { type: 'chat', to: jid, id: 'hop1' },
        xml('body', {}, 'round and round'),
        xml('hops', { xmlns: 'urn:switchboard:hops:0' }, xml('hop', { bridge: 'bridge-b' }), xml('hop', { bridge: 'bridge-a' })),
      ),
    );
    const error = await carl.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'hop1');
    assert.equal(bare(error.attrs.from), jid);
    assert.match(error.getChild('error')?.getChildText('text', STANZAS) ?? '', /came back through the gateway/);
  });
});

describe('XMPP gateway domains: one status for all connections', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;

  before(async () => {
    prosody = await startProsody({ extraComponents: [SIP_DOMAIN] });
  });
  after(async () => {
    await t?.stop();
    await prosody?.destroy();
  });

  it('is not online while one domain is down, and names that domain', async () => {
    t = await startBridge({
      networks: [
        { type: 'web' },
        prosodyNetwork(prosody, {
          connectTimeoutSeconds: 2,
          gateways: [
            { domain: SIP_DOMAIN, network: 'sip' },
            // Not a component of this server: its connection is refused.
            { domain: 'missing.localhost', network: 'irc' },
          ],
        }),
      ],
    });
    const xmpp = t.bridge.registry.get('xmpp')!;
    await until(() => xmpp.status().state === 'offline', 15_000, 'the XMPP network offline');
    assert.match(xmpp.status().reason ?? '', /^missing\.localhost: /);
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { networks: Record<string, { state: string; reason?: string }> };
    assert.match(body.networks.xmpp?.reason ?? '', /missing\.localhost/);
  });
});
