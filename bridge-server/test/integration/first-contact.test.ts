// The core's side of a customer's first contact on their own network (docs/networks.md, "The
// inbound sink"): through the real sink of a test network, without a protocol server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, call, connect, next, startBridge, until } from '../helpers.js';
import { type LoopNetwork, loopDefinition } from '../loop-network.js';

const CUSTOMER = 'loop:carol';

describe('first contact through the inbound sink', () => {
  let t: TestBridge;
  let loop: LoopNetwork;
  before(async () => {
    const { definition, network } = loopDefinition();
    t = await startBridge(
      {
        teams: [{ id: 'support', members: ['web:a_alice'], sites: [SITE], greeting: 'Hello! How can we help?' }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }],
      },
      { networkDefinitions: { loop: definition } },
    );
    loop = network();
  });
  after(async () => {
    await t?.stop();
  });

  const write = (text: string, remoteId: string) =>
    loop.sink.message({ network: 'loop', from: CUSTOMER, to: 'team:support', team: { id: 'support' }, text, remoteId });

  it('opens a routed, greeted team conversation, keeps the next messages in it, stores a retransmission once, and opens a new one after close', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const first = await write('Hello?', 'r1');
    assert.ok(first);
    const conversation = await call(alice.socket, 'conversation:list', {}).then((list) => list.conversations.find((c) => c.id === first.conversationId)!);
    assert.equal(conversation.team, 'support');
    assert.equal(conversation.assignee, 'web:a_alice');
    assert.ok(conversation.participants.includes(CUSTOMER));
    // The greeting goes to the customer on their network.
    await until(() => loop.sent.some((s) => s.to === CUSTOMER && s.message.text === 'Hello! How can we help?'), 5000, 'the greeting');

    const second = await write('Order 42', 'r2');
    const again = await write('Order 42', 'r2');
    assert.equal(second?.conversationId, first.conversationId);
    assert.equal(again?.id, second?.id);
    const history = await call(alice.socket, 'history:get', { conversationId: first.conversationId });
    // The greeting answers the customer's first message: it comes after it.
    assert.deepEqual(
      history.messages.map((m: Message) => [m.seq, m.from, m.text]),
      [
        [1, CUSTOMER, 'Hello?'],
        [2, 'team:support', 'Hello! How can we help?'],
        [3, CUSTOMER, 'Order 42'],
      ],
    );

    const closed = next(alice.socket, 'conversation', (c) => c.id === first.conversationId && c.state === 'closed');
    await call(alice.socket, 'conversation:close', { conversationId: first.conversationId });
    await closed;
    // A retransmission after the close opens nothing.
    assert.equal((await write('Order 42', 'r2'))?.id, second?.id);
    const third = await write('Me again', 'r3');
    assert.ok(third);
    assert.notEqual(third.conversationId, first.conversationId);
    const list = await call(alice.socket, 'conversation:list', {});
    assert.equal(list.conversations.filter((c) => c.participants.includes(CUSTOMER)).length, 2);
    alice.socket.disconnect();
  });

  it('refuses a team that does not exist', async () => {
    assert.equal(await loop.sink.message({ network: 'loop', from: CUSTOMER, to: 'team:billing', team: { id: 'billing' }, text: 'hi' }), null);
  });
});
