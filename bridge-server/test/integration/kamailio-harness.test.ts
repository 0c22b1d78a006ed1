/**
 * Smoke test of the Kamailio harness with the SIP stack the SIP/SIMPLE network will use (SIP.js over
 * WebSocket): digest REGISTER, RFC 3428 MESSAGE byte for byte, 404/480, RFC 3856 presence, a restart
 * mid-conversation, and destroy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Message, Messager, type Notification, Publisher, Registerer, Subscriber, UserAgent } from 'sip.js';
import WebSocket from 'ws';
import { type KamailioServer, startKamailio } from '../servers/kamailio.js';

// SIP.js' transport opens `new WebSocket(url, 'sip')` on the global, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;

interface SipAgent {
  ua: UserAgent;
  registerer: Registerer;
  inbox: Message[];
}

async function until<T>(get: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves on the REGISTER's 2xx (after the digest challenge), rejects with the final error status. */
function register(registerer: Registerer): Promise<void> {
  return new Promise((resolve, reject) => {
    registerer
      .register({
        requestDelegate: {
          onAccept: () => resolve(),
          onReject: (response) => reject(new Error(`REGISTER: ${response.message.statusCode} ${response.message.reasonPhrase}`)),
        },
      })
      .catch(reject);
  });
}

/** Sends a MESSAGE and resolves with its final status. */
function message(from: SipAgent, to: string, body: string, contentType = 'text/plain;charset=UTF-8'): Promise<{ code: number; reason: string }> {
  const target = UserAgent.makeURI(to);
  assert.ok(target, to);
  return new Promise((resolve, reject) => {
    const done = (response: { message: { statusCode?: number; reasonPhrase?: string } }) =>
      resolve({ code: response.message.statusCode ?? 0, reason: response.message.reasonPhrase ?? '' });
    new Messager(from.ua, target, body, contentType).message({ requestDelegate: { onAccept: done, onReject: done } }).catch(reject);
  });
}

describe('Kamailio harness (SIP over WebSocket, digest auth, MESSAGE, presence) with SIP.js', () => {
  let kamailio: KamailioServer;
  const agents: SipAgent[] = [];

  async function connect(user: string, password: string): Promise<SipAgent> {
    const inbox: Message[] = [];
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${user}@${kamailio.domain}`),
      authorizationUsername: user,
      authorizationPassword: password,
      transportOptions: { server: kamailio.wsUrl },
      logLevel: 'error',
      delegate: {
        onMessage(incoming) {
          inbox.push(incoming);
          void incoming.accept();
        },
      },
    });
    await ua.start();
    const agent = { ua, registerer: new Registerer(ua, { expires: 300 }), inbox };
    agents.push(agent);
    await register(agent.registerer);
    return agent;
  }

  before(async () => {
    kamailio = await startKamailio({ users: { alice: 'alicepw', bob: 'bobpw', carol: 'carolpw' } });
  });
  after(async () => {
    for (const agent of agents) await agent.ua.stop();
    await kamailio?.destroy();
  });

  it('registers users with digest auth over WebSocket, and refuses a wrong password', async () => {
    await connect('alice', 'alicepw');
    await connect('bob', 'bobpw');
    await assert.rejects(connect('carol', 'wrong'), /REGISTER: 401/);
  });

  it('relays a MESSAGE between two registered users with the body exact (CRLF, emoji)', async () => {
    const [alice, bob] = agents as [SipAgent, SipAgent];
    const text = 'line one\r\nline two 🎉 — ünïcödé\r\n\r\nend 👩‍👩‍👧';
    assert.deepEqual(await message(alice, `sip:bob@${kamailio.domain}`, text), { code: 200, reason: 'OK' });
    const received = await until(() => bob.inbox.shift(), 'the MESSAGE');
    assert.equal(received.request.body, text);
    assert.equal(received.request.getHeader('Content-Type'), 'text/plain;charset=UTF-8');
    assert.equal(received.request.from.uri.toString(), `sip:alice@${kamailio.domain}`);
  });

  it('relays isComposing (RFC 3994) as a MESSAGE of its own type', async () => {
    const [alice, bob] = agents as [SipAgent, SipAgent];
    const composing =
      '<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>60</refresh></isComposing>';
    assert.equal((await message(alice, `sip:bob@${kamailio.domain}`, composing, 'application/im-iscomposing+xml')).code, 200);
    const received = await until(() => bob.inbox.shift(), 'the isComposing MESSAGE');
    assert.equal(received.request.getHeader('Content-Type'), 'application/im-iscomposing+xml');
    assert.equal(received.request.body, composing);
  });

  it('answers 404 for an unknown user and 480 for a known user who is not registered', async () => {
    const [alice] = agents as [SipAgent];
    assert.deepEqual(await message(alice, `sip:nobody@${kamailio.domain}`, 'hi'), { code: 404, reason: 'Not Found' });
    assert.deepEqual(await message(alice, `sip:carol@${kamailio.domain}`, 'hi'), { code: 480, reason: 'Temporarily Unavailable' });
  });

  it('notifies a presence subscriber of a PIDF publication', async () => {
    const [alice, bob] = agents as [SipAgent, SipAgent];
    const aliceUri = UserAgent.makeURI(`sip:alice@${kamailio.domain}`)!;
    const notifications: Notification[] = [];
    const subscriber = new Subscriber(bob.ua, aliceUri, 'presence', { expires: 600 });
    subscriber.delegate = {
      onNotify(notification) {
        notifications.push(notification);
        void notification.accept();
      },
    };
    await subscriber.subscribe();
    await until(() => notifications.shift(), 'the first NOTIFY');
    const publisher = new Publisher(alice.ua, aliceUri, 'presence', { contentType: 'application/pidf+xml', expires: 600 });
    await publisher.publish(
      `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@${kamailio.domain}"><tuple id="t1"><status><basic>open</basic></status><note>Available</note></tuple></presence>`,
    );
    const notify = await until(() => notifications.shift(), 'the NOTIFY with the publication');
    assert.equal(notify.request.getHeader('Content-Type'), 'application/pidf+xml');
    assert.match(notify.request.body, /<basic>open<\/basic>/);
    // unsubscribe() first: Subscriber.dispose() alone can wait forever on Kamailio's final NOTIFY.
    await subscriber.unsubscribe();
    await subscriber.dispose();
    await publisher.dispose();
  });

  it('restarts mid-conversation: clients lose the connection, reconnect, register again and talk', async () => {
    const [alice, bob] = agents as [SipAgent, SipAgent];
    await kamailio.stop();
    await until(() => (alice.ua.transport.isConnected() || bob.ua.transport.isConnected() ? undefined : true), 'the clients to see the disconnect');
    await kamailio.start();
    for (const agent of [alice, bob]) {
      await agent.ua.reconnect();
      // Registrations are in memory only; SIP.js still says Registered, so register again explicitly.
      await register(agent.registerer);
    }
    assert.equal((await message(alice, `sip:bob@${kamailio.domain}`, 'after the restart')).code, 200);
    assert.equal((await until(() => bob.inbox.shift(), 'the MESSAGE after the restart')).request.body, 'after the restart');
  });

  it('destroy stops the server and removes its folder', async () => {
    const { dir, wsUrl } = kamailio;
    for (const agent of agents.splice(0)) await agent.ua.stop();
    await kamailio.destroy();
    assert.equal(existsSync(dir), false);
    const probe = new WebSocket(wsUrl, 'sip');
    await new Promise<void>((resolve) => probe.once('error', () => resolve()));
  });
});

describe('docs/networks/kamailio.cfg, the configuration the docs ship (and the harness runs)', () => {
  it('lists every placeholder it has with an example value, and passes `kamailio -c` filled with them, with and without the visitor domain', () => {
    const text = readFileSync(fileURLToPath(new URL('../../../docs/networks/kamailio.cfg', import.meta.url)), 'utf8');
    const examples = new Map([...text.matchAll(/^# {3}@([A-Z_]+)@\s.*?e\.g\. (\S+)$/gm)].map(([, name, value]) => [name!, value!]));
    const used = new Set([...text.matchAll(/@([A-Z_]+)@/g)].map(([, name]) => name!));
    assert.deepEqual([...used].sort(), [...examples.keys()].sort(), 'each placeholder is explained in the header, with an example');
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-kamailio-doc-'));
    try {
      const file = join(dir, 'kamailio.cfg');
      writeFileSync(
        file,
        text.replace(/@([A-Z_]+)@/g, (_, name: string) => examples.get(name)!),
      );
      for (const defines of [[], ['-A', 'WITH_VISITOR_DOMAIN']]) {
        const check = spawnSync('kamailio', ['-c', '-f', file, ...defines], { encoding: 'utf8' });
        assert.equal(check.status, 0, `kamailio -c ${defines.join(' ')}:\n${check.stderr}`);
        assert.match(check.stderr, /config file ok/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
