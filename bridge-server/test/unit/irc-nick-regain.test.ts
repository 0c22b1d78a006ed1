// A connection registered under another nick asks for its own again: when the holder quits or
// renames where it sees them, and every retry interval; never once it has it. A puppet wants back
// the nick it first had, the bot its configured one. Against a real ngircd:
// integration/irc-nick-regain.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Client } from 'irc-framework';
import pino from 'pino';
import { MAX_RETRY_MS, NickRegain } from '../../src/networks/irc/nick-regain.js';

const logger = pino({ level: 'silent' });
const RETRY_MS = 60_000;

function standIn(nick: string, ownNick: 'configured' | 'first' = 'configured') {
  const client = Object.assign(new EventEmitter(), { user: { nick } });
  const sent: string[] = [];
  const regain = new NickRegain({
    client: client as unknown as Client,
    configured: () => 'Desk',
    ownNick,
    casemapping: () => 'rfc1459',
    send: (line) => sent.push(line),
    retryMs: RETRY_MS,
    logger,
  });
  /** The server renamed a user (us included: irc-framework updates `user.nick` first). */
  const rename = (from: string, to: string) => {
    if (client.user.nick === from) client.user.nick = to;
    client.emit('nick', { nick: from, new_nick: to });
  };
  return { client, sent, regain, rename };
}

describe('winning back an IRC nick', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('asks nothing when registration gave the nick (compared with the server case mapping)', () => {
    const { client, sent, regain } = standIn('desk');
    regain.start('desk');
    client.emit('quit', { nick: 'Desk' });
    mock.timers.tick(RETRY_MS * 3);
    assert.deepEqual(sent, []);
  });

  it('asks after the retry interval while the nick is held, and stops once it is ours', () => {
    const { sent, regain, rename } = standIn('desk_');
    regain.start('desk_');
    assert.deepEqual(sent, []);
    mock.timers.tick(RETRY_MS);
    assert.deepEqual(sent, ['NICK Desk']);
    mock.timers.tick(RETRY_MS * 2);
    assert.deepEqual(sent, ['NICK Desk', 'NICK Desk']);
    rename('desk_', 'Desk');
    mock.timers.tick(MAX_RETRY_MS * 2);
    assert.equal(sent.length, 2, 'no more asking once the nick is ours');
  });

  it('waits twice as long after each ask, up to the longest wait: a nick someone uses is not asked for every minute', () => {
    const { sent, regain } = standIn('desk_');
    regain.start('desk_');
    const askedAt: number[] = [];
    let elapsed = 0;
    for (let minute = 1; minute <= 180; minute++) {
      const before = sent.length;
      mock.timers.tick(60_000);
      elapsed += 60_000;
      if (sent.length > before) askedAt.push(elapsed / 60_000);
    }
    // 1, 1+2, 3+4, 7+8, 15+16, then every 30 minutes.
    assert.deepEqual(askedAt, [1, 3, 7, 15, 31, 61, 91, 121, 151]);
  });

  it('a new registration starts again from the retry interval', () => {
    const { sent, regain } = standIn('desk_');
    regain.start('desk_');
    for (let minute = 1; minute <= 31; minute++) mock.timers.tick(60_000);
    assert.equal(sent.length, 5);
    regain.stop();
    regain.start('desk_');
    mock.timers.tick(RETRY_MS);
    assert.equal(sent.length, 6);
  });

  it("asks at once when the holder quits or renames, not for others' quits and renames", () => {
    const { client, sent, regain, rename } = standIn('desk_');
    regain.start('desk_');
    client.emit('quit', { nick: 'alice' });
    rename('bob', 'bobby');
    assert.deepEqual(sent, []);
    client.emit('quit', { nick: 'DESK' });
    assert.deepEqual(sent, ['NICK Desk']);
    rename('desk', 'desk|away');
    assert.deepEqual(sent, ['NICK Desk', 'NICK Desk']);
  });

  it('stops asking when the connection drops, and starts again at the next registration', () => {
    const { client, sent, regain } = standIn('desk_');
    regain.start('desk_');
    regain.stop();
    client.emit('quit', { nick: 'desk' });
    mock.timers.tick(RETRY_MS * 2);
    assert.deepEqual(sent, []);
    regain.start('desk2');
    mock.timers.tick(RETRY_MS);
    assert.deepEqual(sent, ['NICK Desk']);
  });
});

describe('which nick a connection wants back', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('a puppet first registered under another nick keeps it: the agent already writes to it', () => {
    const { sent, regain } = standIn('Desk|74b', 'first');
    regain.start('Desk|74b');
    mock.timers.tick(RETRY_MS * 2);
    assert.deepEqual(sent, []);
  });

  it('a puppet back from a drop under another nick asks for the one it had', () => {
    const { sent, regain, client } = standIn('Desk|74b', 'first');
    regain.start('Desk|74b');
    regain.stop();
    client.user.nick = 'Desk|74b2';
    regain.start('Desk|74b2');
    mock.timers.tick(RETRY_MS);
    assert.deepEqual(sent, ['NICK Desk|74b']);
  });

  it('the bot asks for its configured nick, even at its first registration', () => {
    const { sent, regain } = standIn('Desk|74b', 'configured');
    regain.start('Desk|74b');
    mock.timers.tick(RETRY_MS);
    assert.deepEqual(sent, ['NICK Desk']);
  });
});
