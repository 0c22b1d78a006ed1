// `/transfer ID AGENT` over a real SQLite store: the answer says when the agent it goes to is not
// available (offline, away, busy), so whoever handed it on knows the visitor may wait.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { configSchema } from '../../src/config.js';
import { AgentCommands, type CommandDeps } from '../../src/core/desk/commands.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import { RefBook } from '../../src/networks/refs.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ERIN = 'xmpp:erin@example.org';
const CAROL = 'irc:carol@libera';

describe('/transfer to an agent', () => {
  let dir: string;
  let store: SqliteStore;
  let commands: AgentCommands;
  const refs = new RefBook();
  const presence = new Map<Address, PresenceStatus>();
  const transfers: { conversationId: string; to: unknown }[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-transfer-'));
    store = new SqliteStore({ path: join(dir, 'store.db') });
    await store.open();
    const config = configSchema.parse({
      sites: [{ key: 'shop' }],
      store: { type: 'sqlite', path: ':memory:' },
      teams: [{ id: 'support', members: [ERIN, CAROL] }],
    });
    transfers.length = 0;
    const deps = {
      store,
      teams: new TeamDirectory(config.teams, ['shop']),
      refs,
      presence: { get: (address: Address) => ({ address, status: presence.get(address) ?? 'offline' }) },
      transfer: (conversationId: string, to: unknown) => (transfers.push({ conversationId, to }), store.getConversation(conversationId)),
    } satisfies Partial<Record<keyof CommandDeps, unknown>>;
    commands = new AgentCommands(deps as unknown as CommandDeps);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const opened = async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_dana@shop', participants: ['web:v_dana@shop'], team: 'support' });
    return { id: c.id, ref: refs.refOf(c.id) };
  };

  // An agent with no name in the config is named by the address alone (not "irc:carol@libera (irc:carol@libera)").
  for (const [status, said] of [
    ['available', (ref: string) => `#${ref} is now with ${CAROL}.`],
    ['offline', (ref: string) => `#${ref} is now with ${CAROL}, who is offline: they see it when they are back.`],
    ['away', (ref: string) => `#${ref} is now with ${CAROL}, who is away.`],
    ['busy', (ref: string) => `#${ref} is now with ${CAROL}, who is busy.`],
  ] as const) {
    it(`hands it to an agent who is ${status}, and says so`, async () => {
      presence.set(CAROL, status);
      const { id, ref } = await opened();
      assert.equal(await commands.run(ERIN, `/transfer ${ref} carol`), said(ref));
      assert.deepEqual(transfers, [{ conversationId: id, to: { agent: CAROL } }]);
    });
  }
});
