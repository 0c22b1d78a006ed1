// The IRC bot's presence follower: agents and customers on lists of their own, MONITOR within the
// server's limit (agents first) and ISON/WHO polling for the rest, and customers let go after an
// hour. The polling path runs against a real ngircd in integration/irc-customer-presence.test.ts;
// ngircd has no MONITOR, so that path is tested here, on a stand-in connection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import type { InboundMessage, InboundPresence, InboundSink } from '../../src/networks/network.js';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import { webHostedParties } from '../../src/networks/web/hosted.js';
import { IrcAgentPresence } from '../../src/networks/irc/agents.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import type { IrcConnections } from '../../src/networks/irc/connections.js';
import { CUSTOMER_LINES_PER_POLL, IrcCustomerPresence } from '../../src/networks/irc/customer-presence.js';
import { IrcCustomers } from '../../src/networks/irc/customers.js';
import { IrcInbound } from '../../src/networks/irc/inbound.js';
import { IrcPresenceFollower } from '../../src/networks/irc/presence-follower.js';
import { CUSTOMER_IDLE_MS } from '../../src/networks/kit/followed-customers.js';
import type { Relay } from '../../src/networks/kit/relay.js';
import { ManualClock } from '../manual-clock.js';
import { standInBot } from '../irc-stand-in.js';

const addressOf = (nick: string): Address => `irc:${nick.toLowerCase()}@test`;
const nickOf = (address: Address): string | null => /^irc:(.+)@test$/.exec(address)?.[1] ?? null;
const START = new Date('2026-12-01T10:00:00Z');

/** A bot on a stand-in connection whose lines are recorded; `monitor` is ISUPPORT MONITOR's value (0: none). */
function network(monitor: number, ours: readonly string[] = []) {
  const { client, written, bot } = standInBot(monitor);
  const reported: InboundPresence[] = [];
  const sink = { presence: (presence: InboundPresence) => reported.push(presence) } as never;
  const follower = new IrcPresenceFollower({ bot, addressOf, nickOf, pollMs: 3_600_000, isOurs: (nick) => ours.includes(nick.toLowerCase()) });
  const agents = new IrcAgentPresence({ follower, sink, addressOf, nickOf });
  const clock = new ManualClock(START);
  const customers = new IrcCustomerPresence({ follower, sink, followedElsewhere: (address) => agents.follows(address), clock });
  const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
  /** The server's answer to a line, as irc-framework reports it. */
  const server = (event: string, payload: unknown) => client.emit(event, payload);
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const poll = async () => {
    await settle(); // the lines queued before are written
    (follower as unknown as { poll(): void }).poll();
  };
  return { follower, agents, customers, written, reported, later, server, poll, settle };
}

describe("the IRC bot's presence follower", () => {
  it('MONITORs customers within the server limit, agents first, polls the ones without a place, and tells ISON answers from MONITOR', async () => {
    const setup = network(2);
    const { follower, agents, customers, written, server } = setup;
    follower.onOnline();
    customers.wrote(addressOf('carol'));
    customers.wrote(addressOf('dave'));
    assert.deepEqual(written, ['MONITOR + carol', 'MONITOR + dave']);

    written.length = 0;
    agents.watch([addressOf('alice')]);
    assert.deepEqual(written, ['MONITOR - carol', 'MONITOR + alice', 'ISON carol'], 'a customer gives their place up to the agent');

    written.length = 0;
    customers.wrote(addressOf('erin'));
    assert.deepEqual(written, ['ISON erin'], 'no place left: never past the limit');

    // After a reconnection the server has forgotten: the agents' list is asked about first.
    written.length = 0;
    follower.onOffline();
    follower.onOnline();
    assert.deepEqual(written, ['MONITOR + alice', 'MONITOR + carol', 'ISON dave erin']);

    // MONITOR's 730 while the ISON answer is due is no ISON answer: erin (polled, online) is not taken as offline.
    const { reported } = setup;
    const before = reported.length;
    server('wholist', { target: 'erin', users: [{ nick: 'erin', away: false }] });
    server('users online', { nicks: ['carol'] });
    server('raw', { line: ':irc.test 303 desk :erin\r\n', from_server: true });
    server('users online', { nicks: ['erin'] });
    assert.deepEqual(reported.slice(before), [
      { address: addressOf('erin'), status: 'available' },
      { address: addressOf('carol'), status: 'available' },
    ]);
  });

  it('takes a customer let go after an hour off MONITOR, gives the place to a polled one, and reports them offline', async () => {
    const { follower, customers, written, reported, later, server } = network(1);
    follower.onOnline();
    customers.wrote(addressOf('carol'));
    later(CUSTOMER_IDLE_MS / 2);
    customers.wrote(addressOf('dave'));
    server('users online', { nicks: ['carol'] });
    assert.deepEqual(reported, [{ address: addressOf('carol'), status: 'available' }]);

    written.length = 0;
    later(CUSTOMER_IDLE_MS / 2);
    assert.deepEqual(written, ['MONITOR - carol', 'MONITOR + dave']);
    assert.deepEqual(reported.at(-1), { address: addressOf('carol'), status: 'offline' }, 'no longer known');

    written.length = 0;
    follower.onOffline();
    follower.onOnline();
    assert.deepEqual(written, ['MONITOR + dave'], 'carol is not asked about again');
    later(CUSTOMER_IDLE_MS);
    assert.deepEqual(written, ['MONITOR + dave', 'MONITOR - dave']);
  });

  it('follows with ISON where there is no MONITOR, and asks WHOIS for the away message', async () => {
    const { follower, customers, written, reported, server, poll } = network(0);
    follower.onOnline();
    customers.wrote(addressOf('carol'));
    customers.wrote(addressOf('dave'));
    assert.deepEqual(written, ['ISON carol', 'ISON dave']);

    written.length = 0;
    server('raw', { line: ':irc.test 303 desk :carol\r\n', from_server: true });
    server('users online', { nicks: ['carol'] });
    server('raw', { line: ':irc.test 303 desk :', from_server: true });
    server('users online', { nicks: [''] });
    assert.deepEqual(reported, [
      { address: addressOf('carol'), status: 'available' },
      { address: addressOf('dave'), status: 'offline' },
    ]);
    assert.deepEqual(written, ['WHO carol'], 'newly online: is she away?');

    written.length = 0;
    server('wholist', { target: 'carol', users: [{ nick: 'carol', away: true }] });
    assert.deepEqual(written, ['WHOIS carol']);
    server('whois', { nick: 'carol', away: 'At lunch' });
    assert.deepEqual(reported.slice(2), [
      { address: addressOf('carol'), status: 'away' },
      { address: addressOf('carol'), status: 'away', text: 'At lunch' },
    ]);
    server('wholist', { target: 'carol', users: [{ nick: 'carol', away: true }] });
    assert.equal(reported.length, 4, 'still away: the message stays, nothing new is reported');

    written.length = 0;
    await poll();
    assert.deepEqual(written, ['ISON carol dave', 'WHO carol']);
  });

  it('polls customers a few lines a round, in turn, and agents all at once', async () => {
    const { follower, agents, customers, written, server, poll } = network(0);
    follower.onOnline();
    agents.watch([addressOf('alice')]);
    const many = Array.from({ length: 30 }, (_, i) => `c${i}`);
    for (const nick of many) customers.wrote(addressOf(nick));
    // Everyone online: the server answers each ISON asked (one for each nick followed so far).
    const answerIson = (count: number) => {
      for (let i = 0; i < count; i++) server('raw', { line: `:irc.test 303 desk :alice ${many.join(' ')}\r\n`, from_server: true });
      server('users online', { nicks: ['alice', ...many] });
    };
    answerIson(31);

    written.length = 0;
    await poll();
    assert.deepEqual(written.slice(0, 2), ['ISON alice', 'WHO alice']);
    const first = written.slice(2);
    assert.equal(first.length, CUSTOMER_LINES_PER_POLL);
    assert.deepEqual(first.slice(0, 3), [
      'ISON c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 c10 c11 c12 c13 c14 c15 c16 c17 c18 c19',
      'ISON c20 c21 c22 c23 c24 c25 c26 c27 c28 c29',
      'WHO c0',
    ]);

    written.length = 0;
    answerIson(3);
    await poll();
    assert.deepEqual(written.slice(2, 4), ['WHO c8', 'WHO c9'], 'the next round goes on where the last one stopped');
  });

  it("never writes a MONITOR or ISON line past IRC's 512 bytes, however long the server lets nicks be", async () => {
    // 20 nicks of 27 characters (ngircd with MaxNickLength = 30, Ergo's NICKLEN of 32) would take 560 bytes.
    const long = Array.from({ length: 45 }, (_, i) => `customer_${String(i).padStart(2, '0')}_with_a_long_nick`);
    for (const monitor of [100, 0]) {
      const { follower, agents, written, settle } = network(monitor);
      follower.onOnline();
      agents.watch(long.map(addressOf));
      await settle();
      const lines = written.filter((line) => /^(MONITOR \+|ISON) /.test(line));
      assert.ok(lines.length > 0, written.join(' / '));
      for (const line of lines) assert.ok(Buffer.byteLength(`${line}\r\n`) <= 512, `${Buffer.byteLength(line)} bytes: ${line}`);
      // Every nick asked about, once.
      const asked = lines.flatMap((line) => line.replace(/^(MONITOR \+|ISON) /, '').split(/[ ,]/));
      assert.deepEqual(asked.slice(0, long.length).sort(), [...long].sort());
    }
  });

  it('reports MONITOR and away-notify as they come, and leaves an agent who writes to the bot on the agents list', () => {
    const { follower, agents, customers, written, reported, server } = network(10);
    follower.onOnline();
    agents.watch([addressOf('alice')]);
    customers.wrote(addressOf('alice'));
    assert.deepEqual(written, ['MONITOR + alice']);
    server('users offline', { nicks: ['alice'] });
    server('users online', { nicks: ['alice'] });
    server('away', { nick: 'alice', message: 'In a meeting' });
    server('back', { nick: 'alice' });
    assert.deepEqual(
      reported.map(({ status, text }) => (text ? `${status}: ${text}` : status)),
      ['offline', 'available', 'away: In a meeting', 'available'],
      'one report each (the agents list only)',
    );
    assert.equal(agents.isAbsent('alice'), false);
  });

  it("reports an agent whose nick one of the bridge's own connections holds offline, not seen on IRC", () => {
    const { follower, agents, reported, server } = network(10, ['zed']);
    follower.onOnline();
    agents.watch([addressOf('zed')]);
    server('users online', { nicks: ['zed'] });
    assert.deepEqual(
      reported.map(({ status }) => status),
      ['offline'],
    );
  });

  it('reports an away message without its formatting codes, from away-notify and from WHOIS', () => {
    const { follower, agents, reported, server } = network(10);
    follower.onOnline();
    agents.watch([addressOf('alice')]);
    server('users online', { nicks: ['alice'] });
    server('away', { nick: 'alice', message: '\x0304,01In\x0f a \x02meeting\x02' });
    server('whois', { nick: 'alice', away: '\x1dAt\x1d lunch' });
    assert.deepEqual(
      reported.map(({ status, text }) => (text ? `${status}: ${text}` : status)),
      ['available', 'away: In a meeting', 'away: At lunch'],
    );
  });
});

describe("which IRC customers' presence is followed", () => {
  it('follows a customer once their message to the team is stored, not for a command or a message refused', async () => {
    const followed: Address[] = [];
    const sink = {
      isAgent: () => false,
      // The team takes Carol's message; Dave's is refused (the team takes none from him now).
      message: (input: InboundMessage) => Promise.resolve(input.from === addressOf('carol') ? { id: 'm1' } : null),
      command: () => Promise.resolve('from the bridge'),
    } as unknown as InboundSink;
    const inbound = new IrcInbound({
      sink,
      logger: pino({ level: 'silent' }),
      requireAccount: false,
      addresses: new IrcAddresses('test', { isHosted: () => false, idOf: () => null } as never),
      connections: { isOurs: (nick: string) => nick === 'desk', notice: () => undefined } as unknown as IrcConnections,
      relay: {} as Relay,
      channel: undefined,
      customers: new IrcCustomers({ team: 'support' }, [{ id: 'support', name: 'Support', sites: ['shop'] }], 'test'),
      gateway: false,
      onCustomerMessage: (customer) => followed.push(customer),
    });
    const bot = { nick: 'desk' } as IrcConnection;
    const say = (nick: string, message: string) =>
      inbound.received(bot, undefined, { nick, ident: nick, hostname: 'h', target: 'desk', message, tags: {} }, false);
    say('carol', '/help');
    say('dave', 'Hello?');
    say('Carol', 'Where is my parcel?');
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(followed, [addressOf('carol')]);
  });

  it('counts a nick as seen on IRC as the server compares nicks (CASEMAPPING): `Ed{w}` online is `ed[w]` seen', () => {
    const { bot, client } = standInBot(10);
    const addresses = new IrcAddresses('test', webHostedParties, () => 'rfc1459');
    const follower = new IrcPresenceFollower({ bot, addressOf: addresses.addressOf, nickOf: addresses.nickOf, pollMs: 3_600_000, isOurs: () => false });
    const agents = new IrcAgentPresence({ follower, sink: { presence: () => undefined } as never, addressOf: addresses.addressOf, nickOf: addresses.nickOf });
    follower.onOnline();
    agents.watch(['irc:ed[w]@test']);
    assert.equal(agents.wasSeen('ed[w]'), false);
    client.emit('users online', { nicks: ['Ed{w}'] });
    assert.equal(agents.wasSeen('ed[w]'), true);
    assert.equal(agents.wasSeen('ED{W}'), true);
  });
});
