// Business hours (with a clock the test moves: no waiting), greetings and offline messages, and
// signed webhooks received by a real HTTP server, retried when it fails.
import assert from 'node:assert/strict';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
import { verifyWebhookSignature } from '../../src/core/webhooks/signature.js';
import { OTHER_SITE, SITE, agentAuth, call, collect, connect, next, startBridge, until } from '../helpers.js';
import { type DeliveryBody, holdingReceiver } from '../webhook-receiver.js';

const OTHER_SECRET = 'other-identity-secret-0123456789';
import { ManualClock } from '../manual-clock.js';

const HOURS = {
  timeZone: 'Europe/Paris',
  weekly: { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'] },
  holidays: ['2026-12-25'],
};

describe('business hours', () => {
  it('takes a conversation opened on a Saturday as an offline message and offers it when the team opens on Monday', async () => {
    const clock = new ManualClock(new Date('2026-11-28T10:00:00+01:00')); // a Saturday in Paris
    const t = await startBridge(
      { teams: [{ id: 'support', name: 'Support', sites: [SITE], members: ['web:a_alice'], hours: HOURS, greeting: 'Hello! How can we help?' }] },
      { clock },
    );
    try {
      const alice = await connect(t, agentAuth('alice'));
      const { socket } = await connect(t, { siteKey: SITE });
      // The team's party is there for the site before its first message, by the name configured.
      assert.deepEqual((await call(socket, 'party:get', { address: 'team:support' })).party, {
        address: 'team:support',
        role: 'integration',
        name: 'Support',
        verified: true,
      });
      // Closed: its visitors see the team away (the widget's offline form), although alice is online.
      const watched = await call(socket, 'presence:subscribe', { team: 'support' });
      assert.deepEqual([watched.available, watched.online], [false, 1]);
      const reopened = next(socket, 'team:availability', (a) => a.team === 'support' && a.available);
      const messages = collect(socket, 'message');
      const opened = await call(socket, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, undefined, 'closed: nobody gets it, although alice is online');
      await until(() => messages.some((m) => m.from === 'team:support'), 5000, 'the offline message');
      assert.match(messages.find((m) => m.from === 'team:support')!.text, /away right now/);
      const party = await call(socket, 'party:get', { address: 'team:support' });
      assert.equal(party.party.name, 'Support');
      await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'w1', text: 'My order has not arrived' });

      const assigned = next(socket, 'conversation', (c) => c.assignee === 'web:a_alice');
      clock.set(new Date('2026-11-30T09:00:00+01:00')); // Monday 09:00: the opening timer runs
      await assigned;
      assert.deepEqual(await reopened, { team: 'support', available: true, online: 1 }, 'open: available again');
      const history = await call(alice.socket, 'history:get', { conversationId: opened.conversation.id });
      assert.deepEqual(history.messages.map((m: Message) => m.text).slice(-1), ['My order has not arrived']);

      // Open now: a new conversation is greeted and routed at once.
      const other = await connect(t, { siteKey: SITE });
      const greeted = next(other.socket, 'message', (m) => m.from === 'team:support');
      const second = await call(other.socket, 'conversation:open', { team: 'support' });
      assert.equal(second.conversation.assignee, 'web:a_alice');
      assert.equal((await greeted).text, 'Hello! How can we help?');
    } finally {
      await t.stop();
    }
  });

  it('posts the away message instead of a greeting while no agent is available inside hours, and the greeting once one is', async () => {
    const t = await startBridge({
      teams: [{ id: 'support', name: 'Support', sites: [SITE], members: ['web:a_alice'], greeting: 'Hello! An agent will be with you in a moment.' }],
    });
    try {
      const nobody = await connect(t, { siteKey: SITE });
      const away = next(nobody.socket, 'message', (m) => m.from === 'team:support');
      const queued = await call(nobody.socket, 'conversation:open', { team: 'support' });
      assert.equal(queued.conversation.assignee, undefined);
      assert.match((await away).text, /away right now/, 'no agent promised while none is there');
      const first = await call(nobody.socket, 'history:get', { conversationId: queued.conversation.id });
      assert.deepEqual(
        first.messages.map((m: Message) => m.from),
        ['team:support'],
        'the away message alone',
      );

      await connect(t, agentAuth('alice'));
      const visitor = await connect(t, { siteKey: SITE });
      const greeted = next(visitor.socket, 'message', (m) => m.from === 'team:support');
      await call(visitor.socket, 'conversation:open', { team: 'support' });
      assert.equal((await greeted).text, 'Hello! An agent will be with you in a moment.');
    } finally {
      await t.stop();
    }
  });

  it('stays closed on a holiday', async () => {
    const clock = new ManualClock(new Date('2026-12-25T11:00:00+01:00')); // a Friday, but Christmas
    const t = await startBridge({ teams: [{ id: 'support', sites: [SITE], members: ['web:a_alice'], hours: HOURS }] }, { clock });
    try {
      await connect(t, agentAuth('alice'));
      const { socket } = await connect(t, { siteKey: SITE });
      const opened = await call(socket, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, undefined);
    } finally {
      await t.stop();
    }
  });
});

/** A bridge posting webhooks to a receiver that takes everything, agent alice signed in, and a visitor's conversation open. */
async function withWebhookDesk(
  run: (desk: {
    receiver: Awaited<ReturnType<typeof holdingReceiver>>;
    alice: Awaited<ReturnType<typeof connect>>;
    socket: Awaited<ReturnType<typeof connect>>['socket'];
    conversation: Conversation;
  }) => Promise<void>,
): Promise<void> {
  const receiver = await holdingReceiver();
  receiver.release();
  const t = await startBridge({ webhooks: [{ url: receiver.url, secret: 'webhook-secret-0123456789' }] });
  try {
    const alice = await connect(t, agentAuth('alice'));
    const { socket } = await connect(t, { siteKey: SITE });
    const { conversation } = await call(socket, 'conversation:open', { team: 'support' });
    await run({ receiver, alice, socket, conversation });
  } finally {
    await t.stop();
    await receiver.close();
  }
}

describe('webhooks', () => {
  it('posts signed conversation events in order, and retries a failing receiver with the same delivery id', async () => {
    const secret = 'webhook-secret-0123456789';
    const received: { event: string; delivery: string; body: DeliveryBody; valid: boolean }[] = [];
    let failuresLeft = 1;
    const receiver = createServer((request: IncomingMessage, response) => {
      let raw = '';
      request.on('data', (chunk) => (raw += chunk));
      request.on('end', () => {
        const header = (name: string) => String(request.headers[name] ?? '');
        const entry = {
          event: header('x-switchboard-event'),
          delivery: header('x-switchboard-delivery'),
          body: JSON.parse(raw) as DeliveryBody,
          valid: verifyWebhookSignature(secret, header('x-switchboard-signature'), header('x-switchboard-timestamp'), raw),
        };
        received.push(entry);
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          response.writeHead(500).end();
        } else response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const t = await startBridge({ webhooks: [{ url, secret }] });
    try {
      const alice = await connect(t, agentAuth('alice'));
      const { socket } = await connect(t, { siteKey: SITE });
      const opened = await call(socket, 'conversation:open', { team: 'support' });
      await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'k1', text: 'hook me' });
      await call(alice.socket, 'conversation:close', { conversationId: opened.conversation.id });
      await until(() => received.filter((r) => r.event === 'conversation.closed').length === 1, 10_000, 'the closed event');
      assert.ok(
        received.every((r) => r.valid),
        'every delivery is signed with the secret',
      );
      const first = received[0]!;
      assert.equal(received[1]!.delivery, first.delivery, 'the failed delivery was retried with its id');
      const delivered = received.slice(1);
      assert.deepEqual(
        delivered.map((r) => r.event),
        ['conversation.opened', 'conversation.assigned', 'conversation.message', 'conversation.closed'],
      );
      assert.equal(delivered[2]!.body.data.message.text, 'hook me');
      assert.equal(delivered[0]!.body.siteKey, SITE);
      assert.equal(delivered[1]!.body.data.assignee, 'web:a_alice');
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(metrics, /switchboard_webhooks_pending 0/);
    } finally {
      await t.stop();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('tells of a conversation back in its team queue (conversation.unassigned), with who had it', async () => {
    await withWebhookDesk(async ({ receiver, alice, conversation }) => {
      assert.equal(conversation.assignee, 'web:a_alice');
      // Away, so that the queue does not give it back to her at once.
      await call(alice.socket, 'presence:set', { status: 'away' });
      const moved = await call(alice.socket, 'conversation:transfer', { conversationId: conversation.id, to: { team: 'support' } });
      assert.equal(moved.conversation.assignee, undefined, JSON.stringify(moved));
      await until(() => receiver.taken.some((d) => d.event === 'conversation.unassigned'), 10_000, 'the unassigned event');
      assert.deepEqual(
        receiver.taken.map((d) => d.event),
        ['conversation.opened', 'conversation.assigned', 'conversation.unassigned'],
      );
      const { data } = receiver.taken[2]!;
      assert.equal(data.previousAssignee, 'web:a_alice');
      assert.equal(data.conversation.id, conversation.id);
      assert.equal(data.conversation.assignee, undefined);
      // Closing it from the queue tells of the close only: no assignee was lost then.
      await call(alice.socket, 'conversation:close', { conversationId: conversation.id });
      await until(() => receiver.taken.some((d) => d.event === 'conversation.closed'), 10_000, 'the closed event');
      assert.equal(receiver.taken.filter((d) => d.event === 'conversation.unassigned').length, 1);
    });
  });

  it('tells of a closed conversation opened again (conversation.reopened) before the message that reopened it', async () => {
    await withWebhookDesk(async ({ receiver, alice, socket, conversation }) => {
      const conversationId = conversation.id;
      await call(alice.socket, 'conversation:close', { conversationId });
      await until(() => receiver.taken.some((d) => d.event === 'conversation.closed'), 10_000, 'the closed event');
      await call(socket, 'message:send', { conversationId, clientId: 'again', text: 'One more thing' });
      await until(() => receiver.taken.some((d) => d.event === 'conversation.message'), 10_000, 'the message event');
      const events = receiver.taken.map((d) => d.event);
      // Reopened with the agent it had: no other event.
      assert.deepEqual(events, ['conversation.opened', 'conversation.assigned', 'conversation.closed', 'conversation.reopened', 'conversation.message']);
      const reopened = receiver.taken.find((d) => d.event === 'conversation.reopened')!;
      assert.equal(reopened.data.conversation.id, conversationId);
      assert.equal(reopened.data.conversation.state, 'open');
      // Closed again and reopened again: each time told once.
      await call(alice.socket, 'conversation:close', { conversationId });
      await call(socket, 'message:send', { conversationId, clientId: 'and-again', text: 'Sorry, last one' });
      await until(() => receiver.taken.filter((d) => d.event === 'conversation.message').length === 2, 10_000, 'the second message event');
      assert.deepEqual(
        receiver.taken.slice(-3).map((d) => d.event),
        ['conversation.closed', 'conversation.reopened', 'conversation.message'],
      );
      assert.equal(receiver.taken.filter((d) => d.event === 'conversation.reopened').length, 2);
    });
  });
});

describe('closing and rating', () => {
  it('starts a new conversation when the team says so, posts no closeMessage to a website visitor, and lets only the visitor rate (1 to 5)', async () => {
    const t = await startBridge({
      teams: [
        { id: 'support', sites: [SITE], members: ['web:a_alice'], afterClose: 'new', closeMessage: 'This conversation is closed.', greeting: 'Hi there' },
      ],
    });
    try {
      const alice = await connect(t, agentAuth('alice'));
      const { socket } = await connect(t, { siteKey: SITE });
      const first = (await call(socket, 'conversation:open', { team: 'support' })).conversation;
      await call(socket, 'message:send', { conversationId: first.id, clientId: 'a1', text: 'first question' });
      const closed = next(socket, 'conversation', (c) => c.id === first.id && c.state === 'closed');
      await call(alice.socket, 'conversation:close', { conversationId: first.id });
      await closed;
      // The widget shows the close: the team's closeMessage is for customers on their own networks.
      const history = await call(socket, 'history:get', { conversationId: first.id });
      // Opened by the widget before anyone wrote: greeted as it opened.
      assert.deepEqual(
        history.messages.map((m: Message) => m.text),
        ['Hi there', 'first question'],
      );

      const badRating = await call(socket, 'conversation:rate', { conversationId: first.id, rating: 6 });
      assert.equal(badRating.error.code, 'bad_request');
      assert.match(badRating.error.message, /^rating: must be 1 to 5/);
      const byAgent = await call(alice.socket, 'conversation:rate', { conversationId: first.id, rating: 1 });
      assert.equal(byAgent.error.code, 'forbidden');
      const rated = await call(socket, 'conversation:rate', { conversationId: first.id, rating: 4, comment: 'good' });
      assert.equal(rated.conversation.rating, 4);

      const sent = await call(socket, 'message:send', { conversationId: first.id, clientId: 'a2', text: 'another question' });
      assert.notEqual(sent.message.conversationId, first.id, 'a new conversation');
      const again = await call(socket, 'message:send', { conversationId: first.id, clientId: 'a2', text: 'another question' });
      assert.equal(again.message.id, sent.message.id, 'a resend finds the message in the new conversation');
      const list = await call(socket, 'conversation:list', {});
      const byId = new Map(list.conversations.map((c) => [c.id, c]));
      assert.equal(byId.get(first.id)?.state, 'closed');
      assert.equal(byId.get(sent.message.conversationId)?.state, 'open');
      assert.equal(byId.get(sent.message.conversationId)?.assignee, 'web:a_alice');
      // Opened by the visitor's message: the greeting answers it, after it.
      const fresh = await call(socket, 'history:get', { conversationId: sent.message.conversationId });
      assert.deepEqual(
        fresh.messages.map((m: Message) => [m.seq, m.text]),
        [
          [1, 'another question'],
          [2, 'Hi there'],
        ],
      );
    } finally {
      await t.stop();
    }
  });
});

describe('desk commands and sites', () => {
  it("keeps a web agent's commands to its own site, and transfers only to agents of teams serving the conversation's site", async () => {
    const t = await startBridge({
      teams: [
        { id: 'support', sites: [SITE], members: ['web:a_alice', 'web:a_bob'] },
        { id: 'elsewhere', sites: [OTHER_SITE], members: ['web:a_alice', 'web:a_zed'] },
      ],
    });
    try {
      const alice = await connect(t, agentAuth('alice'));
      const { socket } = await connect(t, { siteKey: SITE });
      const opened = await call(socket, 'conversation:open', { team: 'support' });
      const ref = opened.conversation.id.slice(-5).toLowerCase();
      // The same address signed in for the other site sees nothing of this one.
      const other = await connect(t, agentAuth('alice', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' });
      const elsewhere = await call(other.socket, 'agent:command', { text: `/whois ${ref}` });
      assert.match(elsewhere.answer, /No conversation of your teams has the ref/);
      const refused = await call(alice.socket, 'agent:command', { text: `/transfer ${ref} zed` });
      assert.match(refused.answer, /No agent or team "zed"/, 'zed serves another site only');
      const ok = await call(alice.socket, 'agent:command', { text: `/transfer ${ref} bob` });
      // An agent configured by its address alone is named by it once.
      assert.match(ok.answer, /is now with web:a_bob[.,]/);
      const visitorTries = await call(socket, 'agent:command', { text: '/list' });
      assert.equal(visitorTries.error.code, 'forbidden');
    } finally {
      await t.stop();
    }
  });
});
