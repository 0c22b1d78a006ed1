import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import pino from 'pino';
import { ConfigError } from '../../src/config-error.js';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import { ircNetworkConfigSchema } from '../../src/networks/irc/config.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import type { IrcConnections } from '../../src/networks/irc/connections.js';
import { IrcCustomers, customerTeams, isTeamCustomer } from '../../src/networks/irc/customers.js';
import { IrcInbound } from '../../src/networks/irc/inbound.js';
import type { Relay } from '../../src/networks/kit/relay.js';
import type { DeskTeam, HostedParties, InboundMessage, InboundSink } from '../../src/networks/network.js';

const DESK: DeskTeam[] = [
  { id: 'support', name: 'Support', sites: ['shop'] },
  { id: 'sales', name: 'Sales', sites: ['shop'] },
  { id: 'billing', name: 'billing', sites: ['shop', 'blog'] },
];

const hosted: HostedParties = {
  isHosted: (address) => address.startsWith('web:'),
  isVisitor: (address) => address.startsWith('web:v_'),
  idOf: (address) => (address.startsWith('web:') ? address.slice(4) : null),
  addressOf: (id) => (id.startsWith('v_') ? `web:${id}` : null),
};

describe('IRC customers: configuration', () => {
  it('takes a default team, the other teams customers may pick, and a site', () => {
    const config = ircNetworkConfigSchema.parse({
      type: 'irc',
      id: 'libera',
      server: 'ircs://irc.libera.chat',
      customers: { team: 'support', teams: ['sales'], site: 'shop' },
    });
    assert.deepEqual(config.customers, { team: 'support', teams: ['sales'], site: 'shop' });
    assert.equal(ircNetworkConfigSchema.parse({ type: 'irc', id: 'libera', server: 'ircs://irc.libera.chat' }).customers, undefined);
    assert.equal(ircNetworkConfigSchema.safeParse({ type: 'irc', id: 'x', server: 'irc://h', customers: { teams: ['sales'] } }).success, false);
    assert.equal(ircNetworkConfigSchema.safeParse({ type: 'irc', id: 'x', server: 'irc://h', customers: { team: 'a', other: 1 } }).success, false);
  });

  it('lists the teams the default first, once each', () => {
    const teams = customerTeams({ team: 'sales', teams: ['support', 'sales'] }, DESK, 'libera');
    assert.deepEqual(
      teams.map((team) => team.id),
      ['sales', 'support'],
    );
  });

  it('names a team that does not exist, and one serving several sites without the site', () => {
    assert.throws(
      () => customerTeams({ team: 'helpdesk', teams: ['sales', 'billing'] }, DESK, 'libera'),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /IRC network "libera"/);
        assert.match(error.message, /customers\.team: no team has the id "helpdesk" \(teams: support, sales, billing\)/);
        assert.match(error.message, /customers\.site: team "billing" serves several sites \(shop, blog\)/);
        return true;
      },
    );
    assert.throws(() => customerTeams({ team: 'billing', site: 'elsewhere' }, DESK, 'libera'), /customers\.site/);
    assert.equal(customerTeams({ team: 'billing', site: 'blog' }, DESK, 'libera').length, 1);
  });
});

describe('IRC customers: teams and commands', () => {
  it('writes to the default team, staying in whatever team conversation is open, until a pick', () => {
    const customers = new IrcCustomers({ team: 'support', teams: ['sales'], site: 'shop' }, DESK, 'libera');
    assert.deepEqual(customers.teamFor('Carol'), { id: 'support', site: 'shop', orOpenWith: ['sales', 'billing'] });
    assert.equal(customers.command('Carol', '/team Sales'), 'Your messages now go to Sales (sales).');
    assert.deepEqual(customers.teamFor('carol'), { id: 'sales', site: 'shop' }, 'a pick is the nick\u2019s, whatever its case');
    assert.match(customers.command('carol', '/team')!, /^You write to Sales \(sales\)\. Teams you can write to: Support \(support\), Sales \(sales\)\./);
    customers.tookUp('CAROL');
    assert.deepEqual(customers.teamFor('carol'), { id: 'support', site: 'shop', orOpenWith: ['sales', 'billing'] });
    assert.match(customers.command('carol', '/team')!, /^You write to Support \(support\), or to the team whose conversation you are in\./);
  });

  it('refuses a team that is not offered, naming those that are', () => {
    const customers = new IrcCustomers({ team: 'support', teams: ['sales'] }, DESK, 'libera');
    const answer = customers.command('dave', '/team billing')!;
    assert.match(answer, /^There is no team "billing" here\. Teams you can write to: Support \(support\), Sales \(sales\)\. Send \/team ID to pick one\.$/);
    assert.equal(customers.teamFor('dave').id, 'support');
  });

  it('answers /help, and leaves other commands to the bridge (the gateway\u2019s /to)', () => {
    const one = new IrcCustomers({ team: 'support' }, DESK, 'libera');
    assert.equal(one.command('dave', '/help'), 'Write here to reach Support (support); an agent answers here.\n/help  this list');
    assert.equal(one.command('dave', '/team'), 'Your messages go to Support (support); no other team takes messages here.');
    assert.equal(one.command('dave', '/to sip:bob@example.com hi'), null);
    const two = new IrcCustomers({ team: 'support', teams: ['sales'] }, DESK, 'libera');
    assert.match(two.command('dave', '/HELP')!, /\/team ID {2}write to that team instead/);
  });

  it('answers as the team only the customer who opened a team conversation on their network', () => {
    const conversation = { team: 'support', openedBy: 'irc:carol@libera' as Address };
    assert.equal(isTeamCustomer(conversation, 'irc:carol@libera', hosted), true);
    assert.equal(isTeamCustomer(conversation, 'irc:alice@libera', hosted), false, 'an agent of the conversation');
    assert.equal(isTeamCustomer({ openedBy: 'irc:carol@libera' }, 'irc:carol@libera', hosted), false, 'not a team conversation');
    assert.equal(isTeamCustomer({ team: 'support', openedBy: 'web:v_1' }, 'web:v_1', hosted), false, 'a website visitor');
  });
});

/** The bot's inbound side over fakes: what reaches the sink, and the notices sent back. */
function inbound(options: { customers?: IrcCustomers; agents?: Address[]; gateway?: boolean } = {}) {
  const messages: InboundMessage[] = [];
  const commands: { from: Address; text: string }[] = [];
  const notices: { nick: string; text: string }[] = [];
  const relayed: { from: Address; text: string }[] = [];
  const sink = {
    isAgent: (address: Address) => (options.agents ?? []).includes(address),
    // What the network says of the message (its place-taken callback aside).
    message: ({ onQueued: _queued, ...input }: InboundMessage) => {
      messages.push(input);
      return Promise.resolve({ id: `m${messages.length}` } as Message);
    },
    command: (input: { from: Address; text: string }) => {
      commands.push(input);
      return Promise.resolve('from the bridge');
    },
  } as unknown as InboundSink;
  const bot = { nick: 'switchboard' } as IrcConnection;
  const connections = {
    isOurs: (nick: string) => nick.toLowerCase() === 'switchboard',
    notice: (_connection: IrcConnection, nick: string, text: string) => notices.push({ nick, text }),
    answer: (_connection: IrcConnection, nick: string, text: string) => notices.push({ nick, text }),
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
    requireAccount: true,
    addresses: new IrcAddresses('libera', hosted),
    connections,
    relay,
    channel: undefined,
    customers: options.customers,
    gateway: options.gateway ?? false,
  });
  const say = async (nick: string, message: string, extra: Partial<IrcMessageEvent> = {}) => {
    handler.received(bot, undefined, { nick, ident: nick, hostname: 'h', target: 'switchboard', message, tags: {}, ...extra }, false);
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { say, messages, commands, notices, relayed };
}

describe('IRC customers: who is a customer, and what is a command', () => {
  const customers = () => new IrcCustomers({ team: 'support', teams: ['sales'], site: 'shop' }, DESK, 'libera');

  it("takes a non-agent's private words to the bot as a message to the team, with no services account", async () => {
    const { say, messages, notices } = inbound({ customers: customers() });
    await say('Carol', 'My order has not arrived', { tags: { msgid: 'x1' } });
    assert.deepEqual(messages, [
      {
        network: 'irc',
        from: 'irc:carol@libera',
        to: 'team:support',
        text: 'My order has not arrived',
        team: { id: 'support', site: 'shop', orOpenWith: ['sales', 'billing'] },
        remoteId: 'irc:carol@libera/x1',
        fromName: 'Carol',
      },
    ]);
    assert.deepEqual(notices, []);
  });

  it('runs /team and /help itself, passes other commands to the bridge (from a nick logged in to its account), and takes /me as words', async () => {
    const { say, messages, commands, notices } = inbound({ customers: customers() });
    await say('carol', '/team sales');
    await say('carol', 'Do you ship to Norway?');
    await say('carol', '/to sip:bob@example.com hello');
    await say('carol', '/to sip:bob@example.com hello again', { account: 'carol' });
    await say('carol', '/me waves');
    assert.deepEqual(
      notices.map((notice) => notice.text),
      ['Your messages now go to Sales (sales).', 'Log in to the services account "carol" to talk to visitors or use commands here.', 'from the bridge'],
    );
    assert.deepEqual(commands, [{ from: 'irc:carol@libera', text: '/to sip:bob@example.com hello again' }]);
    assert.deepEqual(
      messages.map((message) => [message.text, message.team?.id]),
      [
        ['Do you ship to Norway?', 'sales'],
        ['/me waves', 'support'],
      ],
    );
  });

  it("keeps an agent's words to the bot for its conversations, under the services account rule", async () => {
    const { say, messages, relayed, notices } = inbound({ customers: customers(), agents: ['irc:alice@libera'] });
    await say('alice', '#ab12 on its way', { account: 'alice' });
    assert.deepEqual(
      relayed.map(({ from, text }) => ({ from, text })),
      [{ from: 'irc:alice@libera', text: '#ab12 on its way' }],
    );
    await say('alice', 'again', {});
    assert.match(notices[0]!.text, /^Log in to the services account "alice"/);
    assert.equal(messages.length, 0);
  });

  it('without customers configured, answers a non-agent with what the bot is, as before', async () => {
    const { say, messages, notices } = inbound();
    await say('carol', 'hello?', { account: 'carol' });
    assert.equal(messages.length, 0);
    assert.equal(
      notices[0]!.text,
      "switchboard is the bridge of a support team: it serves the team's agents, and carol is not one of them. Your message was not delivered.",
    );
  });

  it("on a gateway, points a non-agent to /help, which lists the gateway's commands", async () => {
    const { say, notices } = inbound({ gateway: true });
    await say('carol', 'hello?', { account: 'carol' });
    assert.match(notices[0]!.text, /carol is not one of them\. Your message was not delivered\. Send \/help for what you can do here\.$/);
  });
});
