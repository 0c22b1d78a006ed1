// The agents' inbox on a real bridge (docs/protocol.md, "Addition: the agent inbox"): views and
// counts computed per agent, pushed items, read cursors of agents who do not take part, claim and
// transfer with the desk commands' rules, the directory, canned replies, notes and search; each
// of the site only (an agent of another site sees none of it), and bad input refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InboxItem } from '@switchboard/protocol';
import {
  API_KEY,
  OTHER_SECRET,
  OTHER_SITE,
  SITE,
  type TestBridge,
  type V1Socket,
  type WebVisitor,
  agentAuth,
  baseConfig,
  call,
  callUnchecked,
  collect,
  connect,
  next,
  openVisitor,
  sendText,
  startBridge,
} from '../helpers.js';

const ADMIN_KEY = 'admin-key-of-the-test-site-0123456789';

describe('agent inbox', () => {
  let t: TestBridge;
  let alice: V1Socket;
  let bob: V1Socket;
  /** An agent of the other site. */
  let oscar: V1Socket;
  let vera: WebVisitor;

  before(async () => {
    const [site, other] = baseConfig('.').sites as Record<string, unknown>[];
    t = await startBridge({
      sites: [{ ...site, adminKeys: [ADMIN_KEY] }, other],
      teams: [
        {
          id: 'support',
          name: 'Support',
          sites: [SITE],
          members: [{ id: 'alice', name: 'Alice', addresses: ['web:a_alice'] }, 'web:a_bob'],
          canned: { hello: 'Hello!' },
          // The desk's own first line in each conversation: no agent's to read (no unread count).
          greeting: 'Hello! How can we help?',
        },
        { id: 'sales', sites: [SITE], members: ['web:a_alice'] },
        { id: 'blogdesk', sites: [OTHER_SITE], members: ['web:a_oscar'], canned: { hi: 'Hi from the blog' } },
      ],
    });
    [alice, bob, oscar] = await Promise.all([
      connect(t, agentAuth('alice')).then(({ socket }) => socket),
      connect(t, agentAuth('bob')).then(({ socket }) => socket),
      connect(t, agentAuth('oscar', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' }).then(({ socket }) => socket),
    ]);
    // Away: nothing is offered to them, so conversations wait in the queue until claimed.
    for (const agent of [alice, bob]) assert.equal((await call(agent, 'presence:set', { status: 'away' })).ok, true);
    vera = await openVisitor(t, { profile: { name: 'Vera' }, assignee: null });
  });
  after(() => t.stop());

  const itemOf = (socket: V1Socket, id: string, predicate: (item: InboxItem) => boolean = () => true) =>
    next(socket, 'inbox:item', (item) => item.id === id && predicate(item));

  it('lists views and counts computed for each agent, and pushes the items as they change', async () => {
    const pushedToAlice = itemOf(alice, vera.conversationId, (item) => item.lastMessage?.text === 'my parcel is late');
    const pushedToBob = itemOf(bob, vera.conversationId, (item) => item.lastMessage?.text === 'my parcel is late');
    const oscarItems = collect(oscar, 'inbox:item');
    const message = await sendText(vera, 'my parcel is late');
    const [pushed] = await Promise.all([pushedToAlice, pushedToBob]);
    assert.equal(pushed.unread, 1);
    assert.deepEqual(pushed.customer, { address: vera.self, name: 'Vera', network: 'web' });

    const listed = await call(alice, 'inbox:list', { view: 'unassigned' });
    assert.ok(listed.ok);
    const item = listed.items.find((each) => each.id === vera.conversationId)!;
    assert.equal(item.team, 'support');
    assert.equal(item.waitingSince, message.sentAt);
    assert.deepEqual(item.lastMessage, { seq: message.seq, from: vera.self, text: 'my parcel is late', sentAt: message.sentAt });
    assert.equal(item.unread, 1);
    assert.equal(typeof item.updatedAt, 'string');
    assert.deepEqual((await call(alice, 'inbox:counts', {})).counts, { mine: 0, unassigned: 1, open: 1, closed: 0 });
    assert.deepEqual((await call(alice, 'inbox:counts', { team: 'sales' })).counts, { mine: 0, unassigned: 0, open: 0, closed: 0 });
    assert.deepEqual((await call(alice, 'inbox:list', { view: 'open', team: 'sales' })).items, []);

    // The other site's agent sees nothing of it, and cannot name this site's teams.
    assert.deepEqual((await call(oscar, 'inbox:list', { view: 'open' })).items, []);
    assert.deepEqual((await call(oscar, 'inbox:counts', {})).counts, { mine: 0, unassigned: 0, open: 0, closed: 0 });
    assert.equal((await call(oscar, 'inbox:list', { view: 'open', team: 'support' })).error.code, 'not_found');
    assert.equal((await call(oscar, 'inbox:counts', { team: 'support' })).error.code, 'not_found');
    assert.deepEqual(oscarItems, []);
    // Visitors have no inbox.
    assert.equal((await call(vera.socket, 'inbox:list', { view: 'open' })).error.code, 'forbidden');
    assert.equal((await call(vera.socket, 'inbox:counts', {})).error.code, 'forbidden');
  });

  it("stores the read cursor of an agent who does not take part, without moving the visitor's statuses", async () => {
    const before = (await call(alice, 'inbox:list', { view: 'unassigned' })).items.find((each) => each.id === vera.conversationId)!;
    assert.equal((await call(alice, 'read', { conversationId: vera.conversationId, seq: before.lastSeq })).ok, true);
    const forAlice = (await call(alice, 'inbox:list', { view: 'unassigned' })).items.find((each) => each.id === vera.conversationId)!;
    const forBob = (await call(bob, 'inbox:list', { view: 'unassigned' })).items.find((each) => each.id === vera.conversationId)!;
    assert.equal(forAlice.unread, 0);
    assert.equal(forBob.unread, 1, "bob's count is his");
    const history = await call(vera.socket, 'history:get', { conversationId: vera.conversationId });
    assert.ok(
      history.messages.every((m) => m.status !== 'read'),
      'statuses move only for participants',
    );
    assert.equal((await call(oscar, 'read', { conversationId: vera.conversationId, seq: 1 })).error.code, 'not_found');
  });

  it('claims and transfers as the desk commands do, with their errors as { code, message }', async () => {
    const id = vera.conversationId;
    assert.equal((await call(vera.socket, 'conversation:claim', { conversationId: id })).error.code, 'forbidden');
    assert.equal((await call(oscar, 'conversation:claim', { conversationId: id })).error.code, 'not_found');
    assert.equal((await call(alice, 'conversation:claim', { conversationId: 'c_nothing' })).error.code, 'not_found');

    const pushedToBob = itemOf(bob, id, (item) => item.assignee === 'web:a_alice');
    const claimed = await call(alice, 'conversation:claim', { conversationId: id });
    assert.ok(claimed.ok, JSON.stringify(claimed));
    assert.equal(claimed.conversation.assignee, 'web:a_alice');
    await pushedToBob;
    const taken = await call(bob, 'conversation:claim', { conversationId: id });
    assert.equal(taken.error.code, 'forbidden');
    assert.equal(taken.error.message, 'This conversation is already with Alice (web:a_alice).');
    assert.deepEqual(
      (await call(alice, 'inbox:list', { view: 'mine' })).items.map((each) => each.id),
      [id],
    );
    assert.equal((await call(alice, 'inbox:counts', {})).counts.mine, 1);

    assert.equal((await call(alice, 'conversation:transfer', { conversationId: id, to: { agent: 'nobody' } })).error.code, 'not_found');
    assert.equal((await call(alice, 'conversation:transfer', { conversationId: id, to: { team: 'blogdesk' } })).error.code, 'not_found');
    assert.equal((await call(alice, 'conversation:transfer', { conversationId: id, to: { agent: 'web:a_alice' } })).error.code, 'bad_request');
    assert.equal((await call(oscar, 'conversation:transfer', { conversationId: id, to: { team: 'support' } })).error.code, 'not_found');
    const toBob = await call(alice, 'conversation:transfer', { conversationId: id, to: { agent: 'bob' } });
    assert.ok(toBob.ok, JSON.stringify(toBob));
    assert.equal(toBob.conversation.assignee, 'web:a_bob');
    const queued = await call(bob, 'conversation:transfer', { conversationId: id, to: { team: 'support' } });
    assert.ok(queued.ok, JSON.stringify(queued));
    assert.equal(queued.conversation.assignee, undefined);
  });

  it("refuses a transfer to a team's queue that would hand the conversation straight back to the agent moving it", async () => {
    assert.equal((await call(alice, 'presence:set', { status: 'available' })).ok, true);
    try {
      // Alice is the only member of sales: routed to her, moved to its queue it would be hers again at once.
      const customer = await openVisitor(t, { team: 'sales', assignee: 'web:a_alice' });
      const id = customer.conversationId;
      const refused = await call(alice, 'conversation:transfer', { conversationId: id, to: { team: 'sales' } });
      assert.equal(refused.ok, false);
      assert.equal(refused.error.code, 'bad_request');
      assert.match(refused.error.message, /^#\w+ would come straight back to you: nobody else in team sales can take it now\./);
      const ref = id.slice(-5);
      const command = await call(alice, 'agent:command', { text: `/transfer ${ref} sales` });
      assert.match(command.answer, /would come straight back to you: nobody else in team sales/);
      assert.equal((await call(alice, 'inbox:list', { view: 'mine' })).items.find((item) => item.id === id)?.assignee, 'web:a_alice');
      // Away, she is offered nothing: the conversation waits in the queue for a teammate.
      assert.equal((await call(alice, 'presence:set', { status: 'away' })).ok, true);
      const queued = await call(alice, 'conversation:transfer', { conversationId: id, to: { team: 'sales' } });
      assert.ok(queued.ok, JSON.stringify(queued));
      assert.equal(queued.conversation.assignee, undefined);
      // Gone, so the views the other tests count are as they were.
      const erased = await fetch(`${t.url}/v1/parties/${encodeURIComponent(customer.self)}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(erased.status, 200);
    } finally {
      await call(alice, 'presence:set', { status: 'away' });
    }
  });

  it("lists the site's teams with their members' presence, and canned replies", async () => {
    const directory = await call(alice, 'desk:directory', {});
    assert.ok(directory.ok);
    assert.deepEqual(
      directory.teams.map((team) => team.id),
      ['support', 'sales'],
    );
    const support = directory.teams[0]!;
    assert.equal(support.name, 'Support');
    assert.equal(support.available, false, 'every member is away');
    assert.deepEqual(support.members, [
      { id: 'alice', name: 'Alice', addresses: ['web:a_alice'], status: 'away' },
      { id: 'web:a_bob', addresses: ['web:a_bob'], status: 'away' },
    ]);
    assert.deepEqual(
      (await call(oscar, 'desk:directory', {})).teams.map((team) => [team.id, team.members.map((m) => m.status)]),
      [['blogdesk', ['available']]],
    );
    assert.deepEqual((await call(alice, 'canned:list', {})).canned, [{ team: 'support', name: 'hello', text: 'Hello!' }]);
    assert.deepEqual((await call(alice, 'canned:list', { team: 'sales' })).canned, []);
    assert.equal((await call(alice, 'canned:list', { team: 'blogdesk' })).error.code, 'not_found');
    assert.deepEqual((await call(oscar, 'canned:list', {})).canned, [{ team: 'blogdesk', name: 'hi', text: 'Hi from the blog' }]);
    assert.equal((await call(vera.socket, 'desk:directory', {})).error.code, 'forbidden');
    assert.equal((await call(vera.socket, 'canned:list', {})).error.code, 'forbidden');
    // No payload at all is the same as {}.
    assert.equal((await callUnchecked(alice, 'desk:directory')).ok, true);
  });

  it("keeps notes for the site's agents only, idempotent by clientId, and finds them with messages and customers", async () => {
    const id = vera.conversationId;
    const visitorNotes = collect(vera.socket, 'note');
    const oscarNotes = collect(oscar, 'note');
    const toBob = next(bob, 'note', (note) => note.conversationId === id);
    const added = await call(alice, 'note:add', { conversationId: id, text: 'parcel lost by the carrier, refund', clientId: 'n-1' });
    assert.ok(added.ok, JSON.stringify(added));
    const { note } = added;
    assert.equal(note.from, 'web:a_alice');
    assert.equal(note.afterSeq, 2, 'after the greeting and the message');
    assert.deepEqual(await toBob, note);
    assert.deepEqual((await call(alice, 'note:add', { conversationId: id, text: 'parcel lost by the carrier, refund', clientId: 'n-1' })).note, note);
    assert.deepEqual((await call(bob, 'note:list', { conversationId: id })).notes, [note]);
    assert.equal((await call(bob, 'history:get', { conversationId: id })).messages.length, 2, 'a note is no message');

    assert.equal((await call(vera.socket, 'note:add', { conversationId: id, text: 'me too' })).error.code, 'forbidden');
    assert.equal((await call(vera.socket, 'note:list', { conversationId: id })).error.code, 'forbidden');
    assert.equal((await call(oscar, 'note:add', { conversationId: id, text: 'x' })).error.code, 'not_found');
    assert.equal((await call(oscar, 'note:list', { conversationId: id })).error.code, 'not_found');
    assert.equal((await call(alice, 'note:add', { conversationId: id, text: 'x'.repeat(10_001) })).error.code, 'too_large');
    assert.equal((await call(alice, 'note:add', { conversationId: id, text: '   ' })).error.code, 'bad_request');

    const hits = await call(bob, 'inbox:search', { query: 'parcel' });
    assert.ok(hits.ok);
    assert.deepEqual(hits.results.map((hit) => hit.kind).sort(), ['message', 'note']);
    assert.ok(hits.results.every((hit) => hit.conversationId === id));
    // Each hit names its conversation's customer, as the inbox lists them (the site's own form).
    assert.deepEqual(
      hits.results.map((hit) => hit.customer),
      hits.results.map(() => ({ address: vera.self, network: 'web', name: 'Vera' })),
    );
    assert.deepEqual(
      (await call(bob, 'inbox:search', { query: 'vera' })).results.map((hit) => [hit.kind, hit.conversationId]),
      [['customer', id]],
    );
    assert.deepEqual((await call(oscar, 'inbox:search', { query: 'parcel' })).results, [], 'of the caller site only');
    assert.equal((await call(vera.socket, 'inbox:search', { query: 'parcel' })).error.code, 'forbidden');
    assert.equal((await call(bob, 'inbox:search', { query: ' ' })).error.code, 'bad_request');
    assert.equal((await call(bob, 'inbox:search', { query: 'x'.repeat(201) })).error.code, 'bad_request');
    assert.equal((await call(bob, 'inbox:search', { query: 'parcel', limit: 51 })).error.code, 'bad_request');

    // A message after the note, as a barrier: once the visitor has it, an earlier note would have come first.
    const claimed = await call(alice, 'conversation:claim', { conversationId: id });
    assert.ok(claimed.ok, JSON.stringify(claimed));
    const barrier = next(vera.socket, 'message', (m) => m.text === 'we are on it');
    await call(alice, 'message:send', { conversationId: id, clientId: 'barrier-1', text: 'we are on it' });
    await barrier;
    assert.deepEqual(visitorNotes, []);
    assert.deepEqual(oscarNotes, []);
    const seen = await call(vera.socket, 'history:get', { conversationId: id });
    assert.ok(!seen.messages.some((m) => m.text.includes('refund')), 'the visitor never reads a note');
  });

  it("lets an integration read the site's notes and hear new ones, never write one", async () => {
    const id = vera.conversationId;
    const crm = (await connect(t, { apiKey: API_KEY }, { origin: null })).socket;
    const heard = next(crm, 'note', (note) => note.text === 'for the CRM too');
    const added = await call(bob, 'note:add', { conversationId: id, text: 'for the CRM too' });
    assert.ok(added.ok, JSON.stringify(added));
    assert.deepEqual(await heard, added.note);
    const listed = await call(crm, 'note:list', { conversationId: id });
    assert.ok(listed.ok, JSON.stringify(listed));
    assert.deepEqual(
      listed.notes.map((note) => [note.from, note.text]),
      [
        ['web:a_alice', 'parcel lost by the carrier, refund'],
        ['web:a_bob', 'for the CRM too'],
      ],
    );
    const refused = await call(crm, 'note:add', { conversationId: id, text: 'written by the CRM' });
    assert.equal(refused.error.code, 'forbidden');
    assert.deepEqual((await call(crm, 'note:list', { conversationId: id })).notes.length, 2, 'nothing stored');
    crm.disconnect();
  });

  it("refuses a note's clientId its author already used on another conversation", async () => {
    const other = await openVisitor(t, { assignee: null });
    const reused = await call(alice, 'note:add', { conversationId: other.conversationId, text: 'another note', clientId: 'n-1' });
    assert.deepEqual(reused.error, { code: 'bad_request', message: 'clientId: already used for a note in another conversation' });
    assert.deepEqual((await call(alice, 'note:list', { conversationId: other.conversationId })).notes, []);
    // Another author's clientId is its own.
    assert.equal((await call(bob, 'note:add', { conversationId: other.conversationId, text: 'by bob', clientId: 'n-1' })).ok, true);
  });

  it("exports a customer's notes with their conversations, and erases them from the store and the search", async () => {
    const exported = await fetch(`${t.url}/v1/parties/${encodeURIComponent(vera.self)}/export`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(exported.status, 200);
    const body = (await exported.json()) as { conversations: { id: string; notes: { text: string }[] }[] };
    assert.deepEqual(
      body.conversations.find((c) => c.id === vera.conversationId)?.notes.map((n) => n.text),
      ['parcel lost by the carrier, refund', 'for the CRM too'],
    );
    const erased = await fetch(`${t.url}/v1/parties/${encodeURIComponent(vera.self)}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(erased.status, 200);
    assert.deepEqual((await call(bob, 'inbox:search', { query: 'parcel' })).results, []);
    assert.deepEqual((await call(bob, 'inbox:search', { query: 'vera' })).results, []);
    assert.equal((await call(bob, 'note:list', { conversationId: vera.conversationId })).error.code, 'not_found');
  });

  it('pushes at most one item per conversation per window, with the state at its end', async () => {
    const visitor = await openVisitor(t, { assignee: null });
    const items = collect(alice, 'inbox:item');
    const last = itemOf(alice, visitor.conversationId, (item) => item.lastMessage?.text === 'three');
    for (const text of ['one', 'two', 'three']) await sendText(visitor, text);
    const item = await last;
    assert.equal(item.unread, 3);
    assert.ok(items.filter((each) => each.id === visitor.conversationId).length < 4, 'coalesced');
    assert.equal((await call(alice, 'inbox:list', { view: 'closed' })).ok, true);
    const closed = itemOf(alice, visitor.conversationId, (each) => each.state === 'closed');
    await call(alice, 'conversation:close', { conversationId: visitor.conversationId });
    assert.equal((await closed).waitingSince, undefined, 'a closed conversation waits for nobody');
    assert.deepEqual(
      (await call(alice, 'inbox:list', { view: 'closed' })).items.map((each) => each.id),
      [visitor.conversationId],
    );
    assert.equal((await call(alice, 'inbox:counts', {})).counts.closed, 1);
  });

  it("tells an agent's other connections of a read, so another tab stops showing it unread, and no one else", async () => {
    const wes = await openVisitor(t, { profile: { name: 'Wes' }, assignee: null });
    const otherTab = (await connect(t, agentAuth('alice'))).socket;
    try {
      const unreadThere = itemOf(otherTab, wes.conversationId, (item) => item.unread > 0);
      const unreadAtBob = itemOf(bob, wes.conversationId, (item) => item.unread > 0);
      const message = await sendText(wes, 'is anyone there?');
      await Promise.all([unreadThere, unreadAtBob]);
      const bobItems = collect(bob, 'inbox:item');
      const readThere = itemOf(otherTab, wes.conversationId, (item) => item.unread === 0);
      assert.equal((await call(alice, 'read', { conversationId: wes.conversationId, seq: message.seq })).ok, true);
      assert.equal((await readThere).lastSeq, message.seq);
      // Bob's count did not change: he is told nothing.
      assert.deepEqual(
        bobItems.filter((item) => item.id === wes.conversationId),
        [],
      );
    } finally {
      otherTab.disconnect();
    }
  });

  it('refuses malformed payloads with bad_request', async () => {
    const cases: [string, unknown][] = [
      ['inbox:list', { view: 'everything' }],
      ['inbox:list', { view: 'open', limit: 0 }],
      ['inbox:list', { view: 'open', limit: 201 }],
      ['inbox:list', { view: 'open', sort: 'oldest' }],
      ['inbox:search', {}],
      ['conversation:transfer', { conversationId: 'c_1', to: { agent: 'bob', team: 'support' } }],
      ['conversation:transfer', { conversationId: 'c_1', to: 'bob' }],
      ['note:add', { conversationId: 'c_1' }],
      ['note:list', {}],
    ];
    for (const [event, payload] of cases) {
      const answer = await callUnchecked(alice, event, payload);
      assert.equal(answer.ok, false, `${event} ${JSON.stringify(payload)}`);
      assert.equal(answer.error.code, 'bad_request', `${event} ${JSON.stringify(payload)}`);
      assert.equal(typeof answer.error.message, 'string');
    }
  });
});
