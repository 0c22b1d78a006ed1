// The desk command box's language and completion (console/src/desk-commands.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DirectoryTeam } from '../../src/desk-api.js';
import { bridgeLine, completions, parseCommand } from '../../src/desk-commands.js';

const teams: DirectoryTeam[] = [
  {
    id: 'support',
    name: 'Support',
    available: true,
    online: 1,
    members: [
      { id: 'web:a_alice', name: 'Alice', addresses: ['web:a_alice'], status: 'available' },
      { id: 'web:a_bob', addresses: ['web:a_bob'], status: 'away' },
    ],
  },
  { id: 'sales', name: 'Sales', available: false, online: 0, members: [{ id: 'web:a_alice', name: 'Alice', addresses: ['web:a_alice'], status: 'available' }] },
];

describe('desk commands', () => {
  it('reads claim, close, note, transfer to a team or an agent, and assign to an agent', () => {
    assert.deepEqual(parseCommand('claim', teams), { kind: 'claim' });
    assert.deepEqual(parseCommand(' :Close ', teams), { kind: 'close' });
    assert.deepEqual(parseCommand('note  Refund  sent', teams), { kind: 'note', text: 'Refund  sent' });
    assert.deepEqual(parseCommand('transfer sales', teams), { kind: 'transfer', to: { team: 'sales' } });
    assert.deepEqual(parseCommand('transfer web:a_bob', teams), { kind: 'transfer', to: { agent: 'web:a_bob' } });
    assert.deepEqual(parseCommand('assign alice', teams), { kind: 'transfer', to: { agent: 'web:a_alice' } });
  });

  it("takes a line starting with / as one of the bridge's desk commands, about the open conversation when it names none", () => {
    assert.deepEqual(parseCommand(' /block xmpp:mallory@example.com ', teams), { kind: 'bridge', text: '/block xmpp:mallory@example.com' });
    assert.deepEqual(parseCommand(':/blocked', teams), { kind: 'bridge', text: '/blocked' });
    assert.deepEqual(parseCommand('/', teams), { problem: 'unknown', word: '/' });
    assert.equal(bridgeLine('/block', 'c_01JD8ZQ3FA'), '/block 01jd8zq3fa');
    assert.equal(bridgeLine('/Whois', 'c_01JD8ZQ3FA'), '/Whois 01jd8zq3fa');
    assert.equal(bridgeLine('/block irc:dave@libera', 'c_01JD8ZQ3FA'), '/block irc:dave@libera');
    assert.equal(bridgeLine('/blocked', 'c_01JD8ZQ3FA'), '/blocked', 'a command about no conversation goes as typed');
    assert.equal(bridgeLine('/block', undefined), '/block', 'none open: the bridge says how to use it');
    // A count alone: the open conversation's last messages (docs/support-desk.md's `/history 5`).
    assert.equal(bridgeLine('/history 5', 'c_01JD8ZQ3FA'), '/history 01jd8zq3fa 5');
    assert.equal(bridgeLine('/history 3fa9c 5', 'c_01JD8ZQ3FA'), '/history 3fa9c 5', 'a ref given: as typed');
    assert.equal(bridgeLine('/history 5', undefined), '/history 5');
  });

  it('says what is wrong with a command it cannot run', () => {
    assert.deepEqual(parseCommand('dance', teams), { problem: 'unknown', word: 'dance' });
    assert.deepEqual(parseCommand('note', teams), { problem: 'needsText' });
    assert.deepEqual(parseCommand('transfer', teams), { problem: 'needsTarget' });
    assert.deepEqual(parseCommand('transfer nobody', teams), { problem: 'noSuchTarget', word: 'nobody' });
    // assign takes agents only: a team is no one to assign to.
    assert.deepEqual(parseCommand('assign sales', teams), { problem: 'noSuchTarget', word: 'sales' });
  });

  it('completes command names, then the teams and agents of transfer and assign', () => {
    assert.deepEqual(completions('c', teams), ['claim', 'close']);
    assert.deepEqual(completions('', teams), ['claim', 'close', 'note', 'transfer', 'assign']);
    assert.deepEqual(completions('transfer ', teams), ['transfer support', 'transfer sales', 'transfer web:a_alice', 'transfer web:a_bob']);
    assert.deepEqual(completions('assign web:a_b', teams), ['assign web:a_bob']);
    assert.deepEqual(completions('transfer sales', teams), []);
    assert.deepEqual(completions('note some', teams), []);
  });
});
