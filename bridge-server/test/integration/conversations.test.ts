import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
import {
  API_KEY,
  OTHER_SITE,
  SITE,
  type TestBridge,
  agentAuth,
  call,
  callUnchecked,
  collect,
  connect,
  next,
  startBridge,
  until,
  userAuth,
} from '../helpers.js';

describe('conversations and team routing', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it('offers a team conversation to the first available agent', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const visitor = await connect(t, { siteKey: SITE });
    const offered = next(alice.socket, 'conversation', (c) => c.participants.includes(visitor.session.self));
    const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
    assert.equal(opened.ok, true);
    assert.equal(opened.conversation.assignee, 'web:a_alice');
    assert.deepEqual(opened.conversation.participants, [visitor.session.self, 'web:a_alice']);
    assert.equal(opened.conversation.state, 'open');
    assert.equal(opened.conversation.lastSeq, 0);
    assert.equal((await offered).id, opened.conversation.id);
    alice.socket.disconnect();
    visitor.socket.disconnect();
  });

  it('returns the same open conversation when a visitor opens the team again', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const first = await call(visitor.socket, 'conversation:open', { team: 'support' });
    const second = await call(visitor.socket, 'conversation:open', { team: 'support' });
    assert.equal(second.conversation.id, first.conversation.id);
  });

  it('queues a conversation while no agent is online and offers it to the next agent who connects', async () => {
    const q = await startBridge();
    try {
      const visitor = await connect(q, { siteKey: SITE });
      const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, undefined);
      const sent = await call(visitor.socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'q1', text: 'anyone there?' });
      assert.equal(sent.message.status, 'accepted');

      const assigned = next(visitor.socket, 'conversation', (c) => c.assignee !== undefined);
      const bob = await connect(q, agentAuth('bob'));
      const conversation = await assigned;
      assert.equal(conversation.assignee, 'web:a_bob');
      const history = await call(bob.socket, 'history:get', { conversationId: conversation.id });
      assert.deepEqual(
        history.messages.map((m: Message) => m.text),
        ['anyone there?'],
      );
    } finally {
      await q.stop();
    }
  });

  it('refuses an unknown team with not_found', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const result = await call(visitor.socket, 'conversation:open', { team: 'sales' });
    assert.equal(result.ok, false);
    assert.equal(result.error.code, 'not_found');
    assert.match(result.error.message, /team/);
  });

  it('refuses a visitor opening a conversation to an arbitrary address', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const result = await call(visitor.socket, 'conversation:open', { to: 'web:a_alice' });
    assert.equal(result.error.code, 'forbidden');
  });

  it('lets an agent open a conversation to an address, and refuses an address no network handles', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const opened = await call(alice.socket, 'conversation:open', { to: 'web:u_someone' });
    assert.equal(opened.ok, true);
    assert.deepEqual(opened.conversation.participants, ['web:a_alice', 'web:u_someone']);
    const again = await call(alice.socket, 'conversation:open', { to: 'web:u_someone' });
    assert.equal(again.conversation.id, opened.conversation.id);
    const unknown = await call(alice.socket, 'conversation:open', { to: 'fax:12345' });
    assert.equal(unknown.error.code, 'not_found');
    alice.socket.disconnect();
  });

  it("lists a visitor's own conversations, and all of the site's for agents", async () => {
    const v1 = await connect(t, { siteKey: SITE });
    const v2 = await connect(t, { siteKey: SITE });
    const c1 = (await call(v1.socket, 'conversation:open', { team: 'support' })).conversation;
    const c2 = (await call(v2.socket, 'conversation:open', { team: 'support' })).conversation;
    const mine = await call(v1.socket, 'conversation:list', {});
    assert.deepEqual(
      mine.conversations.map((c: Conversation) => c.id),
      [c1.id],
    );
    const noPayload = await callUnchecked(v1.socket, 'conversation:list');
    assert.equal(noPayload.ok, true);
    const agent = await connect(t, agentAuth('bob'));
    const all = (await call(agent.socket, 'conversation:list', {})).conversations.map((c: Conversation) => c.id);
    assert.ok(all.includes(c1.id) && all.includes(c2.id));
    agent.socket.disconnect();
  });

  it('closes a conversation, tells the participants, and reopens it on a new message', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const visitor = await connect(t, { siteKey: SITE });
    const conversation = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation;
    const told = next(visitor.socket, 'conversation', (c) => c.id === conversation.id && c.state === 'closed');
    const closed = await call(alice.socket, 'conversation:close', { conversationId: conversation.id });
    assert.equal(closed.conversation.state, 'closed');
    await told;
    const reopened = next(alice.socket, 'conversation', (c) => c.id === conversation.id && c.state === 'open');
    await call(visitor.socket, 'message:send', { conversationId: conversation.id, clientId: 'after-close', text: 'one more thing' });
    await reopened;
    alice.socket.disconnect();
  });

  it('carries a visitor who signs in mid-conversation into it as the user: listed, read, answered, continued and rated', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const before = await connect(t, { siteKey: SITE });
    const earlier = (await call(before.socket, 'conversation:open', { team: 'support' })).conversation;
    await call(alice.socket, 'conversation:close', { conversationId: earlier.id });
    const conversation = (await call(before.socket, 'conversation:open', { team: 'support' })).conversation;
    assert.notEqual(conversation.id, earlier.id);
    await call(before.socket, 'message:send', { conversationId: conversation.id, clientId: 'anon-1', text: 'Where is my parcel?' });
    before.socket.disconnect();

    // Signed in on the same device (its anonymous token beside the identity): the agents see the user join.
    const joined = next(alice.socket, 'conversation', (c) => c.id === conversation.id && c.participants.includes('web:u_carried'));
    const user = await connect(t, { ...userAuth('carried'), token: before.session.token });
    assert.equal(user.session.self, 'web:u_carried');
    assert.deepEqual((await joined).participants, [...conversation.participants, 'web:u_carried']);
    const listed = (await call(user.socket, 'conversation:list', {})).conversations;
    assert.deepEqual(listed.map((c) => c.id).sort(), [conversation.id, earlier.id].sort(), 'open and closed, as the anonymous visitor had them');
    const history = await call(user.socket, 'history:get', { conversationId: conversation.id });
    assert.deepEqual(
      history.messages.map((m: Message) => [m.from, m.text]),
      [[before.session.self, 'Where is my parcel?']],
    );

    // The agent's answer reaches the user; the user goes on in the same conversation, and rates it.
    const answered = next(user.socket, 'message', (m) => m.conversationId === conversation.id && m.text === 'It left the depot.');
    await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'It left the depot.' });
    await answered;
    const reply = await call(user.socket, 'message:send', { conversationId: conversation.id, clientId: 'u-1', text: 'Thanks!' });
    assert.deepEqual([reply.message.conversationId, reply.message.from], [conversation.id, 'web:u_carried']);
    const rated = await call(user.socket, 'conversation:rate', { conversationId: conversation.id, rating: 5 });
    assert.equal(rated.conversation.rating, 5);

    // Signing in again with the same token joins nothing twice.
    user.socket.disconnect();
    const again = await connect(t, { ...userAuth('carried'), token: before.session.token });
    const after = await call(again.socket, 'history:get', { conversationId: conversation.id });
    assert.equal(after.messages.length, 3);
    const current = (await call(again.socket, 'conversation:list', { state: 'open' })).conversations.find((c) => c.id === conversation.id);
    assert.equal(current?.participants.filter((address) => address === 'web:u_carried').length, 1, 'joined once');

    // Another user signing in on another device takes nothing of it.
    const stranger = await connect(t, userAuth('stranger'));
    assert.deepEqual((await call(stranger.socket, 'conversation:list', {})).conversations, []);
    assert.equal((await call(stranger.socket, 'history:get', { conversationId: conversation.id })).error?.code, 'forbidden');
    for (const socket of [alice.socket, again.socket, stranger.socket]) socket.disconnect();
  });

  it("keeps visitors out of other visitors' conversations and sites apart", async () => {
    const owner = await connect(t, { siteKey: SITE });
    const stranger = await connect(t, { siteKey: SITE });
    const conversation = (await call(owner.socket, 'conversation:open', { team: 'support' })).conversation;
    for (const [event, payload] of [
      ['message:send', { conversationId: conversation.id, clientId: 'x', text: 'hi' }],
      ['history:get', { conversationId: conversation.id }],
      ['conversation:close', { conversationId: conversation.id }],
      ['typing', { conversationId: conversation.id, state: 'composing' }],
      ['read', { conversationId: conversation.id, seq: 1 }],
    ] as const) {
      const result = await call(stranger.socket, event, payload);
      assert.equal(result.error?.code, 'forbidden', event);
    }
    const otherSiteAgent = await connect(t, agentAuth('zed', 'other-site', 'other-identity-secret-0123456789'), { origin: 'http://other.test' });
    const result = await call(otherSiteAgent.socket, 'history:get', { conversationId: conversation.id });
    assert.equal(result.error.code, 'not_found');
    const missing = await call(owner.socket, 'history:get', { conversationId: 'c_nope' });
    assert.equal(missing.error.code, 'not_found');
  });

  it("lets an integration observe the site's conversations as they open", async () => {
    const crm = await connect(t, { apiKey: API_KEY }, { origin: null });
    const seen = collect(crm.socket, 'conversation');
    const visitor = await connect(t, { siteKey: SITE });
    const opened = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation;
    await until(() => seen.some((c) => c.id === opened.id), 5000, 'the conversation event');
    crm.socket.disconnect();
  });

  it("keeps a visitor's own details and shows them to the site's agents only", async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const updated = await call(visitor.socket, 'profile:update', { name: 'Vera', email: 'vera@example.com', pageUrl: 'https://shop.test/cart' });
    assert.deepEqual(updated.party, {
      address: visitor.session.self,
      role: 'visitor',
      verified: false,
      name: 'Vera',
      email: 'vera@example.com',
      pageUrl: 'https://shop.test/cart',
    });
    const page = await call(visitor.socket, 'profile:update', { pageUrl: 'https://shop.test/checkout' });
    assert.equal(page.party.name, 'Vera');
    for (const [payload, field] of [
      [{ email: 'not-an-email' }, /email/],
      [{ pageUrl: 'javascript:alert(1)' }, /pageUrl/],
      [{ name: '' }, /name/],
    ] as const) {
      const bad = await call(visitor.socket, 'profile:update', payload);
      assert.equal(bad.error?.code, 'bad_request');
      assert.match(bad.error.message, field);
    }
    const alice = await connect(t, agentAuth('alice'));
    const seen = await call(alice.socket, 'party:get', { address: visitor.session.self });
    assert.equal(seen.party.pageUrl, 'https://shop.test/checkout');
    const stranger = await connect(t, { siteKey: SITE });
    assert.equal((await call(stranger.socket, 'party:get', { address: visitor.session.self })).error.code, 'not_found');
    assert.equal((await call(visitor.socket, 'party:get', { address: visitor.session.self })).party.name, 'Vera');
    const otherSite = await connect(t, agentAuth('zed', 'other-site', 'other-identity-secret-0123456789'), { origin: 'http://other.test' });
    assert.equal((await call(otherSite.socket, 'party:get', { address: visitor.session.self })).error.code, 'not_found');
    alice.socket.disconnect();
  });

  it("gives a visitor the name of its site's agents, and nothing else of them", async () => {
    const q = await startBridge({
      teams: [
        {
          id: 'support',
          sites: [SITE],
          members: ['web:a_alice', { id: 'xavier', name: 'Xavier', addresses: ['xmpp:xavier@example.test'] }, 'xmpp:nameless@example.test'],
        },
        { id: 'elsewhere', sites: [OTHER_SITE], members: ['web:a_zed', 'xmpp:other@example.test'] },
      ],
    });
    try {
      // alice has told the bridge more of herself than her name.
      const alice = await connect(q, { ...agentAuth('alice'), identity: { ...agentAuth('alice').identity, name: 'Alice Liddell', email: 'alice@shop.test' } });
      const visitor = await connect(q, { siteKey: SITE });
      const party = async (address: string) => callUnchecked(visitor.socket, 'party:get', { address });
      assert.deepEqual((await party('web:a_alice')).party, { address: 'web:a_alice', role: 'agent', verified: true, name: 'Alice Liddell' });
      assert.deepEqual((await party('xmpp:xavier@example.test')).party, { address: 'xmpp:xavier@example.test', role: 'agent', verified: true, name: 'Xavier' });
      assert.deepEqual((await party('xmpp:nameless@example.test')).party, { address: 'xmpp:nameless@example.test', role: 'agent', verified: true });
      for (const notOurs of ['web:a_zed', 'xmpp:other@example.test', 'xmpp:stranger@example.test']) {
        assert.equal((await party(notOurs)).error?.code, 'not_found', notOurs);
      }
      // An agent of another site, under the same user id, is nobody to this one.
      const zedHere = await connect(q, { siteKey: OTHER_SITE }, { origin: 'http://other.test' });
      assert.equal((await callUnchecked(zedHere.socket, 'party:get', { address: 'web:a_alice' })).error?.code, 'not_found');
      alice.socket.disconnect();
    } finally {
      await q.stop();
    }
  });

  it("keeps a vouched user's name and email as the website gave them", async () => {
    const user = await connect(t, { siteKey: SITE, identity: { ...userAuth('u-77', { name: 'Real Name' }).identity } });
    const refused = await call(user.socket, 'profile:update', { name: 'Someone Else' });
    assert.equal(refused.error.code, 'forbidden');
    const page = await call(user.socket, 'profile:update', { pageUrl: 'https://shop.test/' });
    assert.deepEqual([page.party.name, page.party.verified], ['Real Name', true]);
  });
});
