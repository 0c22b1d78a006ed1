// Two sites that share every user id (agents alice, bob and carol, user dana, an integration "crm"):
// nothing of one site's conversations, presence, routing, idempotency keys or parties reaches the
// other's parties, through the socket API, the REST API or webhooks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Conversation, Message } from '@switchboard/protocol';
import {
  API_KEY,
  ORIGIN,
  OTHER_SITE,
  SECRET,
  SITE,
  type TestBridge,
  type V1Socket,
  agentAuth,
  call,
  collect,
  connect,
  next,
  startBridge,
  until,
} from '../helpers.js';
import type { DeliveryBody } from '../webhook-receiver.js';
import { identityHash } from '../../src/gateway/tokens.js';

const OTHER_SECRET = 'other-identity-secret-0123456789';
const OTHER_KEY = 'other-api-key-0123456789abcdef';
const OTHER_ORIGIN = 'http://other.test';

const otherAgent = (userId: string) => agentAuth(userId, OTHER_SITE, OTHER_SECRET);
const user = (siteKey: string, secret: string, userId: string, name: string) => ({
  siteKey,
  identity: { userId, name, hash: identityHash(secret, 'visitor', userId) },
});

/** Everything a socket is sent, by event. */
function record(socket: V1Socket): { messages: Message[]; conversations: Conversation[]; all: unknown[] } {
  const messages = collect(socket, 'message');
  const conversations = collect(socket, 'conversation');
  const all: unknown[] = [];
  socket.onAny((_event, payload) => all.push(payload));
  return { messages, conversations, all };
}

/** A round trip on the socket: whatever the server emitted to it before is received by then. */
const settle = (socket: V1Socket) => call(socket, 'conversation:list', {});

describe('two sites sharing every user id', () => {
  let t: TestBridge;
  const hooks: DeliveryBody[] = [];
  let hookServer: import('node:http').Server;

  before(async () => {
    const { createServer } = await import('node:http');
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as DeliveryBody);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const hookPort = (hookServer.address() as import('node:net').AddressInfo).port;
    t = await startBridge({
      sites: [
        { key: SITE, origins: [ORIGIN], identitySecret: SECRET, apiKeys: [{ id: 'crm', key: API_KEY }] },
        { key: OTHER_SITE, origins: [OTHER_ORIGIN], identitySecret: OTHER_SECRET, apiKeys: [{ id: 'crm', key: OTHER_KEY }] },
      ],
      teams: [
        { id: 'support', members: ['web:a_alice', 'web:a_bob'], sites: [SITE], capacity: 1000, offerTimeoutSeconds: 0 },
        { id: 'help', members: ['web:a_alice', 'web:a_bob'], sites: [OTHER_SITE], capacity: 1000, offerTimeoutSeconds: 0 },
        // Serves both sites: each site's carol answers that site's visitors only.
        { id: 'shared', members: ['web:a_carol'], capacity: 1000, offerTimeoutSeconds: 0 },
      ],
      webhooks: [
        {
          url: `http://127.0.0.1:${hookPort}/hook`,
          secret: 'webhook-secret-0123456789',
          events: ['conversation.opened', 'conversation.message', 'conversation.assigned'],
          sites: [OTHER_SITE],
        },
      ],
    });
  });

  after(async () => {
    await t.stop();
    await new Promise((resolve) => hookServer.close(resolve));
  });

  it("keeps one site's conversations, messages and assignments from the other site's namesakes", async () => {
    const alice1 = await connect(t, agentAuth('alice'));
    const alice2 = await connect(t, otherAgent('alice'), { origin: OTHER_ORIGIN });
    const bob2 = await connect(t, otherAgent('bob'), { origin: OTHER_ORIGIN });
    assert.equal(alice1.session.self, 'web:a_alice');
    assert.equal(alice2.session.self, 'web:a_alice', "clients see their own site's addresses without the site");
    const seen2 = record(alice2.socket);
    const seenBob2 = record(bob2.socket);

    const visitor = await connect(t, { siteKey: SITE });
    const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
    assert.equal(opened.ok, true);
    const conversation = opened.conversation;
    assert.equal(conversation.assignee, 'web:a_alice', "site one's alice takes it, as her site writes her");
    const got = next(alice1.socket, 'message', (m) => m.conversationId === conversation.id);
    await call(visitor.socket, 'message:send', { conversationId: conversation.id, text: 'for site one only', clientId: 'c-1' });
    assert.equal((await got).text, 'for site one only');
    const reply = await call(alice1.socket, 'message:send', { conversationId: conversation.id, text: 'site one answers', clientId: 'same-key' });
    assert.equal(reply.message.from, 'web:a_alice');

    // Site two's alice and bob: no event of site one's conversation, and history refuses it.
    await Promise.all([settle(alice2.socket), settle(bob2.socket)]);
    const leaked = JSON.stringify([seen2.all, seenBob2.all]);
    assert.ok(!leaked.includes(conversation.id), `site two received site one's traffic: ${leaked}`);
    assert.equal((await call(alice2.socket, 'history:get', { conversationId: conversation.id })).error?.code, 'not_found');

    // The same clientId from site two's alice is her own message, not site one's alice's.
    const visitor2 = await connect(t, { siteKey: OTHER_SITE }, { origin: OTHER_ORIGIN });
    const opened2 = (await call(visitor2.socket, 'conversation:open', { team: 'help' })).conversation;
    assert.equal(opened2.assignee, 'web:a_alice', "site two's alice takes site two's conversation");
    const own = await call(alice2.socket, 'message:send', { conversationId: opened2.id, text: 'site two answers', clientId: 'same-key' });
    assert.equal(own.ok, true, JSON.stringify(own));
    assert.equal(own.message.conversationId, opened2.id);
    assert.notEqual(own.message.id, reply.message.id);
    await settle(alice1.socket);
  });

  it("never offers a site's queued conversation to another site's agent who becomes available", async () => {
    const visitor = await connect(t, { siteKey: SITE });
    // Site one's only connected agent, alice, steps away: its next conversation waits in the queue.
    const away = await connect(t, agentAuth('alice'));
    await call(away.socket, 'presence:set', { status: 'away' });
    const opened = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation;
    assert.equal(opened.assignee, undefined, 'queued while site one has nobody available');

    const bob2 = await connect(t, otherAgent('bob'), { origin: OTHER_ORIGIN });
    const seenBob2 = record(bob2.socket);
    await call(bob2.socket, 'presence:set', { status: 'available' });
    await settle(bob2.socket);
    const stored = await t.bridge.store.getConversation(opened.id);
    assert.equal(stored?.assignee, undefined, "site two's bob was given site one's conversation");
    assert.ok(!JSON.stringify(seenBob2.all).includes(opened.id));

    // Site one's bob becoming available does take it: the test above can tell the difference.
    const bob1 = await connect(t, agentAuth('bob'));
    await call(bob1.socket, 'presence:set', { status: 'available' });
    await until(async () => (await t.bridge.store.getConversation(opened.id))?.assignee !== undefined, 5000, "site one's bob to get it");
    assert.equal((await t.bridge.store.getConversation(opened.id))?.assignee, `web:a_bob@${SITE}`);
    await call(away.socket, 'presence:set', { status: 'available' });
  });

  it("routes a team that serves both sites to each site's own carol, with availability per site", async () => {
    const carol2 = await connect(t, otherAgent('carol'), { origin: OTHER_ORIGIN });
    const seenCarol2 = record(carol2.socket);
    const visitor1 = await connect(t, { siteKey: SITE });
    const watch1 = await call(visitor1.socket, 'presence:subscribe', { team: 'shared' });
    assert.equal(watch1.available, false, "site two's carol does not make the team available to site one");
    const visitor2 = await connect(t, { siteKey: OTHER_SITE }, { origin: OTHER_ORIGIN });
    const watch2 = await call(visitor2.socket, 'presence:subscribe', { team: 'shared' });
    assert.equal(watch2.available, true);

    const queued = (await call(visitor1.socket, 'conversation:open', { team: 'shared' })).conversation;
    assert.equal(queued.assignee, undefined);
    const carol1 = await connect(t, agentAuth('carol'));
    await until(async () => (await t.bridge.store.getConversation(queued.id))?.assignee === 'web:a_carol@' + SITE, 5000, "site one's carol to get it");
    const mine = (await call(visitor2.socket, 'conversation:open', { team: 'shared' })).conversation;
    assert.equal(mine.assignee, 'web:a_carol');
    assert.equal((await t.bridge.store.getConversation(mine.id))?.assignee, `web:a_carol@${OTHER_SITE}`);
    await Promise.all([settle(carol2.socket), settle(carol1.socket)]);
    assert.ok(!JSON.stringify(seenCarol2.all).includes(queued.id));

    // A web agent cannot claim or be handed the other site's conversation by command either.
    const transfer = await call(carol2.socket, 'agent:command', { text: `/transfer ${queued.id.slice(-5)} web:a_carol` });
    assert.match(transfer.answer, /No conversation of your teams/);
  });

  it("shows presence and parties of the caller's own site only", async () => {
    const dana1 = await connect(t, user(SITE, SECRET, 'dana', 'Dana One'));
    await connect(t, user(OTHER_SITE, OTHER_SECRET, 'dana', 'Dana Two'), { origin: OTHER_ORIGIN });
    const bob2 = await connect(t, otherAgent('bob'), { origin: OTHER_ORIGIN });
    const party = await call(bob2.socket, 'party:get', { address: 'web:u_dana' });
    assert.equal(party.party.name, 'Dana Two');
    assert.equal(party.party.address, 'web:u_dana');
    // Site one's zoe is connected; site two's is not: site two sees its own zoe offline.
    await connect(t, agentAuth('zoe'));
    const watched = await call(bob2.socket, 'presence:subscribe', { addresses: ['web:a_zoe'] });
    assert.deepEqual(watched.presences, [{ address: 'web:a_zoe', status: 'offline' }]);
    // A site-one visitor's anonymous address is nobody to site two.
    const stranger = await connect(t, { siteKey: SITE });
    await call(stranger.socket, 'profile:update', { name: 'Stranger' });
    assert.equal((await call(bob2.socket, 'party:get', { address: stranger.session.self })).error?.code, 'not_found');
    const hidden = await call(bob2.socket, 'presence:subscribe', { addresses: [stranger.session.self] });
    assert.deepEqual(hidden.presences, [{ address: stranger.session.self, status: 'offline' }]);
    assert.equal((await call(bob2.socket, 'conversation:open', { to: stranger.session.self })).error?.code, 'not_found');
    dana1.socket.disconnect();
  });

  it("keeps a site's API key to its own parties, and webhooks to the site's own forms", async () => {
    const carol1 = await connect(t, agentAuth('carol'));
    const carol2 = await connect(t, otherAgent('carol'), { origin: OTHER_ORIGIN });
    const seen2 = record(carol2.socket);
    const post = (key: string, body: object) =>
      fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const toCarol = next(carol1.socket, 'message', (m) => m.text === "from site one's crm");
    const sent = await post(API_KEY, { to: 'web:a_carol', text: "from site one's crm" });
    assert.equal(sent.status, 201);
    const body = (await sent.json()) as { message: Message };
    assert.equal(body.message.from, 'web:i_crm');
    assert.equal((await toCarol).from, 'web:i_crm');
    await settle(carol2.socket);
    assert.ok(!JSON.stringify(seen2.all).includes('from site one'), "site two's carol received site one's message");

    // Site two's visitor, by its anonymous address, from site one's key: nobody there.
    const visitor2 = await connect(t, { siteKey: OTHER_SITE }, { origin: OTHER_ORIGIN });
    const refused = await post(API_KEY, { to: visitor2.session.self, text: 'hello stranger' });
    assert.equal(refused.status, 404);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'not_found');
    // From its own site's key it is reached, and the webhook speaks the site's forms.
    const reached = next(visitor2.socket, 'message', (m) => m.text === 'hello from your site');
    assert.equal((await post(OTHER_KEY, { to: visitor2.session.self, text: 'hello from your site' })).status, 201);
    await reached;
    await until(() => hooks.some((h) => h.event === 'conversation.message' && h.data.message.text === 'hello from your site'), 5000, 'the webhook');
    const hook = hooks.find((h) => h.event === 'conversation.message' && h.data.message.text === 'hello from your site')!;
    assert.equal(hook.data.message.from, 'web:i_crm');
    assert.ok(
      hooks.every((h) => h.siteKey === OTHER_SITE && !JSON.stringify(h).includes(`@${OTHER_SITE}`)),
      "webhooks carry the site's own forms",
    );
  });

  it('stores no party for a handshake alone, and forgets idle visitors', async () => {
    const count = () => {
      const db = new Database(t.dbPath, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM parties').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const before = count();
    const visitors = await Promise.all(Array.from({ length: 20 }, () => connect(t, { siteKey: SITE })));
    assert.equal(count(), before, 'handshakes stored parties');
    const self = await call(visitors[0]!.socket, 'party:get', { address: visitors[0]!.session.self });
    assert.deepEqual(self.party, { address: visitors[0]!.session.self, role: 'visitor', verified: false });
    await call(visitors[0]!.socket, 'profile:update', { name: 'Only a profile' });
    await call(visitors[1]!.socket, 'conversation:open', { team: 'support' });
    assert.equal(count(), before + 2);
    // A month and a day later, the visitor who only filled a profile is forgotten; the one with a conversation stays.
    const later = new Date(Date.now() + 31 * 86_400_000);
    assert.ok((await t.bridge.core.expireIdleVisitors(later)) >= 1);
    assert.equal(await t.bridge.store.getParty(visitors[0]!.session.self), null);
    assert.notEqual(await t.bridge.store.getParty(visitors[1]!.session.self), null);
  });
});
