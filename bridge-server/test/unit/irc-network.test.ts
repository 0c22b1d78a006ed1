import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { parseConfig } from '../../src/config.js';
import { ircNetworkConfigSchema, serverOf } from '../../src/networks/irc/config.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import { FloodWriter } from '../../src/networks/irc/flood.js';
import { PuppetPool } from '../../src/networks/irc/puppets.js';
import { NetworkError } from '../../src/networks/network.js';
import { validateNetworks } from '../../src/networks/registry.js';
import { ConversationRefs } from '../../src/networks/refs.js';

describe('IRC network config', () => {
  it('fills safe defaults and reads the server URL', () => {
    const config = ircNetworkConfigSchema.parse({ type: 'irc', id: 'libera', server: 'ircs://irc.libera.chat' });
    assert.equal(config.mode, 'puppet');
    assert.deepEqual(config.flood, { burst: 5, linesPerSecond: 3, window: 5 });
    assert.deepEqual(serverOf(config), { host: 'irc.libera.chat', port: 6697, tls: true });
    assert.deepEqual(serverOf({ ...config, server: 'irc://127.0.0.1:6668' }), { host: '127.0.0.1', port: 6668, tls: false });
  });

  it('names the wrong field of a bad entry', () => {
    const config = parseConfig(
      {
        server: { port: 0 },
        store: { type: 'sqlite', path: ':memory:' },
        sites: [{ key: 'site', origins: ['http://shop.test'] }],
        networks: [{ type: 'irc', id: 'Libera Chat', server: 'http://x', nick: '1bad', channel: 'support', flood: { window: 0 } }],
      },
      'test.json',
    );
    assert.throws(
      () => validateNetworks(config),
      (error: Error) => {
        for (const field of ['networks[0].id', 'networks[0].server', 'networks[0].nick', 'networks[0].channel', 'networks[0].flood.window']) {
          assert.ok(error.message.includes(field), `${field} in ${error.message}`);
        }
        return true;
      },
    );
  });

  it('lowercases IRC team members, as nicks compare case-insensitively', () => {
    const config = parseConfig(
      {
        store: { type: 'sqlite', path: ':memory:' },
        sites: [{ key: 'site', origins: ['http://shop.test'] }],
        teams: [{ id: 'support', members: ['irc:Alice@libera', 'web:a_Bob'] }],
      },
      'test.json',
    );
    assert.deepEqual(config.teams[0]!.members, ['irc:alice@libera', 'web:a_Bob']);
  });
});

describe('conversation refs', () => {
  it('gives each conversation a ref of its own and routes "#ref text" or the latest', () => {
    const refs = new ConversationRefs();
    const a = refs.refOf('c_0000000000aaaaa');
    const b = refs.refOf('c_1111111111aaaaa'); // same tail: lengthened
    assert.equal(a, 'aaaaa');
    assert.equal(b, '1aaaaa');
    assert.deepEqual(refs.route('irc:x@n', `#${b}: hello`), { conversationId: 'c_1111111111aaaaa', text: 'hello' });
    assert.match((refs.route('irc:x@n', 'hello') as { error: string }).error, /No visitor has written to you yet/);
    refs.setLatest('irc:x@n', 'c_0000000000aaaaa');
    assert.deepEqual(refs.route('irc:x@n', 'hello'), { conversationId: 'c_0000000000aaaaa', text: 'hello' });
    assert.match((refs.route('irc:x@n', '#zzzzz hi') as { error: string }).error, /No conversation has the ref #zzzzz/);
    // A ref alone names a conversation with nothing to send: never the latest visitor's text.
    for (const alone of [`#${b}`, `#${b}:`, ` #${b.toUpperCase()} `]) {
      assert.match((refs.route('irc:x@n', alone) as { error: string }).error, new RegExp(`^Nothing to send to #${b}`, 'i'), alone);
    }
    assert.deepEqual(
      refs.route('irc:x@n', `#${b}`),
      { error: `Nothing to send to #${b}: write the text after the ref (e.g. "#${b} Hello").` },
      'as documented',
    );
    assert.match((refs.route('irc:x@n', '#zzzzz') as { error: string }).error, /No conversation has the ref #zzzzz/);
    assert.deepEqual(refs.route('irc:x@n', '#zzzzz!'), { conversationId: 'c_0000000000aaaaa', text: '#zzzzz!' }, 'no ref: text');
  });

  it('refuses a plain reply to a latest conversation closed since, and takes it by its ref or once it opened again', () => {
    const refs = new ConversationRefs();
    const ref = refs.refOf('c_0000000000bbbbb');
    refs.setLatest('irc:x@n', 'c_0000000000bbbbb');
    refs.setClosed('c_0000000000bbbbb', true);
    assert.deepEqual(refs.route('irc:x@n', 'one more thing'), {
      error: `#${ref} is closed: your message was not delivered. To open it again, write "#${ref} your text"; to answer another visitor, use its ref.`,
    });
    // Named on purpose, or answered as a reply to one of its messages: it goes (and opens it again).
    assert.deepEqual(refs.route('irc:x@n', `#${ref} one more thing`), { conversationId: 'c_0000000000bbbbb', text: 'one more thing' });
    assert.deepEqual(refs.route('irc:x@n', 'one more thing', 'c_0000000000bbbbb'), { conversationId: 'c_0000000000bbbbb', text: 'one more thing' });
    refs.setClosed('c_0000000000bbbbb', false);
    assert.deepEqual(refs.route('irc:x@n', 'one more thing'), { conversationId: 'c_0000000000bbbbb', text: 'one more thing' });
  });
});

describe('IRC flood writer', () => {
  it('waits for the PONG after each window of lines, and keeps order', async () => {
    const written: string[] = [];
    const writer = new FloodWriter({ write: async (line) => void written.push(line) }, { burst: 100, linesPerSecond: 100, window: 2, confirmTimeoutMs: 5000 });
    const done = Promise.all(['a', 'b', 'c', 'd'].map((line) => writer.send(line)));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ['a', 'b', 'PING sb1'], 'the third line waits for the confirmation');
    writer.pong('other'); // a PONG for someone else's PING changes nothing
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(written.length, 3);
    writer.pong('sb1');
    await done;
    assert.deepEqual(written, ['a', 'b', 'PING sb1', 'c', 'd'], 'no PING until a line waits behind a full window');
  });

  it('fails waiting lines (retryably) when the connection is gone', async () => {
    const writer = new FloodWriter({ write: async () => undefined }, { burst: 1, linesPerSecond: 0.001, window: 5, confirmTimeoutMs: 5000 });
    await writer.send('first');
    const second = writer.send('second');
    assert.equal(writer.depth, 1);
    writer.reset('connection lost');
    await assert.rejects(second, (error: unknown) => error instanceof NetworkError && error.retryable);
  });
});

describe('IRC puppet pool', () => {
  /** A stand-in connection: the pool only opens, names and closes it. */
  function fakeConnection(nick: string, opens = true) {
    return {
      nick,
      closed: '' as string,
      open: () => (opens ? Promise.resolve() : Promise.reject(new Error('Closing Link: banned'))),
      close(message: string) {
        this.closed = message;
      },
    };
  }

  it('caps puppets, quits idle ones, and relays visitors the server refused', async () => {
    const made: ReturnType<typeof fakeConnection>[] = [];
    const pool = new PuppetPool({
      max: 2,
      idleMs: 60_000,
      logger: pino({ level: 'silent' }),
      create: (_visitor, name) => {
        const connection = fakeConnection(name, name !== 'Banned');
        made.push(connection);
        return connection as unknown as IrcConnection;
      },
    });
    try {
      assert.ok(await pool.acquire('web:v_1', 'Ann'));
      assert.equal(await pool.acquire('web:v_1', 'Ann'), made[0], 'the same puppet again');
      assert.equal(await pool.acquire('web:v_2', 'Banned'), null, 'refused: relayed');
      assert.equal(await pool.acquire('web:v_2', 'Banned'), null, 'and not tried again');
      assert.ok(await pool.acquire('web:v_3', 'Cid'));
      assert.equal(await pool.acquire('web:v_4', 'Dee'), null, 'past the cap: relayed');
      assert.equal(pool.visitorOf('cid'), 'web:v_3');
      pool.sweep(Date.now() + 60_001);
      assert.equal(pool.size, 0);
      assert.equal(made[0]!.closed, 'Visitor left');
      assert.ok(await pool.acquire('web:v_4', 'Dee'), 'room again after the idle ones quit');
    } finally {
      pool.closeAll('test over');
    }
  });

  it('keeps a puppet while another open conversation of its visitor speaks through it, and quits with the last one closed', async () => {
    const made: ReturnType<typeof fakeConnection>[] = [];
    const pool = new PuppetPool({
      max: 3,
      idleMs: 60_000,
      logger: pino({ level: 'silent' }),
      create: (_visitor, name) => {
        made.push(fakeConnection(name));
        return made.at(-1) as unknown as IrcConnection;
      },
    });
    try {
      // One visitor, two teams' agents on IRC: one puppet speaks in both conversations.
      await pool.acquire('web:v_1', 'Ann', 'c_sales');
      await pool.acquire('web:v_1', 'Ann', 'c_support');
      pool.release('web:v_1', 'Conversation closed', 'c_sales');
      assert.equal(made[0]!.closed, '', 'still there for the other conversation');
      assert.equal(pool.get('web:v_1'), made[0]);
      pool.release('web:v_1', 'Conversation closed', 'c_sales');
      assert.equal(made[0]!.closed, '', 'a close told twice changes nothing');
      pool.release('web:v_1', 'Conversation closed', 'c_support');
      assert.equal(made[0]!.closed, 'Conversation closed');
      assert.equal(pool.size, 0);
    } finally {
      pool.closeAll('test over');
    }
  });

  it("gives sends that come while a visitor's puppet registers the puppet once it is registered (or null when refused)", async () => {
    const opening: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const pool = new PuppetPool({
      max: 5,
      idleMs: 60_000,
      logger: pino({ level: 'silent' }),
      create: (_visitor, name) =>
        ({
          nick: name,
          open: () => new Promise<void>((resolve, reject) => opening.push({ resolve, reject })),
          close: () => undefined,
        }) as unknown as IrcConnection,
    });
    try {
      const first = pool.acquire('web:v_1', 'Ann');
      const second = pool.acquire('web:v_1', 'Ann');
      assert.equal(opening.length, 1, 'one connection for both');
      opening[0]!.resolve();
      assert.equal(await second, await first);
      assert.ok(await first);
      const refusedFirst = pool.acquire('web:v_2', 'Bob');
      const refusedSecond = pool.acquire('web:v_2', 'Bob');
      opening[1]!.reject(new Error('Closing Link: banned'));
      assert.equal(await refusedFirst, null);
      assert.equal(await refusedSecond, null);
    } finally {
      pool.closeAll('test over');
    }
  });
});
