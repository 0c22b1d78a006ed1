// Nick changes the IRC bot sees (renames.ts): a followed user keeps their address under a new nick
// while the bot sees them, their presence follows it, and nobody's lines or messages go to a
// stranger on their own nick. Against a real ngircd in integration/irc-renames.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import pino from 'pino';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import { IrcAgentPresence } from '../../src/networks/irc/agents.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import type { IrcConnections } from '../../src/networks/irc/connections.js';
import { IrcCustomers } from '../../src/networks/irc/customers.js';
import { IrcInbound } from '../../src/networks/irc/inbound.js';
import { IrcPresenceFollower } from '../../src/networks/irc/presence-follower.js';
import { IrcRenames, MAX_RENAMED } from '../../src/networks/irc/renames.js';
import type { SupportChannel } from '../../src/networks/irc/support-channel.js';
import type { Relay } from '../../src/networks/kit/relay.js';
import type { HostedParties, InboundMessage, InboundPresence, InboundSink } from '../../src/networks/network.js';
import { standInBot } from '../irc-stand-in.js';

const hosted = { isHosted: () => false, idOf: () => null } as unknown as HostedParties;
const addresses = new IrcAddresses('test', hosted);
const { addressOf, nickOf } = addresses;
const ALICE = addressOf('alice');
const BOB = addressOf('bob');

/** The bot's view of the server (a stand-in client) and its renames; `followed` are the addresses the bridge follows. */
function renames(followed: Address[] = [ALICE, BOB]) {
  const client = new EventEmitter();
  const changes: string[] = [];
  const table = new IrcRenames({
    bot: { client } as unknown as IrcConnection,
    addressOf,
    nickOf,
    cares: (address) => followed.includes(address),
    isOurs: (nick) => ['desk', 'dana'].includes(nick.toLowerCase()),
    onChange: (address, here) => changes.push(`${nickOf(address)} ${here ? 'here' : 'gone'}`),
  });
  /** What the server tells the bot, as irc-framework reports it. */
  const server = (event: string, payload: unknown) => client.emit(event, payload);
  const rename = (nick: string, to: string) => server('nick', { nick, new_nick: to });
  return { table, changes, server, rename, followed };
}

describe('IRC renames the bot sees', () => {
  it("keeps a followed user's address under their new nick, and lets it go when they take theirs back", () => {
    const { table, changes, rename } = renames();
    rename('Alice', 'alice|away');
    assert.equal(table.holderOf('ALICE|AWAY'), ALICE, 'their lines are alice’s');
    assert.deepEqual(table.senderOf('alice|away'), { address: ALICE, nick: 'Alice' }, 'named by their own nick, as they spelled it');
    assert.equal(table.nickFor(ALICE), 'alice|away', 'what is sent to alice goes to the new nick');
    assert.equal(table.holderOf('alice'), null, 'whoever has the nick alice now is not alice');
    rename('alice|away', 'alice_');
    assert.equal(table.nickFor(ALICE), 'alice_');
    assert.equal(table.holderOf('alice|away'), addressOf('alice|away'), 'the nick left behind is its own again');
    rename('alice_', 'Alice');
    assert.equal(table.nickFor(ALICE), 'alice');
    assert.equal(table.holderOf('alice'), ALICE);
    assert.equal(table.holderOf('alice_'), addressOf('alice_'));
    assert.deepEqual(changes, ['alice here', 'alice here', 'alice here']);
  });

  it('keeps only the users it follows, never its own bot and puppets', () => {
    const { table, changes, rename } = renames();
    rename('zed', 'zed_');
    assert.equal(table.holderOf('zed_'), addressOf('zed_'), 'not followed: zed_ is its own');
    assert.equal(table.nickFor(addressOf('zed')), 'zed');
    rename('dana', 'bob_'); // a puppet (never renamed after registration, but never someone's either)
    rename('alice', 'desk');
    assert.equal(table.holderOf('bob_'), addressOf('bob_'));
    assert.equal(table.holderOf('desk'), addressOf('desk'));
    rename('alice', 'alice_');
    assert.equal(table.holderOf('alice_'), ALICE);
    assert.deepEqual(changes, ['alice here']);
  });

  it('forgets the new nick when its user quits: the next user under it is its own', () => {
    const { table, changes, rename, server } = renames();
    rename('alice', 'alice|away');
    server('quit', { nick: 'alice|away', message: 'Quit: bye' });
    assert.deepEqual(changes, ['alice here', 'alice gone']);
    // Someone else connects as alice|away: a stranger, never alice.
    assert.equal(table.holderOf('alice|away'), addressOf('alice|away'));
    assert.equal(table.nickFor(ALICE), 'alice', 'messages for alice go to her own nick again (held while she is off IRC)');
    assert.equal(table.holderOf('alice'), ALICE);
  });

  it('forgets it when its user leaves the channel, when the bot is kicked, loses its connection, or a 401 says nobody has it', () => {
    const { table, changes, rename, server } = renames();
    rename('alice', 'alice|away');
    server('part', { nick: 'alice|away', channel: '#support' });
    assert.equal(table.nickFor(ALICE), 'alice', 'out of sight: a later QUIT or rename would go unseen');
    rename('bob', 'bob_');
    server('kick', { kicked: 'bob_', nick: 'op', channel: '#support' });
    assert.equal(table.nickFor(BOB), 'bob');
    rename('alice', 'alice|away');
    rename('bob', 'bob_');
    server('kick', { kicked: 'desk', nick: 'op', channel: '#support' });
    assert.equal(table.nickFor(ALICE), 'alice');
    assert.equal(table.nickFor(BOB), 'bob');
    rename('alice', 'alice|away');
    table.lostSight();
    assert.equal(table.nickFor(ALICE), 'alice');
    rename('alice', 'alice|away');
    table.quit('alice|away');
    assert.equal(table.nickFor(ALICE), 'alice');
    assert.equal(changes.filter((change) => change === 'alice gone').length, 4);
  });

  it("never takes a stranger on alice's own nick for alice, nor sends them her messages, even after she left", () => {
    const { table, rename, server } = renames();
    rename('alice', 'alice|away');
    table.sighted('alice', true); // MONITOR/ISON: someone has the nick alice
    assert.equal(table.holderOf('alice'), null);
    assert.equal(table.nickFor(ALICE), 'alice|away');
    server('quit', { nick: 'alice|away' });
    assert.equal(table.nickFor(ALICE), null, 'alice left while someone else has her nick: nothing for her goes there');
    assert.equal(table.holderOf('alice'), null, 'and nothing from there is hers');
    table.sighted('alice', true);
    assert.equal(table.holderOf('alice'), null);
    table.sighted('alice', false); // the stranger left: the nick is free
    assert.equal(table.nickFor(ALICE), 'alice');
    assert.equal(table.holderOf('alice'), ALICE);
  });

  it('takes the nick as free once the stranger is seen leaving it or quitting, and as anyone’s once it changes hands', () => {
    const { table, rename, server } = renames();
    rename('alice', 'alice|away');
    server('join', { nick: 'alice', channel: '#support' }); // a stranger joins under alice
    server('quit', { nick: 'alice|away' });
    assert.equal(table.holderOf('alice'), null);
    rename('alice', 'mallory');
    assert.equal(table.holderOf('alice'), ALICE, 'the stranger left the nick');
    rename('alice', 'alice|away');
    table.sighted('alice', true);
    server('quit', { nick: 'alice|away' });
    server('quit', { nick: 'alice' });
    assert.equal(table.holderOf('alice'), ALICE, 'the stranger quit');
    rename('alice', 'alice|away');
    table.sighted('alice', true);
    server('quit', { nick: 'alice|away' });
    server('quit', { nick: 'alice' });
    rename('alice_', 'alice'); // before the bot: whoever takes it, as for any nick
    assert.equal(table.holderOf('alice'), ALICE);
  });

  it('lets go of a stranger on the own nick of someone no longer followed (nothing would tell when it is free)', () => {
    const { table, rename, server, followed } = renames([ALICE, addressOf('carol')]);
    rename('carol', 'carol_');
    table.sighted('carol', true);
    server('quit', { nick: 'carol_' });
    assert.equal(table.holderOf('carol'), null);
    followed.pop(); // carol, a customer, has not written for an hour
    assert.equal(table.holderOf('carol'), addressOf('carol'));
  });

  it("does not give an agent's own nick, taken by another followed user, the agent's messages", () => {
    const { table, rename } = renames();
    rename('bob', 'bob_');
    rename('alice', 'bob');
    assert.equal(table.holderOf('bob'), ALICE, 'alice under the nick bob is alice');
    assert.equal(table.nickFor(BOB), 'bob_');
    rename('bob_', 'bobby');
    assert.equal(table.nickFor(BOB), 'bobby');
    // carol is followed and off IRC: alice takes her nick.
    const other = renames([ALICE, addressOf('carol')]);
    other.rename('alice', 'carol');
    assert.equal(other.table.holderOf('carol'), ALICE);
    assert.equal(other.table.nickFor(addressOf('carol')), null, 'nothing for carol goes to alice');
    other.rename('carol', 'alice');
    assert.equal(other.table.nickFor(addressOf('carol')), 'carol');
  });

  it('forgets a new nick the server gave someone else (its user left unseen)', () => {
    const { table, changes, rename } = renames();
    rename('alice', 'alice|away');
    rename('zed', 'alice|away');
    assert.equal(table.holderOf('alice|away'), addressOf('alice|away'));
    assert.equal(table.nickFor(ALICE), 'alice');
    assert.deepEqual(changes, ['alice here', 'alice gone']);
  });

  it(`keeps at most ${MAX_RENAMED} renamed users, the oldest forgotten first`, () => {
    const many = Array.from({ length: MAX_RENAMED + 1 }, (_, i) => addressOf(`u${i}`));
    const { table, rename, changes } = renames(many);
    for (let i = 0; i <= MAX_RENAMED; i++) rename(`u${i}`, `u${i}_`);
    assert.equal(table.nickFor(addressOf('u0')), 'u0');
    assert.equal(table.nickFor(addressOf('u1')), 'u1_');
    assert.deepEqual(changes.slice(-2), ['u0 gone', `u${MAX_RENAMED} here`]);
  });
});

/** The bot's presence follower (ISUPPORT MONITOR `monitor`) with renames, on a stand-in connection. */
function presence(monitor: number) {
  const { client, written, bot } = standInBot(monitor);
  const reported: InboundPresence[] = [];
  const seen: string[] = [];
  const sink = { presence: (update: InboundPresence) => reported.push(update) } as never;
  const table = new IrcRenames({
    bot,
    addressOf,
    nickOf,
    cares: (address) => address === ALICE,
    isOurs: (nick) => nick === 'desk',
    onChange: (address, here) => (here ? follower.renamed(address) : follower.absent(address)),
  });
  const follower = new IrcPresenceFollower({ bot, addressOf, nickOf, pollMs: 3_600_000, renames: table });
  const agents = new IrcAgentPresence({ follower, sink, addressOf, nickOf, onBack: (nick) => seen.push(nick) });
  const server = (event: string, payload: unknown) => client.emit(event, payload);
  const poll = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    (follower as unknown as { poll(): void }).poll();
  };
  const statuses = () => reported.map(({ status, text }) => (text ? `${status}: ${text}` : status));
  return { follower, agents, written, reported, statuses, seen, server, poll };
}

describe("an IRC agent's presence under a new nick", () => {
  it('follows the new nick (MONITOR, away-notify, WHO), not whoever has the old one, and is offline once they leave', async () => {
    const { follower, agents, written, statuses, seen, server, poll } = presence(10);
    follower.onOnline();
    agents.watch([ALICE]);
    server('users online', { nicks: ['alice'] });
    assert.deepEqual(written, ['MONITOR + alice', 'WHO alice']);
    server('nick', { nick: 'alice', new_nick: 'alice|away' });
    server('users offline', { nicks: ['alice'] }); // MONITOR: the nick alice is free now
    assert.deepEqual(statuses(), ['available'], 'still online, under the new nick');
    server('away', { nick: 'alice|away', message: 'lunch' });
    server('users online', { nicks: ['alice'] }); // a stranger takes the nick alice
    assert.deepEqual(statuses(), ['available', 'away: lunch']);
    written.length = 0;
    await poll();
    assert.deepEqual(written, ['WHO alice|away'], "away is asked of the nick alice's user has now");
    server('wholist', { users: [{ nick: 'alice|away', away: false }] });
    assert.deepEqual(statuses(), ['available', 'away: lunch', 'available']);
    assert.equal(agents.isAbsent('alice'), false);
    assert.ok(seen.length > 0 && seen.every((nick) => nick === 'alice'), 'held messages are flushed by her own nick');

    server('quit', { nick: 'alice|away' });
    assert.equal(agents.isAbsent('alice'), true, 'she left IRC');
    server('users online', { nicks: ['alice'] });
    assert.equal(agents.isAbsent('alice'), true, 'the stranger on her nick is not her');
    server('users offline', { nicks: ['alice'] });
    server('users online', { nicks: ['alice'] });
    assert.equal(agents.isAbsent('alice'), false, 'the nick was free, then taken again: hers, as any nick is');
  });

  it('polls ISON for the own nick and WHO for the new one where there is no MONITOR', async () => {
    const { follower, agents, written, statuses, server, poll } = presence(0);
    follower.onOnline();
    agents.watch([ALICE]);
    server('raw', { line: ':irc.test 303 desk :alice\r\n', from_server: true });
    server('users online', { nicks: ['alice'] });
    server('nick', { nick: 'alice', new_nick: 'alice_' });
    written.length = 0;
    await poll();
    assert.deepEqual(written, ['ISON alice', 'WHO alice_']);
    server('raw', { line: ':irc.test 303 desk :', from_server: true }); // alice is not online: her user is alice_
    server('users online', { nicks: [''] });
    assert.deepEqual(statuses(), ['available']);
  });
});

/** The bot's inbound side over fakes, with the renames the bot saw (`store`: what the sink's message answers). */
function inbound(options: { requireAccount?: boolean; store?: (input: InboundMessage) => Promise<Message> } = {}) {
  const client = new EventEmitter();
  const table = new IrcRenames({
    bot: { client } as unknown as IrcConnection,
    addressOf,
    nickOf,
    cares: (address) => [ALICE, addressOf('carol')].includes(address),
    isOurs: (nick) => nick === 'desk',
  });
  const messages: InboundMessage[] = [];
  const notices: { nick: string; text: string }[] = [];
  const relayed: { from: Address; text: string }[] = [];
  const sink = {
    isAgent: (address: Address) => address === ALICE,
    message: (input: InboundMessage) => {
      messages.push(input);
      return options.store ? options.store(input) : Promise.resolve({ id: `m${messages.length}` } as Message);
    },
  } as unknown as InboundSink;
  const connections = {
    isOurs: (nick: string) => nick === 'desk' || nick === 'Dana',
    puppets: { touch: () => undefined },
    notice: (_connection: IrcConnection, nick: string, text: string) => notices.push({ nick, text }),
  } as unknown as IrcConnections;
  const relay = {
    receive: (input: { from: Address; text: string }) => {
      relayed.push(input);
      return Promise.resolve({ stored: {} as Message, conversationId: 'c1' });
    },
  } as unknown as Relay;
  const handler = new IrcInbound({
    sink,
    logger: pino({ level: 'silent' }),
    requireAccount: options.requireAccount ?? false,
    addresses,
    connections,
    relay,
    channel: {
      is: (target: string) => target === '#support',
      isCommand: (text: string) => text.startsWith('!'),
      onChannelMessage: () => Promise.resolve(),
      onPrivateCommand: () => Promise.resolve(false),
    } as unknown as SupportChannel,
    customers: new IrcCustomers(
      { team: 'support', teams: ['sales'] },
      ['support', 'sales'].map((id) => ({ id, name: id, sites: ['shop'] })),
      'test',
    ),
    gateway: false,
    renames: table,
  });
  const say = async (nick: string, target: string, message: string, extra: Partial<IrcMessageEvent> = {}, visitor?: Address) => {
    // The connection it came in on: the one of the nick written to; the bot's for a channel.
    handler.received(
      { nick: target.startsWith('#') ? 'desk' : target } as IrcConnection,
      visitor,
      { nick, ident: nick, hostname: 'h', target, message, tags: {}, ...extra },
      false,
    );
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const rename = (nick: string, to: string) => client.emit('nick', { nick, new_nick: to });
  return { say, rename, messages, notices, relayed, table, handler };
}

describe('lines read while the IRC network stops here', () => {
  it('lets a line being stored finish and its refusal reach the sender, and refuses what comes meanwhile at once', async () => {
    let refuse!: (error: Error) => void;
    const { say, notices, handler, messages } = inbound({
      store: () => new Promise<Message>((_, reject) => (refuse = reject)),
    });
    await say('alice', 'Dana', 'first', {}, 'web:v_1');
    assert.equal(messages.length, 1, 'being stored');
    // Her next line waits behind it: refused as the stop begins, not a turn later.
    await say('alice', 'Dana', 'waiting its turn', {}, 'web:v_1');
    assert.deepEqual(notices, []);
    let settled = false;
    const settling = handler.settle(5_000).then(() => (settled = true));
    const stopping = { nick: 'alice', text: 'Not delivered: the bridge is stopping this connection; send it again in a moment.' };
    assert.deepEqual(notices, [stopping]);
    await say('alice', 'Dana', 'second', {}, 'web:v_1');
    assert.equal(messages.length, 1, 'not taken while stopping');
    assert.deepEqual(notices, [stopping, stopping]);
    assert.equal(settled, false, 'the stop waits for the line being stored');
    refuse(Object.assign(new Error('The bridge could not store the message just now: send it again in a moment.'), { code: 'unavailable' }));
    await settling;
    assert.deepEqual(notices.at(-1), { nick: 'alice', text: 'Not delivered: The bridge could not store the message just now: send it again in a moment.' });
    // Started again: lines are taken.
    handler.open();
    await say('alice', 'Dana', 'third', {}, 'web:v_1');
    assert.equal(messages.length, 2);
  });
});

describe('what a renamed IRC user writes', () => {
  it("is the agent's under the new nick: to a puppet, to the bot, with the services account of the agent's own nick", async () => {
    const { say, rename, messages, relayed, notices } = inbound({ requireAccount: true });
    rename('alice', 'alice|away');
    await say('alice|away', 'Dana', 'Yes, in stock.', { account: 'alice' }, 'web:v_1');
    await say('alice|away', 'desk', '#ab12 on its way', { account: 'alice' });
    assert.deepEqual(
      messages.map(({ from, to, text }) => [from, to, text]),
      [[ALICE, 'web:v_1', 'Yes, in stock.']],
    );
    assert.deepEqual(relayed, [{ from: ALICE, text: '#ab12 on its way', remoteId: undefined }]);
    await say('alice|away', 'desk', 'again', { account: 'alice|away' });
    assert.match(notices[0]!.text, /^Log in to the services account "alice"/, 'the account of the nick the address names');
  });

  it('draws no notice when it is a line of a chat in a channel, however the services account stands', async () => {
    const { say, notices } = inbound({ requireAccount: true });
    await say('alice', '#support', 'morning all');
    await say('alice', '#elsewhere', '!claim ab12');
    await say('bob', '#support', 'anyone seen the deploy?', { account: 'someone-else' });
    assert.equal(notices.length, 0, JSON.stringify(notices));
    await say('alice', '#support', '!claim ab12');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!.text, /^Log in to the services account "alice"/, 'a command in the support channel needs the account');
  });

  it("is a customer's, in their conversation, with their pick of team kept", async () => {
    const { say, rename, messages } = inbound();
    await say('Carol', 'desk', '/team sales');
    rename('Carol', 'carol|afk');
    await say('carol|afk', 'desk', 'Still waiting for order 42');
    assert.deepEqual(
      messages.map(({ from, to, fromName }) => [from, to, fromName]),
      [[addressOf('carol'), 'team:sales', 'Carol']],
    );
  });

  it("is never taken from someone else on the renamed user's own nick, who is told why, once a minute", async () => {
    const { say, rename, messages, relayed, notices } = inbound();
    rename('alice', 'alice|away');
    await say('alice', 'Dana', 'I am alice', {}, 'web:v_1');
    await say('alice', 'desk', '#ab12 trust me');
    await say('alice', '#support', '!claim ab12');
    // More lines within the minute draw no more notices: one a minute for each nick of ours.
    await say('alice', 'desk', 'are you there?');
    await say('alice', 'Dana', 'hello?', {}, 'web:v_1');
    assert.deepEqual(messages, []);
    assert.deepEqual(relayed, []);
    assert.deepEqual(
      notices.map(({ nick }) => nick),
      ['alice', 'alice'],
      'a private line is answered, once a minute; the channel is left alone',
    );
    assert.match(notices[0]!.text, /^Not delivered: the user the bridge knows by alice changed nick/);
  });
});
