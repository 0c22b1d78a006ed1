// "Continue on my IM" on XMPP (docs/customers.md), against a real Prosody: a website visitor (the
// SDK-level socket) proves an XMPP address with the code the test's own XMPP client receives from the
// team's JID of the component, then the conversation reaches that client and takes what it writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Continuation, Message } from '@switchboard/protocol';
import {
  SITE,
  type TestBridge,
  type V1Socket,
  type WebVisitor,
  agentAuth,
  call,
  collect,
  connect,
  connectTo,
  next,
  openVisitor,
  rawSocket,
  sendText,
  startBridge,
  until,
} from '../helpers.js';
import { ManualClock } from '../manual-clock.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, chatWithOriginId, connectAgent, isChatFrom, xml, bare } from '../xmpp-agent.js';
import { crash, exited, writeCliConfig } from '../cli-process.js';
import { CONTINUATION_TEAMS, continuationBridge, continuationConfig, quietFor } from '../continuation-desk.js';
import { runXmppCli } from '../xmpp-customer-desk.js';

const CODE_TEXT =
  /^(\d{6}) is your code to continue your chat with Acme Shop here\. If you did not ask for it, ignore this message: without the code, the chat does not come here\.$/;
const REPLY_TEXT =
  'Reply to this message to continue your chat with Acme Shop here. If you did not ask for it, ignore this message: without your reply, the chat does not come here.';
const ACTIVE_TEXT = 'Your chat with Acme Shop continues here: replies come here too. Send /stop to stop.';
const CHAT_STATES = 'http://jabber.org/protocol/chatstates';
const USERS = ['dana', 'eve', 'fay', 'gus', 'hank', 'ivy', 'jo', 'kay', 'lee', 'max', 'ned'];

/** The bodies an XMPP client received from the team's JID, in order. */
const bodiesFrom = (client: Agent, team: string) => client.stanzas.filter(isChatFrom(team)).map((s) => s.getChildText('body'));

/** A code other than `code` (the next one, wrapping). */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('continuing a website conversation on XMPP (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  let team: string;
  const clients: Agent[] = [];
  const xmppUser = async (user: string) => {
    const client = await connectAgent(prosody.c2sPort, user, `${user}pw`);
    clients.push(client);
    return client;
  };
  before(async () => {
    prosody = await startProsody({ users: USERS.map((user): [string, string] => [user, `${user}pw`]) });
    team = `support@${prosody.componentDomain}`;
  });
  after(async () => {
    for (const client of clients) await client.stop();
    await prosody?.destroy();
  });

  /** The visitor asks for a code for `user`; resolves with the ack's continuation and the code the client received. */
  async function askCode(visitor: WebVisitor, client: Agent): Promise<{ continuation: Continuation; code: string }> {
    const before = client.stanzas.filter(isChatFrom(team)).length;
    const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: `xmpp:${client.jid}` });
    assert.ok(started.ok, JSON.stringify(started));
    await until(() => client.stanzas.filter(isChatFrom(team)).length > before, 8000, 'the code at the XMPP client');
    const body = bodiesFrom(client, team).at(-1)!;
    const code = CODE_TEXT.exec(body)?.[1];
    assert.ok(code, `the proof message: ${body}`);
    return { continuation: started.continuation, code };
  }

  /** A visitor of alice's whose conversation continues, proven by code, at `user`'s JID (told so there). */
  async function continuingAt(t: TestBridge, user: string): Promise<{ client: Agent; visitor: WebVisitor }> {
    const client = await xmppUser(user);
    const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
    const { code } = await askCode(visitor, client);
    assert.ok((await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code })).ok);
    await client.next((s) => isChatFrom(team)(s) && s.getChildText('body') === ACTIVE_TEXT);
    return { client, visitor };
  }

  describe('proof by code', () => {
    let t: TestBridge;
    let alice: V1Socket;
    before(async () => {
      t = await continuationBridge({ networks: ['xmpp'], maxAttempts: 3 }, [prosodyNetwork(prosody)]);
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      alice = (await connect(t, agentAuth('alice'))).socket;
    });
    after(() => t?.stop());

    it("names the site's networks in a visitor's session, and in an agent's as those it may invite to", async () => {
      const visitor = await connect(t, { siteKey: SITE });
      assert.deepEqual(visitor.session.continueOn, ['xmpp']);
      const agent = await connect(t, agentAuth('bob'));
      assert.equal(agent.session.continueOn, undefined);
      // The agent is told where it may invite the visitor instead; this site has no outreach.
      assert.deepEqual(agent.session.inviteTo, ['xmpp']);
      assert.equal(agent.session.outreachTo, undefined);
      assert.equal(visitor.session.inviteTo, undefined);
    });

    it("proves the address with the code, then the agent's replies reach both and the IM client's messages are the visitor's, in order", async () => {
      const dana = await xmppUser('dana');
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const atVisitor = collect(visitor.socket, 'message');
      const eventsAtVisitor = collect(visitor.socket, 'continuation');
      const eventsAtAgent = collect(alice, 'continuation');
      await sendText(visitor, 'Where is my parcel?');

      const { continuation, code } = await askCode(visitor, dana);
      assert.equal(continuation.state, 'pending');
      assert.equal(continuation.proof, 'code');
      assert.equal(continuation.address, 'xmpp:dana@localhost');
      assert.equal(continuation.attemptsLeft, 3);
      assert.ok(Date.parse(continuation.expiresAt!) > Date.now() + 500_000, 'ten minutes by default');
      assert.ok(!JSON.stringify(continuation).includes(code), 'the code is never sent back');
      await until(() => eventsAtAgent.some((c) => c.state === 'pending'), 5000, 'the pending continuation at the agent');

      // Pending: the agent's reply stays on the web.
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'a-pending', text: 'While you wait for the code' });
      await until(() => atVisitor.some((m) => m.text === 'While you wait for the code'));

      const verified = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
      assert.ok(verified.ok, JSON.stringify(verified));
      assert.equal(verified.continuation.state, 'active');
      assert.ok(verified.continuation.provenAt);
      assert.equal(verified.continuation.attemptsLeft, undefined);
      await dana.next((s) => isChatFrom(team)(s) && s.getChildText('body') === ACTIVE_TEXT);
      await until(() => eventsAtVisitor.some((c) => c.state === 'active') && eventsAtAgent.some((c) => c.state === 'active'), 5000, 'active at both');
      // The widget reloaded (the same visitor connecting again) is told where the conversation continues.
      const reloaded = rawSocket(t, { siteKey: SITE, token: visitor.session.token });
      const shown = next(reloaded, 'continuation');
      reloaded.connect();
      assert.deepEqual(await shown, verified.continuation);
      reloaded.disconnect();

      // Typing both ways (XEP-0085): the IM client's is the visitor's; the agent's reaches it from the team's JID.
      const typingAtAgent = next(alice, 'typing', (e) => e.from === visitor.self && e.state === 'composing');
      await dana.send(xml('message', { type: 'chat', to: team }, xml('composing', { xmlns: CHAT_STATES })));
      await typingAtAgent;
      const typingAtDana = dana.next(
        (s) => bare(s.attrs.from) === team && s.getChild('composing', CHAT_STATES) !== undefined && s.getChildText('body') === null,
      );
      await call(alice, 'typing', { conversationId: visitor.conversationId, state: 'composing' });
      await typingAtDana;

      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'a-active', text: 'Your parcel left today' });
      await until(() => atVisitor.some((m) => m.text === 'Your parcel left today'), 5000, 'the reply in the widget');
      const reply = await dana.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Your parcel left today');
      assert.equal(reply.getChildText('nick', 'http://jabber.org/protocol/nick'), 'alice');

      // The visitor's own message from the widget is not echoed to their IM client.
      await sendText(visitor, 'Typed in the widget');
      const atWidget = next(visitor.socket, 'message', (m) => m.text === 'Thanks, from my phone');
      const atAgent = next(alice, 'message', (m) => m.text === 'Thanks, from my phone');
      await dana.send(chatWithOriginId(team, 'Thanks, from my phone', 'dana-1'));
      const fromPhone = await atWidget;
      assert.equal(fromPhone.from, visitor.self);
      assert.equal(fromPhone.sentFrom, 'xmpp:dana@localhost');
      await atAgent;

      const { messages } = await call(visitor.socket, 'history:get', { conversationId: visitor.conversationId });
      const mine = messages.map((m: Message) => [m.text, m.sentFrom ?? null]);
      assert.deepEqual(mine.slice(-5), [
        ['Where is my parcel?', null],
        ['While you wait for the code', null],
        ['Your parcel left today', null],
        ['Typed in the widget', null],
        ['Thanks, from my phone', 'xmpp:dana@localhost'],
      ]);
      assert.deepEqual(
        messages.map((m: Message) => m.seq),
        messages.map((_: Message, i: number) => messages[0]!.seq + i),
        'in seq order, no gap',
      );
      await quietFor(300);
      assert.deepEqual(bodiesFrom(dana, team).slice(1), [ACTIVE_TEXT, 'Your parcel left today'], 'nothing else reached the IM client');

      // Stopped from the widget: one last line, then nothing more.
      const stopped = await call(visitor.socket, 'continuation:stop', { conversationId: visitor.conversationId });
      assert.deepEqual([stopped.continuation.state, stopped.continuation.reason], ['stopped', 'visitor']);
      await dana.next((s) => isChatFrom(team)(s) && /^Stopped from the web page/.test(s.getChildText('body') ?? ''));
      await until(() => eventsAtAgent.some((c) => c.state === 'stopped' && c.reason === 'visitor'), 5000, 'the stop at the agent');
      const count = bodiesFrom(dana, team).length;
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'a-after', text: 'After the stop' });
      await until(() => atVisitor.some((m) => m.text === 'After the stop'));
      await quietFor(500);
      assert.equal(bodiesFrom(dana, team).length, count, 'nothing after the stop');
    });

    it('refuses a wrong code with the attempts left, then stops after too many', async () => {
      const eve = await xmppUser('eve');
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const events = collect(visitor.socket, 'continuation');
      const { code } = await askCode(visitor, eve);
      const first = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code: wrong(code) });
      assert.deepEqual(first.error, { code: 'forbidden', message: 'code: wrong code; 2 attempts left' });
      await until(() => events.some((c) => c.attemptsLeft === 2), 5000, 'the attempts left in an event');
      const second = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code: wrong(code) });
      assert.deepEqual(second.error, { code: 'forbidden', message: 'code: wrong code; 1 attempt left' });
      const third = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code: wrong(code) });
      assert.deepEqual(third.error, { code: 'rate_limited', message: 'code: too many wrong codes; ask for a new code' });
      await until(() => events.some((c) => c.state === 'stopped' && c.reason === 'attempts'), 5000, 'stopped for attempts');
      const late = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
      assert.equal(late.error.code, 'not_found', 'the right code is no good once stopped');
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'e-1', text: 'Not for an unproven address' });
      await quietFor(400);
      assert.equal(bodiesFrom(eve, team).length, 1, 'only the code ever reached the address');
    });

    it('takes /stop from the IM client, answers it in one line, and sends nothing more there', async () => {
      const { client: fay, visitor } = await continuingAt(t, 'fay');
      const stopped = next(visitor.socket, 'continuation', (c) => c.state === 'stopped');
      await fay.send(chatWithOriginId(team, '/stop', 'fay-stop'));
      assert.equal((await stopped).reason, 'remote');
      await fay.next((s) => isChatFrom(team)(s) && /^Stopped: your chat with Acme Shop continues on the web page only/.test(s.getChildText('body') ?? ''));
      const count = bodiesFrom(fay, team).length;
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'f-1', text: 'After /stop' });
      await quietFor(500);
      assert.equal(bodiesFrom(fay, team).length, count, 'nothing after /stop');
      const { messages } = await call(visitor.socket, 'history:get', { conversationId: visitor.conversationId });
      assert.ok(!messages.some((m: Message) => m.text === '/stop'), '/stop is not a message of the conversation');
      // Written after the stop: an ordinary customer's conversation of their own, not the visitor's.
      const opened = next(alice, 'conversation', (c) => c.participants.includes('xmpp:fay@localhost'));
      await fay.send(chatWithOriginId(team, 'A question of my own', 'fay-2'));
      assert.notEqual((await opened).id, visitor.conversationId);
    });

    it('refuses what may not start: another network, a web address, an agent, a closed conversation, too many codes', async () => {
      const gus = await xmppUser('gus');
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const start = (address: string, socket = visitor.socket) => call(socket, 'continuation:start', { conversationId: visitor.conversationId, address });
      assert.equal((await start('sip:gus@localhost')).error.code, 'bad_request');
      assert.equal((await start('web:v_someone')).error.code, 'bad_request');
      assert.equal((await start(team)).error.code, 'bad_request', "the team's own JID");
      assert.equal((await start('xmpp:gus@localhost', alice)).error.code, 'forbidden', 'an agent does not start it');
      for (let i = 0; i < 5; i++) assert.ok((await start('xmpp:gus@localhost')).ok);
      const sixth = await start('xmpp:gus@localhost');
      assert.equal(sixth.error.code, 'rate_limited');
      assert.match(sixth.error.message, /at most 5 codes per conversation an hour\); try again in \d+ minutes?$/);
      await until(() => bodiesFrom(gus, team).length === 5, 5000, 'five codes');
      assert.ok(bodiesFrom(gus, team).every((body) => CODE_TEXT.test(body ?? '')));
      await call(visitor.socket, 'conversation:close', { conversationId: visitor.conversationId });
      assert.equal((await start('xmpp:gus@localhost')).error.code, 'forbidden');
    });

    it('stops when the conversation closes, and tells the IM client', async () => {
      const ivy = await xmppUser('ivy');
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const { code } = await askCode(visitor, ivy);
      assert.ok((await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code })).ok);
      const stopped = next(visitor.socket, 'continuation', (c) => c.state === 'stopped');
      await call(alice, 'conversation:close', { conversationId: visitor.conversationId });
      assert.equal((await stopped).reason, 'closed');
      await ivy.next((s) => isChatFrom(team)(s) && /^Your chat with Acme Shop was closed/.test(s.getChildText('body') ?? ''));
    });

    it('stops when an agent blocks the address, and sends nothing more there', async () => {
      const { client: ned, visitor } = await continuingAt(t, 'ned');
      const stopped = next(visitor.socket, 'continuation', (c) => c.state === 'stopped');
      const atAgent = next(alice, 'continuation', (c) => c.conversationId === visitor.conversationId && c.state === 'stopped');
      const count = bodiesFrom(ned, team).length;
      const blocked = await call(alice, 'agent:command', { text: '/block xmpp:ned@localhost' });
      assert.match(blocked.answer, /^Blocked xmpp:ned@localhost on /);
      assert.equal((await stopped).reason, 'blocked');
      assert.equal((await atAgent).reason, 'blocked');
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'n-1', text: 'After the block' });
      await quietFor(500);
      assert.deepEqual(bodiesFrom(ned, team).slice(count), [], 'nothing more to the blocked address, not even a last line');
      // Nor does a chat start there again while the block holds.
      const again = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: 'xmpp:ned@localhost' });
      assert.deepEqual(again.error, { code: 'forbidden', message: 'address: this site does not continue chats at this address' });
      await call(alice, 'agent:command', { text: '/unblock xmpp:ned@localhost' });
      // A block that lands while a code is out (after the start, before the code is typed): the code
      // proves nothing, and the continuation stops.
      const { code } = await askCode(visitor, ned);
      await t.bridge.store.block({ siteKey: SITE, address: 'xmpp:ned@localhost', by: 'web:a_alice' });
      const late = next(visitor.socket, 'continuation', (c) => c.state === 'stopped');
      const verified = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
      assert.deepEqual(verified.error, { code: 'forbidden', message: 'address: this site does not continue chats at this address' });
      assert.equal((await late).reason, 'blocked');
      await call(alice, 'agent:command', { text: '/unblock xmpp:ned@localhost' });
    });

    it('shows the visitor an invitation from an agent (/invite and continuation:invite), for enabled networks only', async () => {
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const ref = visitor.conversationId.slice(-5).toLowerCase();
      const offered = next(visitor.socket, 'continuation:offer');
      const answer = await call(alice, 'agent:command', { text: `/invite ${ref} xmpp` });
      assert.match(answer.answer, /the visitor is offered to continue on xmpp/);
      assert.deepEqual(await offered, { conversationId: visitor.conversationId, network: 'xmpp', from: 'web:a_alice' });
      assert.match((await call(alice, 'agent:command', { text: `/invite ${ref} sip` })).answer, /may not continue on "sip"/);
      const again = next(visitor.socket, 'continuation:offer');
      const invited = await call(alice, 'continuation:invite', { conversationId: visitor.conversationId, network: 'xmpp' });
      assert.deepEqual(invited.offer, await again);
      assert.equal((await call(alice, 'continuation:invite', { conversationId: visitor.conversationId, network: 'sip' })).error.code, 'bad_request');
      assert.equal((await call(visitor.socket, 'continuation:invite', { conversationId: visitor.conversationId, network: 'xmpp' })).error.code, 'forbidden');
    });
  });

  describe('after a transfer to another team', () => {
    let t: TestBridge;
    let alice: V1Socket;
    let carl: V1Socket;
    before(async () => {
      const sales = { id: 'sales', name: 'Sales', members: ['web:a_carl'], sites: [SITE], capacity: 100 };
      t = await startBridge({ ...continuationConfig({ networks: ['xmpp'] }, [prosodyNetwork(prosody)]), teams: [...CONTINUATION_TEAMS, sales] });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      alice = (await connect(t, agentAuth('alice'))).socket;
      carl = (await connect(t, agentAuth('carl'))).socket;
    });
    after(() => t?.stop());

    it("goes on at the team's JID the IM client knows: replies come from it, what the client writes there is the visitor's, /stop there stops", async () => {
      const { client: max, visitor } = await continuingAt(t, 'max');
      const moved = await call(alice, 'conversation:transfer', { conversationId: visitor.conversationId, to: { team: 'sales' } });
      assert.ok(moved.ok, JSON.stringify(moved));
      assert.ok((await call(carl, 'conversation:claim', { conversationId: visitor.conversationId })).ok);
      await call(carl, 'message:send', { conversationId: visitor.conversationId, clientId: 'carl-1', text: 'Carl from sales here' });
      await max.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Carl from sales here');
      const answer = next(visitor.socket, 'message', (m: Message) => m.text === 'Thanks, Carl');
      await max.send(chatWithOriginId(team, 'Thanks, Carl', 'max-1'));
      assert.equal((await answer).conversationId, visitor.conversationId);
      const stopped = next(visitor.socket, 'continuation', (c: Continuation) => c.state === 'stopped');
      await max.send(chatWithOriginId(team, '/stop', 'max-stop'));
      assert.equal((await stopped).reason, 'remote');
      await max.next((s) => isChatFrom(team)(s) && /^Stopped: your chat with Acme Shop continues on the web page only/.test(s.getChildText('body') ?? ''));
    });
  });

  describe('an expired code (a manual clock)', () => {
    let t: TestBridge;
    const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
    before(async () => {
      t = await continuationBridge({ networks: ['xmpp'], codeTtlSeconds: 60 }, [prosodyNetwork(prosody)], clock);
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    });
    after(() => t?.stop());

    it('refuses the right code once its time is up, and stops', async () => {
      const jo = await xmppUser('jo');
      await connect(t, agentAuth('alice'));
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const { continuation, code } = await askCode(visitor, jo);
      assert.equal(continuation.expiresAt, '2026-12-01T10:01:00.000Z');
      clock.set(new Date('2026-12-01T10:01:00Z'));
      const late = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
      assert.deepEqual(late.error, { code: 'forbidden', message: 'code: expired; ask for a new code' });
      const again = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
      assert.equal(again.error.code, 'not_found');
      // A new code works.
      const fresh = await askCode(visitor, jo);
      clock.set(new Date('2026-12-01T10:01:59Z'));
      assert.equal(
        (await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code: fresh.code })).continuation.state,
        'active',
      );
    });
  });

  it('keeps the pending and the active state across kill -9, loses nothing and sends nothing to an unproven address', async (context) => {
    const kay = await xmppUser('kay');
    const config = writeCliConfig(context, continuationConfig({ networks: ['xmpp'] }, [prosodyNetwork(prosody)]));
    const run = async () => {
      const started = await runXmppCli(config);
      context.after(() => started.child.kill('SIGKILL'));
      const alice = (await connectTo(context, started.url, agentAuth('alice'))).socket;
      return { ...started, alice };
    };
    const first = await run();
    const visitor = await connectTo(context, first.url, { siteKey: SITE });
    const { conversation } = await call(visitor.socket, 'conversation:open', { team: 'support' });
    const conversationId = conversation.id;
    assert.ok((await call(visitor.socket, 'continuation:start', { conversationId, address: 'xmpp:kay@localhost' })).ok);
    const code = CODE_TEXT.exec((await kay.next(isChatFrom(team))).getChildText('body') ?? '')?.[1];
    assert.ok(code);
    // Acked to the agent while the address is pending, then the crash.
    await call(first.alice, 'message:send', { conversationId, clientId: 'k-1', text: 'Pending at the first crash' });
    await crash(first.child);

    const second = await run();
    const back = await connectTo(context, second.url, { siteKey: SITE, token: visitor.session.token });
    await call(second.alice, 'message:send', { conversationId, clientId: 'k-2', text: 'Pending after the restart' });
    await quietFor(500);
    assert.deepEqual(bodiesFrom(kay, team), [
      `${code} is your code to continue your chat with Acme Shop here. If you did not ask for it, ignore this message: without the code, the chat does not come here.`,
    ]);
    const verified = await call(back.socket, 'continuation:verify', { conversationId, code: code });
    assert.equal(verified.continuation.state, 'active', 'the pending code survived the crash');
    await kay.next((s) => isChatFrom(team)(s) && s.getChildText('body') === ACTIVE_TEXT);
    // Acked to the agent, then the crash before or while it goes out: the outbox sends it after the restart.
    await call(second.alice, 'message:send', { conversationId, clientId: 'k-3', text: 'Active at the second crash' });
    await crash(second.child);

    const third = await run();
    try {
      await kay.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Active at the second crash', 15_000);
      const again = await connectTo(context, third.url, { siteKey: SITE, token: visitor.session.token });
      const fromPhone = next(again.socket, 'message', (m) => m.text === 'From my phone after the crashes', 10_000);
      await kay.send(chatWithOriginId(team, 'From my phone after the crashes', 'kay-1'));
      assert.equal((await fromPhone).sentFrom, 'xmpp:kay@localhost', 'still active after the restart');
      const { messages } = await call(again.socket, 'history:get', { conversationId });
      assert.deepEqual(
        messages.map((m: Message) => m.text),
        ['Pending at the first crash', 'Pending after the restart', 'Active at the second crash', 'From my phone after the crashes'],
      );
      assert.ok(!bodiesFrom(kay, team).some((body) => body?.startsWith('Pending')), 'nothing sent while the address was unproven');
    } finally {
      third.child.kill('SIGTERM');
      assert.equal(await exited(third.child), 0);
    }
  });

  describe('proof by reply', () => {
    let t: TestBridge;
    before(async () => {
      t = await continuationBridge({ networks: ['xmpp'], proof: 'reply' }, [prosodyNetwork(prosody)]);
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    });
    after(() => t?.stop());

    it("activates on the address's first reply, which is stored as the visitor's", async () => {
      const hank = await xmppUser('hank');
      const alice = (await connect(t, agentAuth('alice'))).socket;
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: 'xmpp:hank@localhost' });
      assert.deepEqual([started.continuation.state, started.continuation.proof, started.continuation.attemptsLeft], ['pending', 'reply', undefined]);
      await hank.next((s) => isChatFrom(team)(s) && s.getChildText('body') === REPLY_TEXT);
      assert.equal((await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code: '123456' })).error.code, 'not_found');
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'h-0', text: 'Not yet for hank' });
      await quietFor(300);
      assert.deepEqual(bodiesFrom(hank, team), [REPLY_TEXT]);

      const active = next(visitor.socket, 'continuation', (c) => c.state === 'active');
      const reply = next(visitor.socket, 'message', (m) => m.text === 'Yes, it is me');
      await hank.send(chatWithOriginId(team, 'Yes, it is me', 'hank-1'));
      assert.equal((await active).proof, 'reply');
      const stored = await reply;
      assert.deepEqual([stored.from, stored.sentFrom], [visitor.self, 'xmpp:hank@localhost']);
      await hank.next((s) => isChatFrom(team)(s) && s.getChildText('body') === ACTIVE_TEXT);
      await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'h-1', text: 'Now for hank' });
      await hank.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Now for hank');
      assert.deepEqual(bodiesFrom(hank, team), [REPLY_TEXT, ACTIVE_TEXT, 'Now for hank']);
    });

    it('sends a code, not a request to reply, to someone talking to the team in a conversation of their own; their answers stay theirs', async () => {
      const lee = await xmppUser('lee');
      const alice = (await connect(t, agentAuth('alice'))).socket;
      const opened = next(alice, 'conversation', (c) => c.participants.includes('xmpp:lee@localhost'));
      await lee.send(chatWithOriginId(team, 'Can I change my order?', 'lee-1'));
      const own = await opened;
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: 'xmpp:lee@localhost' });
      assert.deepEqual([started.continuation.state, started.continuation.proof], ['pending', 'code']);
      await lee.next((s) => isChatFrom(team)(s) && CODE_TEXT.test(s.getChildText('body') ?? ''));
      // Lee answers the agent in his own conversation: that is where his answer goes.
      const states: string[] = [];
      visitor.socket.on('continuation', (c: Continuation) => states.push(c.state));
      const answer = next(alice, 'message', (m) => m.text === 'yes');
      await lee.send(chatWithOriginId(team, 'yes', 'lee-2'));
      assert.deepEqual([(await answer).conversationId, (await answer).from], [own.id, 'xmpp:lee@localhost']);
      assert.deepEqual(states, [], 'the continuation stays pending');
    });
  });
});
