// Signing out (src/console/sessions.ts): the session's key comes back only when a session was
// ended, so a made-up cookie announces nothing to the other nodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSOLE_DEFAULTS } from '../../src/console/config.js';
import { AgentSessions, sessionKey } from '../../src/console/sessions.js';

describe('console sessions', () => {
  it('revokes a running session by its key, and answers none for an id no session has', async () => {
    const stored = new Set([sessionKey('real-session')]);
    const sessions = new AgentSessions({
      store: {
        createAgentSession: () => Promise.reject(new Error('not used')),
        agentSession: () => Promise.resolve(null),
        deleteAgentSession: (key: string) => Promise.resolve(stored.delete(key)),
        deleteExpiredAgentSessions: () => Promise.resolve(0),
      },
      console: CONSOLE_DEFAULTS,
      sites: [],
      teams: [],
      now: () => 0,
    });
    assert.equal(await sessions.revoke('real-session'), sessionKey('real-session'));
    assert.equal(await sessions.revoke('real-session'), undefined, 'already ended');
    assert.equal(await sessions.revoke('made-up'), undefined);
    assert.equal(await sessions.revoke(undefined), undefined);
  });
});
