import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { SITE, type TestBridge, type V1Socket, agentAuth, call, callUnchecked, collect, connect, next, startBridge, until } from '../helpers.js';

async function chat(t: TestBridge, agent = 'alice') {
  const alice = await connect(t, agentAuth(agent));
  const visitor = await connect(t, { siteKey: SITE });
  const conversation = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation;
  return {
    alice: alice.socket,
    visitor: visitor.socket,
    visitorAddress: visitor.session.self,
    visitorToken: visitor.session.token,
    conversationId: conversation.id,
  };
}

const send = (socket: V1Socket, conversationId: string, clientId: string, text: string) => call(socket, 'message:send', { conversationId, clientId, text });

describe('messages', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it("relays a visitor's message to the agent and the reply back, acking with gap-free seq", async () => {
    const { alice, visitor, visitorAddress, conversationId } = await chat(t);
    const atAgent = next(alice, 'message');
    const ack = await send(visitor, conversationId, 'c1', 'Hello, my order is late');
    assert.equal(ack.ok, true);
    assert.equal(ack.message.seq, 1);
    assert.equal(ack.message.clientId, 'c1');
    assert.equal(ack.message.from, visitorAddress);
    assert.equal(ack.message.status, 'sent');
    assert.match(ack.message.sentAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const received = await atAgent;
    assert.deepEqual(received, ack.message);

    const atVisitor = next(visitor, 'message');
    const reply = await send(alice, conversationId, 'r1', 'Sorry! Looking into it.');
    assert.equal(reply.message.seq, 2);
    assert.equal((await atVisitor).text, 'Sorry! Looking into it.');
  });

  it('is idempotent per sender and clientId: a resend returns the first message and stores nothing', async () => {
    const { alice, visitor, conversationId } = await chat(t);
    const received = collect(alice, 'message');
    const first = await send(visitor, conversationId, 'same', 'once');
    const again = await send(visitor, conversationId, 'same', 'once (resent)');
    assert.deepEqual({ ...again.message, status: undefined }, { ...first.message, status: undefined });
    const otherConversation = (await call(alice, 'conversation:open', { to: 'web:u_someone' })).conversation.id;
    const elsewhere = await call(alice, 'message:send', { conversationId: otherConversation, clientId: 'same', text: 'same key, other sender' });
    assert.equal(elsewhere.ok, true);
    const reused = await call(visitor, 'message:send', { conversationId: otherConversation, clientId: 'same', text: 'x' });
    assert.equal(reused.error?.code, 'forbidden');
    // A resend after the conversation was closed returns the message and does not reopen it.
    await call(alice, 'conversation:close', { conversationId });
    const late = await send(visitor, conversationId, 'same', 'once');
    assert.equal(late.message.id, first.message.id);
    const listed = await call(visitor, 'conversation:list', {});
    assert.equal(listed.conversations.find((c: { id: string }) => c.id === conversationId)!.state, 'closed');
    const fresh = (await call(visitor, 'conversation:open', { team: 'support' })).conversation.id;
    assert.notEqual(fresh, conversationId);
    const crossed = await send(visitor, fresh, 'same', 'once');
    assert.equal(crossed.error?.code, 'bad_request');
    assert.match(crossed.error.message, /clientId/);
    // Nor, the other way, does a key of the new conversation pass for a message of the closed one
    // (the team opens it again: it starts no new one).
    await send(visitor, fresh, 'in-fresh', 'in the new one');
    const backwards = await send(visitor, conversationId, 'in-fresh', 'for the closed one');
    assert.equal(backwards.error?.code, 'bad_request', JSON.stringify(backwards));
    assert.match(backwards.error.message, /clientId/);
    const next2 = await send(visitor, conversationId, 'other', 'twice');
    assert.equal(next2.message.seq, first.message.seq + 1);
    const history = await call(visitor, 'history:get', { conversationId });
    assert.deepEqual(
      history.messages.map((m: Message) => m.text),
      ['once', 'twice'],
    );
    const ofFirst = () => received.filter((m) => m.conversationId === conversationId);
    await until(() => ofFirst().length === 2, 5000, 'two messages at the agent');
    assert.deepEqual(
      ofFirst().map((m) => m.text),
      ['once', 'twice'],
    );
  });

  it('keeps seq gap-free and unique under concurrent senders', async () => {
    const { alice, visitor, conversationId } = await chat(t);
    const sends = [];
    for (let i = 0; i < 40; i++) {
      sends.push(send(visitor, conversationId, `v${i}`, `visitor ${i}`));
      sends.push(send(alice, conversationId, `a${i}`, `agent ${i}`));
    }
    const acks = await Promise.all(sends);
    const seqs = acks.map((a) => a.message.seq).sort((a, b) => a - b);
    assert.deepEqual(
      seqs,
      Array.from({ length: 80 }, (_, i) => i + 1),
    );
    // Each sender's own messages keep their order.
    const visitorSeqs = acks.filter((a) => a.message.clientId!.startsWith('v')).map((a) => a.message.seq);
    assert.deepEqual(
      visitorSeqs,
      [...visitorSeqs].sort((a, b) => a - b),
    );
  });

  it("reports delivered when the recipient's client acknowledges, and read on `read`", async () => {
    const { alice, visitor, conversationId } = await chat(t);
    const statuses = collect(visitor, 'message:status');
    alice.on('message', (_message, received) => received?.());
    const sent = await send(visitor, conversationId, 's1', 'status please');
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'delivered'), 5000, 'delivered');
    const read = await call(alice, 'read', { conversationId, seq: sent.message.seq });
    assert.equal(read.ok, true);
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'read'), 5000, 'read');
    const history = await call(visitor, 'history:get', { conversationId });
    assert.equal(history.messages[0]!.status, 'read');
    // Reading again (or past the end) changes nothing and reports nothing new.
    const count = statuses.length;
    assert.equal((await call(alice, 'read', { conversationId, seq: 999 })).ok, true);
    assert.equal(statuses.length, count);
  });

  it('relays typing both ways, without echo to the typist', async () => {
    const { alice, visitor, visitorAddress, conversationId } = await chat(t);
    const echoes = collect(visitor, 'typing');
    const atAgent = next(alice, 'typing');
    assert.equal((await call(visitor, 'typing', { conversationId, state: 'composing' })).ok, true);
    assert.deepEqual(await atAgent, { conversationId, from: visitorAddress, state: 'composing' });
    const atVisitor = next(visitor, 'typing');
    await call(alice, 'typing', { conversationId, state: 'paused' });
    assert.deepEqual(await atVisitor, { conversationId, from: 'web:a_alice', state: 'paused' });
    assert.equal(echoes.filter((e) => e.from === visitorAddress).length, 0);
  });

  it("delivers to the sender's other connections (another tab), not back to the sending one", async () => {
    const { visitor, visitorToken, conversationId } = await chat(t);
    const tab2 = await connect(t, { siteKey: SITE, token: visitorToken });
    const inOwnTab = collect(visitor, 'message');
    const inTab2 = next(tab2.socket, 'message');
    const ack = await send(visitor, conversationId, 'tab', 'from tab 1');
    assert.equal((await inTab2).id, ack.message.id);
    assert.equal(inOwnTab.length, 0);
  });

  it('pages history forwards and backwards with hasMore', async () => {
    const { visitor, conversationId } = await chat(t);
    for (let i = 1; i <= 7; i++) await send(visitor, conversationId, `h${i}`, `m${i}`);
    const latest = await call(visitor, 'history:get', { conversationId, limit: 3 });
    assert.deepEqual(
      latest.messages.map((m: Message) => m.seq),
      [5, 6, 7],
    );
    assert.equal(latest.hasMore, true);
    const before = await call(visitor, 'history:get', { conversationId, beforeSeq: 5, limit: 3 });
    assert.deepEqual(
      before.messages.map((m: Message) => m.seq),
      [2, 3, 4],
    );
    assert.equal(before.hasMore, true);
    const first = await call(visitor, 'history:get', { conversationId, beforeSeq: 2, limit: 3 });
    assert.deepEqual(
      first.messages.map((m: Message) => m.seq),
      [1],
    );
    assert.equal(first.hasMore, false);
    const after = await call(visitor, 'history:get', { conversationId, afterSeq: 4, limit: 2 });
    assert.deepEqual(
      after.messages.map((m: Message) => m.seq),
      [5, 6],
    );
    assert.equal(after.hasMore, true);
    const tail = await call(visitor, 'history:get', { conversationId, afterSeq: 6 });
    assert.deepEqual(
      tail.messages.map((m: Message) => m.seq),
      [7],
    );
    assert.equal(tail.hasMore, false);
  });

  it('replays exactly the missed messages on sync after a disconnect, in seq order', async () => {
    const { alice, visitor, visitorToken, conversationId } = await chat(t);
    const first = await send(visitor, conversationId, 'before', 'before the drop');
    visitor.disconnect();
    const replies = [];
    for (let i = 1; i <= 3; i++) replies.push((await send(alice, conversationId, `while-${i}`, `reply ${i}`)).message);
    const back = await connect(t, { siteKey: SITE, token: visitorToken });
    const replayed = collect(back.socket, 'message');
    const ack = await call(back.socket, 'sync', { cursors: { [conversationId]: first.message.seq } });
    assert.equal(ack.ok, true);
    // The contract: every later message is emitted before the ack.
    assert.deepEqual(
      replayed.map((m) => m.id),
      replies.map((m) => m.id),
    );
    // A stale or foreign cursor does not fail the sync; the ack names it.
    const stale = await call(back.socket, 'sync', { cursors: { c_unknown: 0, [conversationId]: 4 } });
    assert.equal(stale.ok, true);
    assert.deepEqual(stale.skipped, ['c_unknown']);
  });

  it("tells, before the sync's ack, the statuses the caller's own messages reached past those it shows, and nothing of others' messages", async () => {
    const { alice, visitor, visitorToken, conversationId } = await chat(t);
    const mine = (await send(visitor, conversationId, 'mine-1', 'one')).message;
    const settled = (await send(visitor, conversationId, 'mine-2', 'two')).message;
    const hers = (await send(alice, conversationId, 'hers-1', 'reply')).message;
    visitor.disconnect();
    await call(alice, 'read', { conversationId, seq: settled.seq });
    const back = await connect(t, { siteKey: SITE, token: visitorToken });
    const told = collect(back.socket, 'message:status');
    const ack = await call(back.socket, 'sync', {
      cursors: { [conversationId]: hers.seq },
      statuses: { [mine.id]: 'sent', [settled.id]: 'read', [hers.id]: 'sent', m_unknown: 'sent' },
    });
    assert.equal(ack.ok, true);
    assert.deepEqual(told, [{ conversationId, id: mine.id, status: 'read' }]);
    // At most 200 a call.
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`m_${i}`, 'sent']));
    const refused = await callUnchecked(back.socket, 'sync', { cursors: {}, statuses: many });
    assert.deepEqual(refused.error, { code: 'bad_request', message: 'statuses: must name at most 200 messages' });
  });

  it('replays long histories completely (more than one page)', async () => {
    const { alice, visitor, visitorToken, conversationId } = await chat(t);
    visitor.disconnect();
    for (let i = 1; i <= 450; i++) await send(alice, conversationId, `bulk-${i}`, `bulk ${i}`);
    const back = await connect(t, { siteKey: SITE, token: visitorToken });
    const replayed = collect(back.socket, 'message');
    await call(back.socket, 'sync', { cursors: { [conversationId]: 0 } });
    assert.deepEqual(
      replayed.map((m) => m.seq),
      Array.from({ length: 450 }, (_, i) => i + 1),
    );
  });
});

describe('presence', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it('reports team availability as agents come and go', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const initial = await call(visitor.socket, 'presence:subscribe', { team: 'support' });
    assert.equal(initial.ok, true);
    assert.equal(initial.available, false);
    const online = next(visitor.socket, 'team:availability', (a) => a.available);
    const alice = await connect(t, agentAuth('alice'));
    assert.deepEqual(await online, { team: 'support', available: true, online: 1 });
    const offline = next(visitor.socket, 'team:availability', (a) => !a.available);
    alice.socket.disconnect();
    assert.deepEqual(await offline, { team: 'support', available: false, online: 0 });
  });

  it("shows a visitor's presence to the agent, offline after the grace period", async () => {
    const alice = await connect(t, agentAuth('alice'));
    const visitor = await connect(t, { siteKey: SITE });
    const current = await call(alice.socket, 'presence:subscribe', { addresses: [visitor.session.self] });
    assert.deepEqual(current.presences, [{ address: visitor.session.self, status: 'available' }]);
    const gone = next(alice.socket, 'presence', (p) => p.address === visitor.session.self);
    visitor.socket.disconnect();
    assert.equal((await gone).status, 'offline');
  });

  it('lets an agent set away, which stops routing to them', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const bob = await connect(t, agentAuth('bob'));
    const watcher = await connect(t, agentAuth('carol'));
    await call(watcher.socket, 'presence:subscribe', { addresses: ['web:a_alice'] });
    const away = next(watcher.socket, 'presence', (p) => p.status === 'away');
    assert.equal((await call(alice.socket, 'presence:set', { status: 'away', text: 'lunch' })).ok, true);
    assert.deepEqual(await away, { address: 'web:a_alice', status: 'away', text: 'lunch' });
    const visitor = await connect(t, { siteKey: SITE });
    const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
    assert.equal(opened.conversation.assignee, 'web:a_bob');
    bob.socket.disconnect();
  });

  it('keeps a visitor from watching parties outside its conversations and teams', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const refused = await call(visitor.socket, 'presence:subscribe', { addresses: ['web:v_someoneelse'] });
    assert.equal(refused.error.code, 'forbidden');
    const allowed = await call(visitor.socket, 'presence:subscribe', { addresses: ['web:a_alice'] });
    assert.equal(allowed.ok, true);
    assert.equal((await call(visitor.socket, 'presence:subscribe', { team: 'nope' })).error.code, 'not_found');
  });
});
