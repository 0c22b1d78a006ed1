import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type ClientEvents, FileUnreadableError, type SwitchboardClient, SwitchboardError, createClient, memoryStorage } from '@switchboard/sdk';
import { API_KEY, type TestBridge, SITE, agentAuth, call, startBridge, until, userAuth } from '../../../bridge-server/test/helpers.js';
import { freePort } from '../../../bridge-server/test/servers/ports.js';

type PayloadEvent = 'message' | 'message:status' | 'typing' | 'presence' | 'team:availability' | 'conversation';

/** Collects every payload of a client event. */
function events<E extends PayloadEvent>(client: SwitchboardClient, event: E): Parameters<ClientEvents[E]>[0][] {
  const seen: Parameters<ClientEvents[E]>[0][] = [];
  const listener = (payload: Parameters<ClientEvents[E]>[0]) => void seen.push(payload);
  client.on(event, listener);
  return seen;
}

describe('SDK against a real bridge (Node)', () => {
  let t: TestBridge;
  const clients: SwitchboardClient[] = [];
  const make = (options: Parameters<typeof createClient>[0]) => {
    const client = createClient({ ackTimeoutMs: 5000, ...options });
    clients.push(client);
    return client;
  };
  const visitor = (storage = memoryStorage()) => make({ url: t.url, siteKey: SITE, storage });
  const agent = (name = 'alice') => make({ url: t.url, siteKey: SITE, identity: agentAuth(name).identity, storage: memoryStorage() });
  /** Alice and a visitor, both connected. */
  const aliceAndVisitor = async () => {
    const alice = agent();
    const v = visitor();
    await Promise.all([alice.ready(), v.ready()]);
    return { alice, v };
  };

  before(async () => {
    t = await startBridge();
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await t.stop();
  });

  it('connects, opens a conversation, sends with an ack, and receives a reply sent while away through sync, once', async () => {
    const storage = memoryStorage();
    const alice = agent();
    await alice.ready();
    const v = visitor(storage);
    const session = await v.ready();
    assert.equal(session.role, 'visitor');
    const conversation = await v.openConversation({ team: 'support' });
    assert.equal(conversation.assignee, 'web:a_alice');
    const sent = await v.send(conversation.id, 'Where is my parcel?');
    assert.equal(sent.seq, 1);
    assert.equal(sent.text, 'Where is my parcel?');
    v.disconnect();
    assert.equal(v.state, 'offline');

    const reply = await alice.send(conversation.id, 'It ships today.');
    assert.equal(reply.seq, 2);

    // A "reload": a new client on the same storage resumes the same visitor with its token.
    const again = visitor(storage);
    const seen = events(again, 'message');
    const resumed = await again.ready();
    assert.equal(resumed.self, session.self);
    await until(() => seen.some((m) => m.id === reply.id), 5000, 'the reply');
    await again.listConversations();
    // Nothing shown twice: the reply once; the visitor's own message (already seen) not replayed.
    assert.deepEqual(
      seen.map((m) => m.seq),
      [2],
    );
    assert.deepEqual(
      again.messages(conversation.id).map((m) => m.seq),
      [2],
    );
  });

  it('keeps sends made while offline in the outbox and sends them in order on reconnect', async () => {
    const alice = agent();
    await alice.ready();
    const atAgent = events(alice, 'message');
    const v = visitor();
    await v.ready();
    const conversation = await v.openConversation({ team: 'support' });
    v.disconnect();
    const outboxEvents: number[] = [];
    v.on('outbox', (entries) => outboxEvents.push(entries.length));
    const promises = ['one', 'two', 'three'].map((text) => v.send(conversation.id, text));
    assert.deepEqual(
      v.pending(conversation.id).map((e) => [e.text, e.state]),
      [
        ['one', 'pending'],
        ['two', 'pending'],
        ['three', 'pending'],
      ],
    );
    v.connect();
    const acks = await Promise.all(promises);
    assert.deepEqual(
      acks.map((m) => m.seq),
      [1, 2, 3],
    );
    assert.equal(v.pending().length, 0);
    await until(() => atAgent.filter((m) => m.conversationId === conversation.id).length === 3, 5000, 'three at the agent');
    assert.deepEqual(
      atAgent.filter((m) => m.conversationId === conversation.id).map((m) => m.text),
      ['one', 'two', 'three'],
    );
    assert.equal(outboxEvents.at(-1), 0);
  });

  it('resends an outbox kept across a reload, and never stores a message twice', async () => {
    const storage = memoryStorage();
    const alice = agent();
    await alice.ready();
    const atAgent = events(alice, 'message');
    const first = visitor(storage);
    await first.ready();
    const conversation = await first.openConversation({ team: 'support' });
    first.disconnect();
    void first.send(conversation.id, 'queued before reload').catch(() => undefined);
    // Simulate an ack lost in flight: the bridge already stored the entry under its clientId.
    const [entry] = first.pending();
    const raw = await import('../../../bridge-server/test/helpers.js').then((h) => h.connect(t, { siteKey: SITE, token: first.session!.token }));
    await call(raw.socket, 'message:send', { conversationId: conversation.id, clientId: entry!.clientId, text: entry!.text });
    raw.socket.disconnect();

    const reloaded = visitor(storage);
    assert.equal(reloaded.pending().length, 1);
    await until(() => reloaded.pending().length === 0, 5000, 'the outbox to drain');
    const history = await reloaded.history(conversation.id);
    assert.deepEqual(
      history.messages.map((m) => m.text),
      ['queued before reload'],
    );
    await until(() => atAgent.some((m) => m.conversationId === conversation.id), 5000, 'the message at the agent');
    assert.equal(atAgent.filter((m) => m.conversationId === conversation.id).length, 1);
  });

  it("rejects a refused send with the bridge's error, keeps it as failed, and can discard it", async () => {
    const v = visitor();
    await v.ready();
    const conversation = await v.openConversation({ team: 'support' });
    await assert.rejects(v.send(conversation.id, 'x'.repeat(10_001)), (error: unknown) => error instanceof SwitchboardError && error.code === 'too_large');
    const [failed] = v.pending(conversation.id);
    assert.equal(failed!.state, 'failed');
    assert.equal(failed!.error!.code, 'too_large');
    v.discard(failed!.clientId);
    assert.equal(v.pending().length, 0);
    // A failed send does not block the ones after it.
    assert.equal((await v.send(conversation.id, 'short')).seq, 1);
  });

  it('catches up on a conversation assigned later (fills from the start)', async () => {
    const lonely = await startBridge();
    try {
      const v = make({ url: lonely.url, siteKey: SITE, storage: memoryStorage() });
      const conversation = await v.openConversation({ team: 'support' });
      await v.send(conversation.id, 'first');
      await v.send(conversation.id, 'second');
      const bob = make({ url: lonely.url, siteKey: SITE, identity: agentAuth('bob').identity, storage: memoryStorage() });
      const seen = events(bob, 'message');
      await until(() => seen.length === 2, 5000, 'the earlier messages at the agent');
      assert.deepEqual(
        seen.map((m) => m.text),
        ['first', 'second'],
      );
      assert.equal(bob.conversations.find((c) => c.id === conversation.id)?.assignee, 'web:a_bob');
      v.disconnect();
      bob.disconnect();
    } finally {
      await lonely.stop();
    }
  });

  it('catches up on a queued conversation it claims: what was written before the claim is there, once', async () => {
    const lonely = await startBridge();
    try {
      const bob = make({ url: lonely.url, siteKey: SITE, identity: agentAuth('bob').identity, storage: memoryStorage() });
      await bob.ready();
      await bob.setPresence('away');
      const v = make({ url: lonely.url, siteKey: SITE, storage: memoryStorage() });
      const conversation = await v.openConversation({ team: 'support' });
      await v.send(conversation.id, 'first');
      await v.send(conversation.id, 'second');
      await until(() => bob.conversations.some((c) => c.id === conversation.id), 5000, 'the queued conversation known to the agent');
      const seen = events(bob, 'message');
      await bob.claim(conversation.id);
      await until(() => seen.length === 2, 5000, 'the earlier messages after the claim');
      assert.deepEqual(
        bob.messages(conversation.id).map((m) => m.text),
        ['first', 'second'],
      );
    } finally {
      await lonely.stop();
    }
  });

  it('links what a visitor wrote anonymously on this device into the contact it signs in as', async () => {
    const storage = memoryStorage();
    const anonymous = visitor(storage);
    const before = await anonymous.ready();
    const conversation = await anonymous.openConversation({ team: 'support' });
    await anonymous.send(conversation.id, 'before signing in');
    anonymous.disconnect();
    // The site's page signs the visitor in: a client with its identity, on the same storage.
    const signedIn = make({ url: t.url, siteKey: SITE, identity: userAuth('dora').identity, storage });
    assert.equal((await signedIn.ready()).self, 'web:u_dora');
    const contact = await agent().getContact({ address: 'web:u_dora' });
    assert.ok(
      contact.addresses.some((entry) => entry.address === before.self),
      `the anonymous ${before.self} in the contact: ${JSON.stringify(contact.addresses)}`,
    );
    // Signed out, the device starts a new anonymous visitor: the one it was is the user's now.
    signedIn.disconnect();
    assert.notEqual((await visitor(storage).ready()).self, before.self);
  });

  it('sends as the user what the visitor wrote before signing in and the bridge never acknowledged, none of it twice', async () => {
    const storage = memoryStorage();
    const alice = agent();
    await alice.ready();
    const atAgent = events(alice, 'message');
    const anonymous = visitor(storage);
    const before = await anonymous.ready();
    const conversation = await anonymous.openConversation({ team: 'support' });
    await anonymous.send(conversation.id, 'before signing in');
    anonymous.disconnect();
    // Written offline: one the bridge stored while its ack was lost (sent here on a socket of the
    // visitor's own), one it never had.
    void anonymous.send(conversation.id, 'ack lost').catch(() => undefined);
    void anonymous.send(conversation.id, 'never sent').catch(() => undefined);
    const [lost] = anonymous.pending();
    const raw = await import('../../../bridge-server/test/helpers.js').then((h) => h.connect(t, { siteKey: SITE, token: anonymous.session!.token }));
    await call(raw.socket, 'message:send', { conversationId: conversation.id, clientId: lost!.clientId, text: lost!.text });
    raw.socket.disconnect();

    const signedIn = make({ url: t.url, siteKey: SITE, identity: userAuth('erin').identity, storage });
    assert.equal((await signedIn.ready()).self, 'web:u_erin');
    await until(() => signedIn.pending().length === 0, 5000, 'the adopted outbox to drain');
    const { messages } = await signedIn.history(conversation.id);
    assert.deepEqual(
      messages.map((m) => [m.text, m.from]),
      [
        ['before signing in', before.self],
        ['ack lost', before.self],
        ['never sent', 'web:u_erin'],
      ],
    );
    await until(() => atAgent.filter((m) => m.conversationId === conversation.id).length === 3, 5000, 'three at the agent');
    assert.deepEqual(
      atAgent.filter((m) => m.conversationId === conversation.id).map((m) => m.text),
      ['before signing in', 'ack lost', 'never sent'],
    );
    // Nothing of it is left for a visitor this device may be later.
    signedIn.disconnect();
    assert.deepEqual(visitor(storage).pending(), []);
  });

  it('drops what the visitor wrote before signing in when the bridge does not take it as the user', async () => {
    const storage = memoryStorage();
    const anonymous = visitor(storage);
    await anonymous.ready();
    const conversation = await anonymous.openConversation({ team: 'support' });
    anonymous.disconnect();
    void anonymous.send(conversation.id, 'written offline').catch(() => undefined);
    // The device's anonymous token is another visitor's by the time the user signs in (storage
    // shared with another page, say): that visitor is linked, the conversation above is not the user's.
    const other = visitor();
    await other.ready();
    const key = `switchboard:${SITE}:visitor:anon:token`;
    assert.ok(storage.getItem(key), 'the anonymous token is kept under its key');
    storage.setItem(key, JSON.stringify(other.session!.token));
    other.disconnect();

    const signedIn = make({ url: t.url, siteKey: SITE, identity: userAuth('fay').identity, storage });
    const listed: string[][] = [];
    signedIn.on('outbox', (entries) => listed.push(entries.map((entry) => entry.text)));
    assert.equal((await signedIn.ready()).self, 'web:u_fay');
    await until(() => listed.some((texts) => texts.includes('written offline')), 5000, 'the send adopted');
    await until(() => listed.at(-1)?.length === 0, 5000, 'the refused adopted send dropped');
    assert.deepEqual(signedIn.pending(), [], 'not kept as failed: no retry could send it');
    await assert.rejects(signedIn.history(conversation.id), (error: SwitchboardError) => ['forbidden', 'not_found'].includes(error.code));
  });

  it('tells one state change for one disconnect()', async () => {
    const v = visitor();
    await v.ready();
    const states: string[] = [];
    v.on('state', (state) => states.push(state));
    v.disconnect();
    assert.deepEqual(states, ['offline']);
  });

  it('exposes typing, presence, availability, delivered and read', async () => {
    const alice = agent();
    await alice.ready();
    const v = visitor();
    await v.ready();
    const availability = await v.subscribePresence({ team: 'support' });
    assert.equal(availability.available, true);
    const conversation = await v.openConversation({ team: 'support' });
    const typing = events(alice, 'typing');
    v.typing(conversation.id, 'composing');
    await until(() => typing.some((e) => e.from === v.session!.self && e.state === 'composing'), 5000, 'typing at the agent');
    const statuses = events(v, 'message:status');
    const sent = await v.send(conversation.id, 'read me');
    await until(() => statuses.some((s) => s.id === sent.id && s.status === 'delivered'), 5000, 'delivered');
    await alice.markRead(conversation.id, sent.seq);
    await until(() => statuses.some((s) => s.id === sent.id && s.status === 'read'), 5000, 'read');
    assert.equal(v.messages(conversation.id).find((m) => m.id === sent.id)?.status, 'read');
    const watch = await alice.subscribePresence({ addresses: [v.session!.self] });
    assert.deepEqual(
      watch.presences.map((p) => p.status),
      ['available'],
    );
    const presence = events(alice, 'presence');
    await v.setPresence('away');
    await until(() => presence.some((p) => p.address === v.session!.self && p.status === 'away'), 5000, 'away');
  });

  it('catches up on the statuses its own messages reached while it was away', async () => {
    const { alice, v } = await aliceAndVisitor();
    const conversation = await v.openConversation({ team: 'support' });
    const statuses = events(v, 'message:status');
    const first = await v.send(conversation.id, 'one');
    const second = await v.send(conversation.id, 'two');
    await until(() => statuses.filter((s) => s.status === 'delivered').length === 2, 5000, 'both delivered');
    v.disconnect();
    // Read while the visitor is away: the change reaches no connection of theirs.
    await alice.markRead(conversation.id, first.seq);
    v.connect();
    await until(() => statuses.some((s) => s.id === first.id && s.status === 'read'), 5000, 'read, told after the reconnect');
    const shown = (id: string) => v.messages(conversation.id).find((m) => m.id === id)?.status;
    assert.equal(shown(first.id), 'read');
    // Only what moved is told.
    assert.equal(shown(second.id), 'delivered');
    assert.equal(statuses.filter((s) => s.id === second.id && s.status !== 'delivered').length, 0);
  });

  it('reports a refused connection: ready() rejects, state is offline with the reason', async () => {
    const bad = make({ url: t.url, siteKey: 'unknown-site', storage: memoryStorage() });
    const errors: SwitchboardError[] = [];
    bad.on('error', (error) => errors.push(error));
    await assert.rejects(bad.ready(), (error: unknown) => error instanceof SwitchboardError && error.code === 'unauthorized');
    assert.equal(bad.state, 'offline');
    assert.match(bad.stateReason ?? '', /site key/);
    assert.equal(errors[0]?.code, 'unauthorized');
    await assert.rejects(bad.listConversations(), (error: unknown) => error instanceof SwitchboardError);
  });

  it('starts as a new visitor when its stored token is no longer accepted', async () => {
    const storage = memoryStorage();
    storage.setItem(`switchboard:${SITE}:visitor:anon:token`, JSON.stringify('forged.token'));
    const v = visitor(storage);
    const session = await v.ready();
    assert.match(session.self, /^web:v_/);
    assert.notEqual(JSON.parse(storage.getItem(`switchboard:${SITE}:visitor:anon:token`)!), 'forged.token');
  });

  it('lists, pages and closes conversations', async () => {
    const alice = agent();
    await alice.ready();
    const v = visitor();
    await v.ready();
    const conversation = await v.openConversation({ team: 'support' });
    for (let i = 1; i <= 5; i++) await v.send(conversation.id, `m${i}`);
    const page = await v.history(conversation.id, { beforeSeq: 4, limit: 2 });
    assert.deepEqual(
      page.messages.map((m) => m.seq),
      [2, 3],
    );
    assert.equal(page.hasMore, true);
    const listed = await alice.listConversations({ state: 'open' });
    assert.ok(listed.some((c) => c.id === conversation.id));
    const closed = await alice.closeConversation(conversation.id);
    assert.equal(closed.state, 'closed');
    await until(() => v.conversations.find((c) => c.id === conversation.id)?.state === 'closed', 5000, 'closed at the visitor');
  });

  it('emits messages in seq order even when it joins mid-conversation (fills the gap first)', async () => {
    const quiet = await startBridge({ teams: [{ id: 'support', members: [], sites: [SITE] }] });
    try {
      const v = make({ url: quiet.url, siteKey: SITE, storage: memoryStorage() });
      const conversation = await v.openConversation({ team: 'support' });
      await v.send(conversation.id, 'one');
      await v.send(conversation.id, 'two');
      // An agent outside the team answers the queued conversation: its own message is seq 3.
      const carol = make({ url: quiet.url, siteKey: SITE, identity: agentAuth('carol').identity, storage: memoryStorage() });
      await carol.ready();
      const seen = events(carol, 'message');
      const reply = await carol.send(conversation.id, 'three');
      assert.equal(reply.seq, 3);
      await until(() => seen.length === 3, 5000, 'three messages at the agent');
      assert.deepEqual(
        seen.map((m) => m.seq),
        [1, 2, 3],
      );
      assert.equal(carol.conversations.find((c) => c.id === conversation.id)?.assignee, 'web:a_carol');
    } finally {
      await quiet.stop();
    }
  });

  it("uploads files from Node (a visitor's session, an integration's key), sends them, reads them by link, and maps refusals", async () => {
    const v = visitor();
    await v.ready();
    const conversation = await v.openConversation({ team: 'support' });
    const notes = await v.uploadFile(conversation.id, new Blob(['Order 7: two mugs.\n']), { name: '../notes.txt' });
    assert.deepEqual([notes.name, notes.type, notes.size], ['notes.txt', 'text/plain', 19]);
    const crm = make({ url: t.url, apiKey: API_KEY, storage: memoryStorage() });
    await crm.ready();
    const invoice = await crm.uploadFile(conversation.id, new Blob(['Invoice 7\n']), { name: 'invoice.txt' });
    const sent = await v.send(conversation.id, '', { attachments: [notes] });
    assert.deepEqual(sent.attachments, [notes]);
    const answer = await crm.send(conversation.id, 'Your invoice', { attachments: [invoice.id] });
    assert.deepEqual(
      answer.attachments?.map((file) => file.name),
      ['invoice.txt'],
    );
    const { url, expiresAt } = await v.fileLink(invoice.id);
    assert.ok(Date.parse(expiresAt) > Date.now());
    assert.equal(await (await fetch(url)).text(), 'Invoice 7\n');
    await assert.rejects(v.fileLink(invoice.id, 'thumbnail'), (error: SwitchboardError) => error.code === 'not_found');

    // Refusals, with the bridge's code and message: a type the site does not take, a file too large, a file sent twice.
    const refused = (promise: Promise<unknown>, code: string) =>
      assert.rejects(promise, (error: unknown) => error instanceof SwitchboardError && error.code === code && error.message.length > 0);
    await refused(v.uploadFile(conversation.id, new Blob([new Uint8Array([0, 1, 2, 255, 254, 0, 7])]), { name: 'data.bin' }), 'bad_request');
    await refused(v.uploadFile(conversation.id, new Blob([new Uint8Array(10 * 1024 * 1024 + 1).fill(65)]), { name: 'big.txt' }), 'too_large');
    await refused(v.send(conversation.id, 'again', { attachments: [notes] }), 'bad_request');

    // To be sent again, a file is uploaded anew: the same bytes, a file of its own.
    const [copy] = await v.uploadAgain(conversation.id, [notes]);
    assert.deepEqual([copy!.name, copy!.type, copy!.size, copy!.sha256], [notes.name, notes.type, notes.size, notes.sha256]);
    assert.notEqual(copy!.id, notes.id);
    assert.deepEqual((await v.send(conversation.id, 'again', { attachments: [copy!] })).attachments, [copy]);
    await assert.rejects(
      v.uploadAgain(conversation.id, [{ ...notes, id: 'f_gone' }]),
      (error: unknown) => error instanceof FileUnreadableError && error.code === 'not_found' && error.file.id === 'f_gone',
    );
  });

  it('works the agent inbox: views, counts, search, claim and transfer, the directory, canned replies, and notes with their event', async () => {
    const alice = agent('alice');
    const bob = agent('bob');
    const carl = agent('carl');
    await Promise.all([alice.ready(), bob.ready(), carl.ready()]);
    // The team's agents away: the visitor's conversation waits in the queue.
    await Promise.all([alice.setPresence('away'), bob.setPresence('away')]);
    const v = visitor();
    await v.ready();
    const conversation = await v.openConversation({ team: 'support' });
    const pushed = new Promise((resolve) => bob.on('inboxItem', (item) => item.id === conversation.id && item.lastMessage !== undefined && resolve(item)));
    await v.send(conversation.id, 'Where is my inbox parcel?');
    await pushed;
    const queued = await bob.inbox('unassigned');
    assert.ok(queued.some((item) => item.id === conversation.id && item.unread === 1));
    assert.ok((await bob.inboxCounts()).unassigned >= 1);
    assert.deepEqual(
      (await bob.searchInbox('inbox parcel')).map((hit) => [hit.kind, hit.conversationId]),
      [['message', conversation.id]],
    );
    assert.equal((await bob.claim(conversation.id)).assignee, 'web:a_bob');
    const noted = new Promise((resolve) => carl.on('note', (note) => note.conversationId === conversation.id && resolve(note)));
    const note = await bob.addNote(conversation.id, 'a private word', 'note-1');
    assert.deepEqual(await noted, note);
    assert.deepEqual(await carl.notes(conversation.id), [note]);
    assert.equal((await bob.transfer(conversation.id, { team: 'support' })).assignee, undefined);
    assert.deepEqual(
      (await bob.directory()).map((team) => team.id),
      ['support'],
    );
    assert.deepEqual(await bob.cannedReplies(), []);
    await assert.rejects(v.inbox('open'), (error: SwitchboardError) => error.code === 'forbidden');
  });

  it('reconnects by itself after the bridge restarts, and flushes what was written meanwhile', async () => {
    // A port of the harness's (not one the system may hand to another connection while the bridge is down).
    const port = await freePort();
    const own = await startBridge({ server: { host: '127.0.0.1', port, drainSeconds: 2 } });
    const { dir } = own;
    const v = make({ url: own.url, siteKey: SITE, storage: memoryStorage() });
    const conversation = await v.openConversation({ team: 'support' });
    await own.bridge.stop();
    await until(() => v.state === 'connecting', 5000, 'the client to notice');
    const pending = v.send(conversation.id, 'written while the bridge was down');
    const again = await startBridge({ server: { host: '127.0.0.1', port, drainSeconds: 1 } }, { dir });
    try {
      const message = await pending;
      assert.equal(message.seq, 1);
      assert.equal(v.state, 'online');
    } finally {
      v.disconnect();
      await again.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
