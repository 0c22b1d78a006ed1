// `/whois` and `/history` without an ID, over a real SQLite store: they read the agent's latest
// conversation (as `/canned` sends to it), and only one of the agent's teams.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { configSchema } from '../../src/config.js';
import { AgentCommands, type CommandDeps } from '../../src/core/desk/commands.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import { RefBook } from '../../src/networks/refs.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ERIN = 'xmpp:erin@example.org';
const DANA = 'web:v_dana@shop';

describe('/whois and /history without an ID', () => {
  let dir: string;
  let store: SqliteStore;
  let commands: AgentCommands;
  const refs = new RefBook();
  const latest = new Map<Address, string>();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-latest-'));
    store = new SqliteStore({ path: join(dir, 'store.db') });
    await store.open();
    const config = configSchema.parse({
      sites: [{ key: 'shop' }],
      store: { type: 'sqlite', path: ':memory:' },
      teams: [
        { id: 'support', members: [ERIN] },
        { id: 'billing', members: ['xmpp:zed@example.org'] },
      ],
    });
    latest.clear();
    const deps = {
      store,
      teams: new TeamDirectory(config.teams, ['shop']),
      refs,
      latestOf: (agent: Address) => latest.get(agent),
      identityOf: () => Promise.resolve(undefined),
    } satisfies Partial<Record<keyof CommandDeps, unknown>>;
    commands = new AgentCommands(deps as unknown as CommandDeps);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const conversation = async (team: string) => {
    await store.upsertParty({ address: DANA, siteKey: 'shop', role: 'visitor', name: 'Dana', pageUrl: 'https://shop.example/tents', verified: false });
    const c = await store.createConversation({ siteKey: 'shop', openedBy: DANA, participants: [DANA], team });
    return { id: c.id, ref: refs.refOf(c.id) };
  };

  it("reads the agent's latest conversation", async () => {
    const { id, ref } = await conversation('support');
    latest.set(ERIN, id);
    const whois = await commands.run(ERIN, '/whois');
    assert.equal(whois.split('\n')[0], `#${ref}: Dana`);
    assert.equal(whois, await commands.run(ERIN, `/whois ${ref}`), 'as with its ID');
    assert.equal(await commands.run(ERIN, '/history'), `#${ref} has no messages yet.`);
  });

  it("shows an action (/me) as one in /history, under its writer's name", async () => {
    const { id, ref } = await conversation('support');
    latest.set(ERIN, id);
    await store.appendMessage({ conversationId: id, from: DANA, text: 'Is it waterproof?', status: 'accepted', outbox: [] });
    await store.appendMessage({ conversationId: id, from: ERIN, text: '/me checks the stock', status: 'accepted', outbox: [] });
    const lines = (await commands.run(ERIN, '/history')).split('\n').map((line) => line.replace(/^\[\d\d:\d\d\] /, ''));
    assert.deepEqual(lines, [`Last 2 of #${ref}:`, 'Dana: Is it waterproof?', '* erin checks the stock']);
  });

  it('says how to name one when there is no latest conversation, or it is not of their teams', async () => {
    assert.equal(await commands.run(ERIN, '/whois'), 'Usage: /whois ID (no conversation of yours to take without an ID yet)');
    const { id } = await conversation('billing');
    latest.set(ERIN, id);
    assert.equal(await commands.run(ERIN, '/history'), 'Usage: /history ID [N] (no conversation of yours to take without an ID yet)');
  });
});
