import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import type { TeamConfig } from '../../src/config.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import { FirstContacts } from '../../src/core/first-contact.js';
import type { ConversationRecord } from '../../src/store/store.js';

const team = (id: string, sites?: string[]): TeamConfig =>
  ({
    id,
    members: [],
    agents: [],
    routing: 'first-available',
    capacity: 10,
    offerTimeoutSeconds: 60,
    afterClose: 'reopen',
    ...(sites ? { sites } : {}),
  }) as unknown as TeamConfig;

/** First contacts over a directory of teams, recording what they ask the conversations to open. */
function firstContacts(teams: TeamConfig[], siteKeys: string[]) {
  const opened: { siteKey: string; openedBy: Address; team: string }[] = [];
  const contacts = new FirstContacts({
    store: { findOpenConversation: () => Promise.resolve(null) },
    teams: new TeamDirectory(teams, siteKeys),
    logger: pino({ level: 'silent' }),
    conversations: {
      openWithTeamGreetingLater: ({ siteKey, openedBy, team: { id } }) => {
        opened.push({ siteKey, openedBy, team: id });
        return Promise.resolve({ conversation: { id: `c${opened.length}`, siteKey, openedBy, team: id } as ConversationRecord });
      },
    },
  });
  return { contacts, opened };
}

describe('first contact: a customer writing to a team on their own network', () => {
  it("opens the conversation on the site of a team that serves one, whatever the network's site", async () => {
    const { contacts, opened } = firstContacts([team('support', ['shop'])], ['shop', 'blog']);
    assert.ok(await contacts.conversationFor('xmpp:carol@example.org', { id: 'support', site: 'blog' }));
    assert.deepEqual(opened, [{ siteKey: 'shop', openedBy: 'xmpp:carol@example.org', team: 'support' }]);
  });

  it("uses the network's site for a team that serves several, and refuses without one", async () => {
    const { contacts, opened } = firstContacts([team('sales')], ['shop', 'blog']);
    assert.ok(await contacts.conversationFor('xmpp:carol@example.org', { id: 'sales', site: 'blog' }));
    assert.equal(await contacts.conversationFor('xmpp:carol@example.org', { id: 'sales' }), null);
    assert.equal(await contacts.conversationFor('xmpp:carol@example.org', { id: 'sales', site: 'elsewhere' }), null);
    assert.deepEqual(
      opened.map((o) => o.siteKey),
      ['blog'],
    );
  });

  it('refuses a team that does not exist', async () => {
    const { contacts, opened } = firstContacts([team('support')], ['shop']);
    assert.equal(await contacts.conversationFor('xmpp:carol@example.org', { id: 'billing' }), null);
    assert.equal(opened.length, 0);
  });

  it('continues the most recently active open conversation of the addressed team and the others named, else none', async () => {
    const open: Record<string, string> = { support: '2026-12-01T10:00:00.000Z', sales: '2026-12-01T11:00:00.000Z' };
    const contacts = new FirstContacts({
      store: {
        findOpenConversation: ({ team: id }) =>
          Promise.resolve(id && open[id] ? ({ id: `c-${id}`, team: id, updatedAt: open[id] } as ConversationRecord) : null),
      },
      teams: new TeamDirectory([team('support'), team('sales'), team('billing')], ['shop']),
      logger: pino({ level: 'silent' }),
      conversations: { openWithTeamGreetingLater: () => Promise.reject(new Error('not here')) },
    });
    const customer = 'irc:carol@libera';
    assert.equal((await contacts.openConversationOf(customer, { id: 'support' }))?.id, 'c-support');
    assert.equal((await contacts.openConversationOf(customer, { id: 'support', orOpenWith: ['sales', 'billing', 'nosuch'] }))?.id, 'c-sales');
    assert.equal((await contacts.openConversationOf(customer, { id: 'billing', orOpenWith: ['support'] }))?.id, 'c-support');
    assert.equal(await contacts.openConversationOf(customer, { id: 'billing' }), null);
  });
});
