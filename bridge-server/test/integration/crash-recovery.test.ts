// What a crash must not lose, through the real CLI killed with SIGKILL: webhook deliveries not yet
// made (sent after the restart with their delivery ids) and running offers (with their deadlines).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { verifyWebhookSignature } from '../../src/core/webhooks/signature.js';
import { crash, exited, runCli, writeCliConfig } from '../cli-process.js';
import { holdingReceiver } from '../webhook-receiver.js';
import { SITE, agentAuth, call, connectTo, until } from '../helpers.js';

const HOOK_SECRET = 'crash-test-webhook-secret-01';

describe('crash recovery', () => {
  it('delivers every webhook event after a kill -9, with the delivery id it had before', async (t) => {
    const receiver = await holdingReceiver();
    t.after(() => receiver.close());
    const config = writeCliConfig(t, { webhooks: [{ url: receiver.url, secret: HOOK_SECRET, timeoutSeconds: 60 }] });
    const first = await runCli(config);
    t.after(() => first.child.kill('SIGKILL'));

    await connectTo(t, first.url, agentAuth('alice'));
    const { socket: visitor } = await connectTo(t, first.url, { siteKey: SITE });
    const opened = await call(visitor, 'conversation:open', { team: 'support' });
    const conversation = opened.conversation;
    assert.equal(conversation.assignee, 'web:a_alice');
    const acked: Message[] = [];
    for (let i = 0; i < 5; i++)
      acked.push((await call(visitor, 'message:send', { conversationId: conversation.id, clientId: `m${i}`, text: `before the crash ${i}` })).message);
    assert.equal((await call(visitor, 'conversation:close', { conversationId: conversation.id })).ok, true);
    // The receiver holds the first delivery without answering; the rest wait behind it.
    await until(() => receiver.received.length >= 1, 5000, 'the first delivery');
    const inFlight = receiver.received[0]!;
    await crash(first.child);

    receiver.release();
    const second = await runCli(config);
    try {
      await until(() => receiver.taken.length >= 8, 10_000, 'every delivery after the restart');
      const events = receiver.taken.map((d) => d.event);
      assert.deepEqual(events, ['conversation.opened', 'conversation.assigned', ...acked.map(() => 'conversation.message'), 'conversation.closed']);
      // The delivery in flight at the crash comes again with its id: the receiver can drop the repeat.
      assert.equal(receiver.taken[0]!.id, inFlight.id);
      assert.equal(receiver.taken[0]!.body, inFlight.body);
      assert.equal(new Set(receiver.taken.map((d) => d.id)).size, 8);
      for (const delivery of receiver.taken) {
        assert.equal(delivery.headers['x-switchboard-delivery'], delivery.id);
        const timestamp = String(delivery.headers['x-switchboard-timestamp']);
        assert.ok(verifyWebhookSignature(HOOK_SECRET, String(delivery.headers['x-switchboard-signature']), timestamp, delivery.body));
      }
      assert.deepEqual(
        receiver.taken.slice(2, 7).map((d) => d.data.message.id),
        acked.map((m) => m.id),
      );
      assert.equal(receiver.taken[7]!.data.conversation.state, 'closed');
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });

  it('resumes offers after a kill -9: one that ran out moves at once, one still running keeps its deadline', async (t) => {
    const agents = ['web:a_alice', 'web:a_bob'];
    const config = writeCliConfig(t, {
      teams: [
        { id: 'fast', members: agents, sites: [SITE], offerTimeoutSeconds: 1 },
        { id: 'slow', members: agents, sites: [SITE], offerTimeoutSeconds: 12 },
      ],
    });
    const first = await runCli(config);
    t.after(() => first.child.kill('SIGKILL'));
    const { socket: alice } = await connectTo(t, first.url, agentAuth('alice'));
    const { socket: visitor } = await connectTo(t, first.url, { siteKey: SITE });
    const fast = (await call(visitor, 'conversation:open', { team: 'fast' })).conversation;
    const slowOpenedAt = Date.now();
    const slow = (await call(visitor, 'conversation:open', { team: 'slow' })).conversation;
    assert.equal(fast.assignee, 'web:a_alice');
    assert.equal(slow.assignee, 'web:a_alice');
    await crash(first.child);
    alice.disconnect();
    visitor.disconnect();

    // The fast offer runs out while the bridge is down; the slow one does not. The bridge is down
    // for 2 s, so a deadline started afresh at the restart would come 2 s late at least. (12 s leave
    // a loaded machine time to start the bridge and connect bob before the deadline.)
    await until(() => Date.now() > slowOpenedAt + 2000, 4000, 'the fast offer to run out');
    const second = await runCli(config);
    try {
      const { socket: bob } = await connectTo(t, second.url, agentAuth('bob'));
      const assigneeOf = async (id: string) => (await call(bob, 'conversation:list', {})).conversations.find((c) => c.id === id)?.assignee;
      const bobAt = Date.now();
      let movedAt = 0;
      const slowMoved = until(
        async () => (await assigneeOf(slow.id)) === 'web:a_bob' && (movedAt = Date.now()) > 0,
        16_000,
        'the running offer to move to bob',
      );
      await until(async () => (await assigneeOf(fast.id)) === 'web:a_bob', 3000, 'the overdue offer to move to bob');
      await slowMoved;
      // At its original deadline (12 s after it was made), not 12 s after the restart.
      const deadline = slowOpenedAt + 12_000;
      assert.ok(bobAt < deadline, 'bob connected after the deadline: the machine is too slow for this test');
      assert.ok(movedAt >= deadline - 100, `moved ${movedAt - slowOpenedAt} ms after the offer: too early`);
      assert.ok(movedAt < deadline + 1500, `moved ${movedAt - slowOpenedAt} ms after the offer: the deadline was not kept`);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });
});
