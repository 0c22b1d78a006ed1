import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, type Readiness, bodyOf, call, collect, connect, next, startBridge, until } from '../helpers.js';
import { type LoopNetwork, NetworkError, loopDefinition } from '../loop-network.js';

describe('outbox and inbound sink (through a network adapter)', () => {
  let t: TestBridge;
  let loop: LoopNetwork;
  beforeEach(async () => {
    const { definition, network } = loopDefinition();
    t = await startBridge({ networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }] }, { networkDefinitions: { loop: definition } });
    loop = network();
  });
  afterEach(() => t.stop());

  async function conversationWithLoopParty() {
    const alice = (await connect(t, agentAuth('alice'))).socket;
    const conversationId: string = (await call(alice, 'conversation:open', { to: 'loop:bob' })).conversation.id;
    return { alice, conversationId };
  }

  it('sends through the network and reports sent', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    const statuses = collect(alice, 'message:status');
    const ack = await call(alice, 'message:send', { conversationId, clientId: 'o1', text: 'to the loop' });
    assert.equal(ack.message.status, 'accepted');
    await loop.waitForSent(1);
    assert.equal(loop.sent[0]!.to, 'loop:bob');
    assert.equal(loop.sent[0]!.message.text, 'to the loop');
    await until(() => statuses.some((s) => s.id === ack.message.id && s.status === 'sent'), 5000, 'sent status');
  });

  it('keeps messages while the network is down, says so, and flushes them in order after', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    const statuses = collect(alice, 'message:status');
    loop.setOnline(false);
    const acks: Message[] = [];
    for (let i = 1; i <= 5; i++) acks.push((await call(alice, 'message:send', { conversationId, clientId: `d${i}`, text: `queued ${i}` })).message);
    await until(() => statuses.filter((s) => s.status === 'accepted' && s.error?.code === 'unavailable').length === 5, 5000, 'waiting statuses');
    assert.equal(loop.sent.length, 0);
    const ready = await bodyOf<Readiness>(await fetch(`${t.url}/readyz`));
    assert.equal(ready.networks.loop!.state, 'offline');
    loop.setOnline(true);
    await loop.waitForSent(5);
    assert.deepEqual(
      loop.sent.map((s) => s.message.text),
      ['queued 1', 'queued 2', 'queued 3', 'queued 4', 'queued 5'],
    );
    await until(() => acks.every((m) => statuses.some((s) => s.id === m.id && s.status === 'sent')), 5000, 'sent statuses');
  });

  it('tells the sender of every waiting message, however long the queue', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    const statuses = collect(alice, 'message:status');
    loop.setOnline(false);
    for (let i = 1; i <= 120; i++) await call(alice, 'message:send', { conversationId, clientId: `w${i}`, text: `waiting ${i}` });
    await until(() => new Set(statuses.filter((s) => s.error?.code === 'unavailable').map((s) => s.id)).size === 120, 5000, '120 waiting notices');
    loop.setOnline(true);
    await loop.waitForSent(120);
    assert.deepEqual(
      loop.sent.map((s) => s.message.text),
      Array.from({ length: 120 }, (_, i) => `waiting ${i + 1}`),
    );
  });

  it('retries a retryable failure in order, and fails a permanent one with the reason', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    const statuses = collect(alice, 'message:status');
    loop.failures.push(new NetworkError('503 service unavailable', true));
    const first = (await call(alice, 'message:send', { conversationId, clientId: 'r1', text: 'first' })).message;
    const second = (await call(alice, 'message:send', { conversationId, clientId: 'r2', text: 'second' })).message;
    await loop.waitForSent(2, 10_000);
    assert.deepEqual(
      loop.sent.map((s) => s.message.id),
      [first.id, second.id],
    );
    assert.ok(statuses.some((s) => s.id === first.id && s.status === 'accepted' && /503/.test(s.error?.message ?? '')));

    loop.failures.push(new NetworkError('404 no such user', false));
    const doomed = (await call(alice, 'message:send', { conversationId, clientId: 'r3', text: 'doomed' })).message;
    const failed = await until(() => statuses.some((s) => s.id === doomed.id && s.status === 'failed'), 5000, 'failed status').then(() =>
      statuses.find((s) => s.id === doomed.id && s.status === 'failed'),
    );
    assert.match(failed!.error!.message, /404 no such user/);
    const history = await call(alice, 'history:get', { conversationId });
    assert.equal(history.messages.find((m: Message) => m.id === doomed.id)!.status, 'failed');
  });

  it("lets one unreachable recipient hold up no one else, and keeps each recipient's order", async () => {
    const alice = (await connect(t, agentAuth('alice'))).socket;
    const toBob: string = (await call(alice, 'conversation:open', { to: 'loop:bob' })).conversation.id;
    const toCarol: string = (await call(alice, 'conversation:open', { to: 'loop:carol' })).conversation.id;
    loop.failuresFor.set('loop:bob', [new NetworkError('bob is away', true), new NetworkError('bob is away', true)]);
    await call(alice, 'message:send', { conversationId: toBob, clientId: 'b1', text: 'bob 1' });
    await call(alice, 'message:send', { conversationId: toBob, clientId: 'b2', text: 'bob 2' });
    await call(alice, 'message:send', { conversationId: toCarol, clientId: 'c1', text: 'carol 1' });
    await loop.waitForSent(1);
    assert.deepEqual(
      loop.sent.map((s) => s.message.text),
      ['carol 1'],
      "carol's message went while bob's waited for its retry",
    );
    await loop.waitForSent(3, 10_000);
    assert.deepEqual(
      loop.sent.map((s) => s.message.text),
      ['carol 1', 'bob 1', 'bob 2'],
      "bob's messages in order, once each",
    );
  });

  it('resumes the outbox after a restart of the bridge', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    loop.setOnline(false);
    await call(alice, 'message:send', { conversationId, clientId: 'p1', text: 'survives restart' });
    const { dir } = t;
    alice.disconnect();
    await t.bridge.stop();
    const { definition, network } = loopDefinition();
    const restarted = await startBridge({ networks: [{ type: 'web' }, { type: 'loop' }] }, { networkDefinitions: { loop: definition }, dir });
    try {
      await network().waitForSent(1);
      assert.equal(network().sent[0]!.message.text, 'survives restart');
    } finally {
      await restarted.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('routes an inbound reply into the conversation, once even if retransmitted', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    const received = collect(alice, 'message');
    const stored = await loop.sink.message({ network: 'loop', from: 'loop:bob', to: 'web:a_alice', text: 'hi from loop', remoteId: 'r-1', conversationId });
    assert.equal(stored?.seq, 1);
    const again = await loop.sink.message({ network: 'loop', from: 'loop:bob', to: 'web:a_alice', text: 'hi from loop', remoteId: 'r-1', conversationId });
    assert.equal(again?.id, stored?.id);
    await until(() => received.length >= 1, 5000, 'inbound message');
    assert.deepEqual(
      received.map((m) => m.text),
      ['hi from loop'],
    );
    const stranger = await loop.sink.message({ network: 'loop', from: 'loop:mallory', to: 'web:a_alice', text: 'spam', conversationId });
    assert.equal(stranger, null);
  });

  it('trims the line breaks an inbound text ends with, once, whatever the network (and keeps inner ones)', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    const received = collect(alice, 'message');
    const crlf = await loop.sink.message({ network: 'loop', from: 'loop:bob', to: 'web:a_alice', text: 'line one\r\nline two \r\n', conversationId });
    assert.equal(crlf?.text, 'line one\r\nline two ');
    const lf = await loop.sink.message({ network: 'loop', from: 'loop:bob', to: 'web:a_alice', text: 'ends with breaks\n\n\r\n', conversationId });
    assert.equal(lf?.text, 'ends with breaks');
    await until(() => received.length >= 2, 5000, 'the inbound messages');
    assert.deepEqual(
      received.map((m) => m.text),
      ['line one\r\nline two ', 'ends with breaks'],
    );
  });

  it('relays typing to the network and inbound typing to web parties', async () => {
    const { alice, conversationId } = await conversationWithLoopParty();
    await call(alice, 'typing', { conversationId, state: 'composing' });
    await until(() => loop.typing.length === 1, 5000, 'typing at the network');
    // Networks see a web identity with its site (docs/protocol.md, "Addresses").
    assert.deepEqual(loop.typing[0], { from: `web:a_alice@${SITE}`, to: 'loop:bob', state: 'composing' });
    const atAlice = next(alice, 'typing');
    loop.sink.typing({ from: 'loop:bob', conversationId, state: 'composing' });
    assert.deepEqual(await atAlice, { conversationId, from: 'loop:bob', state: 'composing' });
  });
});
