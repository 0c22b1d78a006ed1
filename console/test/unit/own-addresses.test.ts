// The signed-in agent's addresses and the agents' names, from the directory (own-addresses.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DirectoryTeam } from '../../src/desk-api.js';
import { agentNames, ownAddresses } from '../../src/own-addresses.js';

const TEAMS: DirectoryTeam[] = [
  {
    id: 'support',
    name: 'Support',
    available: true,
    online: 2,
    members: [
      { id: 'carol', name: 'Carol', addresses: ['sip:carol@example.com', 'web:a_carol'], status: 'available' },
      { id: 'web:a_wendy', addresses: ['web:a_wendy'], status: 'available' },
    ],
  },
  {
    id: 'sales',
    name: 'Sales',
    available: false,
    online: 0,
    members: [{ id: 'carol', name: 'Carol', addresses: ['xmpp:carol@example.com'], status: 'offline' }],
  },
];

describe("the console's agent", () => {
  it('is every address the teams list for the signed-in agent: a conversation on their SIP address is theirs too', () => {
    assert.deepEqual(ownAddresses(TEAMS, 'web:a_carol'), ['web:a_carol', 'sip:carol@example.com']);
    assert.deepEqual(ownAddresses(TEAMS, 'web:a_wendy'), ['web:a_wendy']);
    // Before the directory came, or for an agent it does not list: the session's address alone.
    assert.deepEqual(ownAddresses([], 'web:a_carol'), ['web:a_carol']);
    assert.deepEqual(ownAddresses(TEAMS, undefined), []);
  });

  it('names agents as their teams do, on each of their addresses', () => {
    const names = agentNames(TEAMS);
    assert.deepEqual(
      [names.get('sip:carol@example.com'), names.get('web:a_carol'), names.get('xmpp:carol@example.com'), names.get('web:a_wendy')],
      ['Carol', 'Carol', 'Carol', undefined],
    );
  });
});
