// What the network's IRC connections say to a server as they register: the bot logs in to its
// account with SASL, a visitor's puppet does not. ngircd (the integration tests' server) offers no
// SASL, so a loopback server that speaks the registration of IRCv3 SASL records each connection's lines.
import assert from 'node:assert/strict';
import { type Socket, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import { ircNetworkConfigSchema } from '../../src/networks/irc/config.js';
import { IrcConnections } from '../../src/networks/irc/connections.js';
import type { HostedParties, InboundSink } from '../../src/networks/network.js';

/**
 * A server that answers CAP LS with `sasl` and accepts any PLAIN login (`ok`), refuses it with 904
 * (`refused`), or offers no SASL (`none`); it welcomes each connection once registered.
 */
function saslServer(sasl: 'ok' | 'refused' | 'none' = 'ok', moreCaps = '') {
  const sessions: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const lines: string[] = [];
    sessions.push(lines);
    let nick = '*';
    let buffered = '';
    const say = (line: string) => socket.write(`:irc.test ${line}\r\n`);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        lines.push(line);
        const [command, ...params] = line.split(' ');
        if (command === 'NICK') nick = params[0]!;
        else if (line.startsWith('CAP LS')) say(`CAP * LS :${sasl === 'none' ? 'multi-prefix' : 'sasl'}${moreCaps ? ` ${moreCaps}` : ''}`);
        else if (line.startsWith('CAP REQ')) say(`CAP * ACK :${line.slice(line.indexOf(':') + 1)}`);
        else if (line === 'AUTHENTICATE PLAIN') socket.write('AUTHENTICATE +\r\n');
        else if (command === 'AUTHENTICATE') say(sasl === 'ok' ? `903 ${nick} :SASL authentication successful` : `904 ${nick} :SASL authentication failed`);
        else if (line === 'CAP END') say(`001 ${nick} :Welcome`);
        else if (command === 'PING') say(`PONG irc.test :${params.join(' ').replace(/^:/, '')}`);
      }
    });
  });
  return { server, sessions, close: () => (sockets.forEach((socket) => socket.destroy()), new Promise((resolve) => server.close(resolve))) };
}

/** The network's connections to a server on `port`, the bot logging in as `shopdesk` with `password`. */
function connectionsTo(port: number, password: string, logger = pino({ level: 'silent' }), requireAccount = false): IrcConnections {
  const hosted = { isHosted: () => true, isVisitor: () => true, idOf: () => 'v_dana', addressOf: () => null } as HostedParties;
  return new IrcConnections({
    config: ircNetworkConfigSchema.parse({
      type: 'irc',
      id: 'test',
      server: `irc://127.0.0.1:${port}`,
      nick: 'shopdesk',
      sasl: { account: 'shopdesk', password },
      requireAccount,
    }),
    sink: { status: () => {}, isAgent: (address: string) => address === 'web:a_wendy' } as unknown as InboundSink,
    logger,
    hosted,
    addresses: new IrcAddresses('test', hosted),
    onBotOnline: () => {},
    onBotOffline: () => {},
    onPuppet: () => {},
    reserved: () => false,
  });
}

describe('IRC registration with SASL', () => {
  const fake = saslServer();
  let connections: IrcConnections;

  before(async () => {
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as { port: number };
    connections = connectionsTo(port, 'desk-password');
  });

  after(async () => {
    await connections.closeAll('done').catch(() => undefined);
    await fake.close();
  });

  it("logs the bot in to the bot's account, and a visitor's puppet to none", async () => {
    await connections.bot.open();
    const puppet = await connections.puppetFor('web:v_dana@shop', 'Dana');
    assert.ok(puppet, 'the puppet registered');
    const [bot = [], visitor = []] = fake.sessions;
    assert.ok(bot.includes('AUTHENTICATE PLAIN'), `the bot's lines: ${bot.join(' | ')}`);
    assert.ok(bot.includes(`AUTHENTICATE ${Buffer.from('shopdesk\0shopdesk\0desk-password').toString('base64')}`));
    assert.ok(
      visitor.some((line) => line.startsWith('NICK ')),
      `the puppet's lines: ${visitor.join(' | ')}`,
    );
    assert.deepEqual(
      visitor.filter((line) => line.startsWith('AUTHENTICATE') || /^CAP REQ .*sasl/.test(line)),
      [],
    );
  });

  it("connects no puppet for a team's words or an agent's: the bot relays them", async () => {
    const before = fake.sessions.length;
    assert.equal(await connections.puppetFor('team:support', 'Support'), null);
    assert.equal(await connections.puppetFor('web:a_wendy', 'Wendy'), null);
    assert.equal(fake.sessions.length, before, 'no connection made');
  });
});

describe('IRC registration where SASL does not log the bot in', () => {
  for (const sasl of ['none', 'refused'] as const) {
    it(`comes online and says why in the log when the server ${sasl === 'none' ? 'offers no SASL' : 'refuses the login'}`, async () => {
      const fake = saslServer(sasl);
      await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
      const { port } = fake.server.address() as { port: number };
      const logged: { msg: string; account?: string }[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line) as { msg: string; account?: string }) });
      const connections = connectionsTo(port, 'wrong', logger);
      try {
        await connections.bot.open();
        assert.equal(connections.bot.state, 'online');
        const said = logged.filter((entry) => /SASL/.test(entry.msg));
        assert.equal(said.length, 1, JSON.stringify(logged));
        assert.match(said[0]!.msg, sasl === 'none' ? /offers no SASL/ : /SASL login refused/);
        assert.equal(said[0]!.account, 'shopdesk');
      } finally {
        await connections.closeAll('done').catch(() => undefined);
        await fake.close();
      }
    });
  }
});

describe('IRC agents required to be logged in, on a server without account tags', () => {
  for (const accountTags of [false, true]) {
    it(`${accountTags ? 'says nothing when the server tags messages with the account' : 'warns in the log that every agent is refused when the server does not tag messages with the account'}`, async () => {
      const fake = saslServer('ok', accountTags ? 'account-tag' : '');
      await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
      const { port } = fake.server.address() as { port: number };
      const logged: { msg: string }[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line) as { msg: string }) });
      const connections = connectionsTo(port, 'desk-password', logger, true);
      try {
        await connections.bot.open();
        assert.equal(connections.bot.state, 'online');
        const said = logged.filter((entry) => /account-tag/.test(entry.msg));
        if (accountTags) assert.deepEqual(said, []);
        else
          assert.match(
            said[0]?.msg ?? JSON.stringify(logged),
            /requireAccount is set, but the server does not tag messages with the account .*every message and command of an agent is refused/,
          );
      } finally {
        await connections.closeAll('done').catch(() => undefined);
        await fake.close();
      }
    });
  }
});
