// "Continue on my IM" (core/continuations): codes and their hashes, the start limits, and the
// continuation's life on a clock the test moves: expiry, attempts, replacement, a network that
// refuses the proof message, and the outbox reaching the proven address only while it is active.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import type { Address, ServerToClientEvents } from '@switchboard/protocol';
import { LIMITS } from '@switchboard/protocol';
import { parseConfig } from '../../src/config.js';
import type { Actor } from '../../src/core/actor.js';
import type { ProvenAddress } from '../../src/core/contacts/contact-links.js';
import { codeMatches, hashCode, newCode } from '../../src/core/continuations/codes.js';
import { Continuations } from '../../src/core/continuations/continuations.js';
import { RefBook } from '../../src/networks/refs.js';
import { StartLimits } from '../../src/core/continuations/start-limits.js';
import { memoryRateLimits } from '../../src/cluster/rate-limits.js';
import { BridgeError } from '../../src/core/errors.js';
import type { ClientHub } from '../../src/core/hub.js';
import { VisitorMail } from '../../src/core/visitor-mail.js';
import { toNetworkConversation } from '../../src/core/wire.js';
import { type Network, NetworkError, type OutboundMessage } from '../../src/networks/network.js';
import { NetworkRegistry } from '../../src/networks/registry.js';
import { webHostedParties } from '../../src/networks/web/hosted.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ConversationRecord, OutboxItem } from '../../src/store/store.js';
import { until } from '../helpers.js';
import { ManualClock } from '../manual-clock.js';

const START = new Date('2026-12-01T10:00:00Z');
const VISITOR: Actor = { address: 'web:v_1', role: 'visitor', siteKey: 'shop' };
const AGENT: Actor = { address: 'web:a_alice@shop', role: 'agent', siteKey: 'shop' };
const DANA = 'xmpp:dana@example.org' as Address;

describe('continuation codes', () => {
  it('are six random digits, leading zeros kept', () => {
    const codes = Array.from({ length: 200 }, newCode);
    assert.ok(codes.every((code) => new RegExp(`^[0-9]{${LIMITS.continuationCodeLength}}$`).test(code)));
    assert.ok(new Set(codes).size > 190, 'random');
  });

  it('are kept as a keyed hash bound to the conversation, compared in constant time', () => {
    const hash = hashCode('secret', 'c_1', '012345');
    assert.ok(!hash.includes('012345'));
    assert.equal(codeMatches('secret', 'c_1', '012345', hash), true);
    assert.equal(codeMatches('secret', 'c_1', '012346', hash), false);
    assert.equal(codeMatches('secret', 'c_2', '012345', hash), false, 'another conversation');
    assert.equal(codeMatches('other', 'c_1', '012345', hash), false, 'another secret');
    assert.equal(codeMatches('secret', 'c_1', '012345', 'abcd'), false, 'a hash of another length');
  });
});

describe('continuation start limits', () => {
  it('allows 5 codes per conversation an hour, then again as the hour passes', async () => {
    let now = START.getTime();
    const limits = new StartLimits(memoryRateLimits(() => now).windows('codes'));
    for (let i = 0; i < 5; i++) assert.equal(await limits.take('c_1', `xmpp:u${i}@x.org`), null);
    assert.match((await limits.take('c_1', 'xmpp:u9@x.org')) ?? '', /at most 5 codes per conversation an hour\); try again in 60 minutes$/);
    assert.equal(await limits.take('c_2', 'xmpp:u9@x.org'), null, 'another conversation has its own');
    now += 3_600_000;
    assert.equal(await limits.take('c_1', 'xmpp:u9@x.org'), null);
  });

  it('allows 10 codes per address a day, whichever conversations ask', async () => {
    let now = START.getTime();
    const limits = new StartLimits(memoryRateLimits(() => now).windows('codes'));
    for (let i = 0; i < 10; i++) assert.equal(await limits.take(`c_${i}`, DANA), null);
    assert.match((await limits.take('c_x', DANA)) ?? '', /at most 10 codes per address a day/);
    assert.equal(await limits.take('c_x', 'xmpp:other@example.org'), null);
    now += 86_400_000;
    assert.equal(await limits.take('c_x', DANA), null);
  });
});

/** A line from the desk to an agent, as the network is asked to show it. */
type Notice = Parameters<NonNullable<Network['notice']>>[0];

/** A network of the test's: records what it is asked to send, or refuses. */
function recordingNetwork(
  scheme: string,
): Network & { sent: OutboundMessage[]; notices: Notice[]; refuse?: Error; state: 'online' | 'offline'; vouches: boolean } {
  const network = {
    scheme,
    /** Whether the network vouches for its senders (an XMPP server authenticates them; a mail's From is anyone's). */
    vouches: true,
    identityOf: () => Promise.resolve({ vouched: network.vouches, how: network.vouches ? 'its server authenticated it' : 'anyone may write it' }),
    deliversFromStore: false,
    sent: [] as OutboundMessage[],
    notices: [] as Notice[],
    refuse: undefined as Error | undefined,
    state: 'online' as 'online' | 'offline',
    status: () => ({ state: network.state }),
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    send(outbound: OutboundMessage) {
      if (network.refuse) return Promise.reject(network.refuse);
      network.sent.push(outbound);
      return Promise.resolve({});
    },
    customerDoor: (team: string) => (team === 'support' ? { id: team } : null),
    notice(input: Notice) {
      network.notices.push(input);
      return Promise.resolve();
    },
  };
  return network;
}

describe('continuations', () => {
  let store: SqliteStore;
  let clock: ManualClock;
  let xmpp: ReturnType<typeof recordingNetwork>;
  let continuations: Continuations;
  let conversation: ConversationRecord;
  let emitted: { event: string; payload: unknown }[];
  let links: ProvenAddress[];
  let refs: RefBook;
  /** Builds `continuations` for a site with this `continueOn`. */
  let make: (continueOn: Record<string, unknown>) => void;

  beforeEach(async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.open();
    clock = new ManualClock(START);
    xmpp = recordingNetwork('xmpp');
    const registry = new NetworkRegistry();
    registry.add(xmpp);
    emitted = [];
    links = [];
    refs = new RefBook();
    const hub = {
      emit: (_rooms: unknown, event: keyof ServerToClientEvents, payload: unknown) => emitted.push({ event, payload }),
    } as unknown as ClientHub;
    make = (continueOn) => {
      const config = parseConfig({
        sites: [{ key: 'shop', name: 'Acme Shop', continueOn }],
        teams: [{ id: 'support', members: ['web:a_alice', 'xmpp:agent@example.org'] }],
        networks: [{ type: 'web' }, { type: 'xmpp', service: 'xmpp://127.0.0.1:5347', domain: 'web.example.org', password: 'pw' }],
        store: { type: 'sqlite', path: ':memory:' },
      });
      continuations = new Continuations({
        store,
        registry,
        hub,
        teams: { teamsOf: (address) => (address === 'xmpp:agent@example.org' ? config.teams : []) },
        access: { conversation: async (_actor, id) => (await store.getConversation(id))! },
        hosted: webHostedParties,
        sites: config.sites,
        clock,
        contactLinks: { link: (proven) => Promise.resolve(void links.push(proven)) },
        refs,
        logger: pino({ level: 'silent' }),
        openConversationOf: (customer, team) => store.findOpenConversation({ siteKey: 'shop', openedBy: customer, team: team.id }),
      });
    };
    make({ networks: ['xmpp'], maxAttempts: 2 });
    conversation = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR.address, participants: [VISITOR.address], team: 'support' });
  });
  afterEach(() => store.close());

  const start = (address: string = DANA) => continuations.start(VISITOR, { conversationId: conversation.id, address });
  const verify = (code: string) => continuations.verify(VISITOR, { conversationId: conversation.id, code });
  const lastCode = () => /^(\d{6}) is your code/.exec(xmpp.sent.at(-1)!.message.text)![1]!;
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof BridgeError, String(error));
    return { code: error.code, message: error.message };
  };

  it('sends the proof message from the team to the address as a conversation it opened, and keeps only the hash', async () => {
    const pending = await start();
    assert.deepEqual(pending, {
      conversationId: conversation.id,
      address: DANA,
      state: 'pending',
      proof: 'code',
      expiresAt: '2026-12-01T10:10:00.000Z',
      attemptsLeft: 2,
    });
    const [sent] = xmpp.sent;
    assert.equal(sent!.to, DANA);
    assert.equal(sent!.conversation.openedBy, DANA, 'the network answers it from the team address');
    assert.equal(sent!.message.from, 'team:support');
    assert.match(
      sent!.message.text,
      /^\d{6} is your code to continue your chat with Acme Shop here\. If you did not ask for it, ignore this message: without the code, the chat does not come here\.$/,
    );
    const stored = await store.continuationOf(conversation.id);
    assert.ok(stored?.codeHash && !stored.codeHash.includes(lastCode()));
    assert.deepEqual(emitted.at(-1), { event: 'continuation', payload: pending });
    assert.equal(await store.getConversation(conversation.id).then((c) => c!.lastSeq), 0, 'not a message of the conversation');
  });

  it('counts wrong codes down, then stops with `attempts`', async () => {
    await start();
    const code = lastCode();
    const other = code === '000000' ? '000001' : '000000';
    assert.deepEqual(await refusal(verify(other)), { code: 'forbidden', message: 'code: wrong code; 1 attempt left' });
    assert.equal((await store.continuationOf(conversation.id))?.attemptsLeft, 1, 'durable');
    assert.deepEqual(await refusal(verify(other)), { code: 'rate_limited', message: 'code: too many wrong codes; ask for a new code' });
    assert.deepEqual([(await store.continuationOf(conversation.id))?.state, (await store.continuationOf(conversation.id))?.reason], ['stopped', 'attempts']);
    assert.equal((await refusal(verify(code))).code, 'not_found');
  });

  it('refuses the right code from the moment it expires', async () => {
    await start();
    const code = lastCode();
    clock.set(new Date(START.getTime() + 600_000 - 1));
    clock.set(new Date(START.getTime() + 600_000));
    assert.deepEqual(await refusal(verify(code)), { code: 'forbidden', message: 'code: expired; ask for a new code' });
    assert.equal((await store.continuationOf(conversation.id))?.reason, 'expired');
  });

  it('activates on the right code: recorded for the contact, the address told how to stop', async () => {
    await start();
    clock.set(new Date(START.getTime() + 600_000 - 1));
    const active = await verify(lastCode());
    assert.deepEqual(active, { conversationId: conversation.id, address: DANA, state: 'active', proof: 'code', provenAt: '2026-12-01T10:09:59.999Z' });
    assert.deepEqual(links, [{ siteKey: 'shop', party: VISITOR.address, address: DANA, proof: 'code' }]);
    assert.equal(xmpp.sent.at(-1)!.message.text, 'Your chat with Acme Shop continues here: replies come here too. Send /stop to stop.');
    assert.equal((await store.continuationOf(conversation.id))?.codeHash, undefined, 'no code kept once proven');
  });

  it('replaces a pending one with a new start: the old one stopped as `replaced`, its code no good', async () => {
    await start();
    const old = lastCode();
    await start('xmpp:dana.other@example.org');
    assert.deepEqual(
      emitted.map((e) => [(e.payload as { state: string }).state, (e.payload as { reason?: string }).reason ?? null]),
      [
        ['pending', null],
        ['stopped', 'replaced'],
        ['pending', null],
      ],
    );
    if (old !== lastCode()) assert.equal((await refusal(verify(old))).code, 'forbidden');
  });

  it("fails the start with the network's refusal and leaves nothing pending, or the one before as it was", async () => {
    xmpp.refuse = new NetworkError('remote server not found', false, 'not_found');
    assert.deepEqual(await refusal(start()), { code: 'not_found', message: 'address: xmpp would not take the code: remote server not found' });
    assert.equal(await store.continuationOf(conversation.id), null);
    xmpp.refuse = undefined;
    await start();
    await verify(lastCode());
    xmpp.refuse = new Error('timeout');
    assert.equal((await refusal(start('xmpp:someone@example.org'))).code, 'unavailable');
    assert.equal((await store.continuationOf(conversation.id))?.state, 'active', 'the active one stands');
    xmpp.state = 'offline';
    assert.equal((await refusal(start())).code, 'unavailable');
  });

  it("refuses addresses it may not continue at: another network, an agent's, not the visitor's conversation", async () => {
    assert.equal((await refusal(start('sip:dana@example.org'))).code, 'bad_request');
    assert.equal((await refusal(start('xmpp:agent@example.org'))).code, 'bad_request');
    assert.equal((await refusal(continuations.start(AGENT, { conversationId: conversation.id, address: DANA }))).code, 'forbidden');
    assert.equal(xmpp.sent.length, 0);
  });

  it("stops from the widget; an agent's stop says `agent`; a pending address is told nothing", async () => {
    await start();
    const stopped = await continuations.stop(VISITOR, { conversationId: conversation.id });
    assert.deepEqual([stopped.state, stopped.reason], ['stopped', 'visitor']);
    assert.equal(xmpp.sent.length, 1, 'only the code ever went to the pending address');
    await start();
    await verify(lastCode());
    const byAgent = await continuations.stop(AGENT, { conversationId: conversation.id });
    assert.equal(byAgent.reason, 'agent');
    assert.match(xmpp.sent.at(-1)!.message.text, /stopped continuing your chat here/);
  });

  it('activates on the first message from the pending address in reply mode, until it expires', async () => {
    make({ networks: ['xmpp'], proof: 'reply', codeTtlSeconds: 60 });
    const posted: Address[] = [];
    const post = (_conversation: ConversationRecord, visitor: Address) => {
      posted.push(visitor);
      return Promise.resolve({
        id: 'm1',
        conversationId: conversation.id,
        seq: 1,
        from: visitor,
        text: 'me',
        sentAt: START.toISOString(),
        status: 'sent' as const,
      });
    };
    const inbound = (from: Address) => continuations.inbound({ network: 'xmpp', from, to: 'team:support', text: 'me', team: { id: 'support' } }, post);
    const pending = await start();
    assert.deepEqual([pending.proof, pending.attemptsLeft], ['reply', undefined]);
    assert.match(xmpp.sent[0]!.message.text, /^Reply to this message to continue your chat with Acme Shop here\./);
    assert.equal(await inbound('xmpp:stranger@example.org'), undefined, 'another address is an ordinary customer');
    assert.equal((await inbound(DANA))?.from, VISITOR.address);
    assert.deepEqual(posted, [VISITOR.address]);
    assert.deepEqual([(await store.continuationOf(conversation.id))?.state, links[0]?.proof], ['active', 'reply']);

    await start();
    clock.set(new Date(START.getTime() + 60_000));
    assert.equal(await inbound(DANA), undefined, 'too late: an ordinary customer');
    assert.equal((await store.continuationOf(conversation.id))?.reason, 'expired');
    assert.equal(posted.length, 1);

    // Where the network does not vouch for its senders (a mail's From), a reply proves nothing: a code it is.
    xmpp.vouches = false;
    assert.equal((await start()).proof, 'code');
    assert.match(xmpp.sent.at(-1)!.message.text, /^\d{6} is your code/);
    assert.equal(await inbound(DANA), undefined, 'a reply does not prove it');
  });

  it("never lets a reply from an address talking to the team in a conversation of its own prove another's request", async () => {
    make({ networks: ['xmpp'], proof: 'reply', codeTtlSeconds: 600 });
    const post = () => assert.fail('nothing is stored as the visitor');
    const inbound = (text: string) => continuations.inbound({ network: 'xmpp', from: DANA, to: 'team:support', text, team: { id: 'support' } }, post);
    // Asked while Dana is not talking to the team: a reply would do...
    assert.equal((await start()).proof, 'reply');
    // ...but she opens a conversation of her own, where an agent asks her something: her answer goes there.
    const own = await store.createConversation({ siteKey: 'shop', openedBy: DANA, participants: [DANA], team: 'support' });
    assert.equal(await inbound('yes'), undefined);
    assert.equal((await store.continuationOf(conversation.id))?.state, 'pending');
    // Asked while she talks to the team: a code, which only the one who asked sees in the widget.
    assert.equal((await start()).proof, 'code');
    assert.match(xmpp.sent.at(-1)!.message.text, /^\d{6} is your code/);
    assert.equal(await inbound('yes'), undefined);
    // Once her conversation is closed, a reply may prove the address again.
    await store.setConversationState(own.id, 'closed');
    assert.equal((await start()).proof, 'reply');
  });

  it('tells the agents of the conversation on IM networks, in their chat with the visitor, once the address is proven and when it stops, never while pending', async () => {
    await store.upsertParty({ siteKey: 'shop', address: VISITOR.address, role: 'visitor', verified: false, name: 'Vera' });
    conversation = await store.addParticipant(conversation.id, 'xmpp:agent@example.org');
    await start();
    await continuations.stop(VISITOR, { conversationId: conversation.id });
    await start();
    // The first line's read of the visitor's name is slow: the stop's line still comes after it.
    const getParty = store.getParty.bind(store);
    let slowName!: () => void;
    const nameRead = new Promise<void>((resolve) => (slowName = resolve));
    store.getParty = async (address) => {
      store.getParty = getParty;
      await nameRead;
      return getParty(address);
    };
    await verify(lastCode());
    const ref = refs.refOf(conversation.id);
    await continuations.stop(VISITOR, { conversationId: conversation.id });
    slowName();
    await until(() => xmpp.notices.length === 2, 5000, 'the lines of the proven address and of the stop');
    // A mail agent's line lands in the conversation's thread, an IM agent's in the chat their replies go to.
    const about = { conversation: toNetworkConversation((await store.getConversation(conversation.id))!), visitor: VISITOR.address, visitorName: 'Vera' };
    assert.deepEqual(
      xmpp.notices,
      [
        { to: 'xmpp:agent@example.org', text: `#${ref}: the visitor continues on ${DANA} (proven by code); your replies reach them there too.`, about },
        {
          to: 'xmpp:agent@example.org',
          text: `#${ref}: the visitor no longer continues on another network (the visitor stopped it from the web page).`,
          about,
        },
      ],
      'an unproven address is never shown to agents, started or stopped',
    );
  });

  it('drops what was queued for an active address when a start moves the conversation to another one', async () => {
    await start();
    await verify(lastCode());
    const queue = (clientId: string) =>
      store.appendMessage({
        conversationId: conversation.id,
        from: AGENT.address,
        clientId,
        text: clientId,
        status: 'sent',
        outbox: [{ recipient: DANA, network: 'xmpp' }],
      });
    await queue('queued-1');
    await queue('queued-2');
    assert.equal(await store.outboxDepth('xmpp'), 2);
    await start('xmpp:dana@elsewhere.example.org');
    assert.equal(await store.outboxDepth('xmpp'), 0, 'nothing queued reaches the replaced address');
  });

  it('drops what was queued for the address when it stops', async () => {
    await start();
    await verify(lastCode());
    await store.appendMessage({
      conversationId: conversation.id,
      from: AGENT.address,
      clientId: 'q',
      text: 'q',
      status: 'sent',
      outbox: [{ recipient: DANA, network: 'xmpp' }],
    });
    await continuations.stop(VISITOR, { conversationId: conversation.id });
    assert.equal(await store.outboxDepth('xmpp'), 0);
  });

  it('reaches the proven address through the outbox only while active, from the team address', async () => {
    const mail = new VisitorMail({ store, registry: new NetworkRegistry(), hub: { connectionCount: () => 0 }, clock });
    const agentMessage = AGENT.address;
    assert.deepEqual(await mail.heldBack(conversation, agentMessage), []);
    await start();
    assert.deepEqual(await mail.heldBack(conversation, agentMessage), [], 'nothing for a pending address');
    await verify(lastCode());
    assert.deepEqual(await mail.heldBack(conversation, agentMessage), [{ recipient: DANA, network: 'xmpp' }]);
    assert.deepEqual(await mail.heldBack(conversation, 'team:support'), [{ recipient: DANA, network: 'xmpp' }], 'the desk notices too');
    assert.deepEqual(await mail.heldBack(conversation, VISITOR.address), [], "the visitor's own are not echoed");
    const item: OutboxItem = {
      id: 1,
      message: { id: 'm1', conversationId: conversation.id, seq: 1, from: agentMessage, text: 'hi', sentAt: START.toISOString(), status: 'sent' },
      recipient: DANA,
      network: 'xmpp',
      attempts: 0,
      nextAttemptAt: 0,
    };
    assert.equal(await mail.stillWanted(item, conversation), true);
    assert.equal((await mail.seenBy(item, conversation)).openedBy, DANA);
    assert.equal(await mail.visitorWriting(conversation, DANA), VISITOR.address);
    await continuations.stop(VISITOR, { conversationId: conversation.id });
    assert.equal(await mail.stillWanted(item, conversation), false, 'a queued item is dropped once stopped');
    assert.equal((await mail.seenBy(item, conversation)).openedBy, VISITOR.address);
    assert.equal(await mail.visitorWriting(conversation, DANA), null);
  });
});
