import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config.js';
import { TeamDirectory, agentLabel } from '../../src/core/desk/teams.js';

describe('how the desk names an agent in its lines', () => {
  const config = configSchema.parse({
    sites: [{ key: 'shop' }],
    store: { type: 'sqlite', path: ':memory:' },
    teams: [{ id: 'support', members: [{ name: 'Bob', addresses: ['xmpp:bob@example.org', 'web:a_bob'] }, 'web:a_wendy', 'irc:ivan@libera'] }],
  });
  const teams = new TeamDirectory(config.teams, ['shop']);

  it('by the name the team gives, then the address; a web agent as its site writes it, not as the bridge keeps it', () => {
    assert.equal(agentLabel(teams, 'xmpp:bob@example.org'), 'Bob (xmpp:bob@example.org)');
    assert.equal(agentLabel(teams, 'web:a_bob@shop'), 'Bob (web:a_bob)');
  });

  it('by the address alone for a member listed by address', () => {
    assert.equal(agentLabel(teams, 'web:a_wendy@shop'), 'web:a_wendy');
    assert.equal(agentLabel(teams, 'irc:ivan@libera'), 'irc:ivan@libera');
  });
});
