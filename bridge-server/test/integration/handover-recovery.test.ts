// A handover a crash cut short, finished at the next start against a real Prosody: the process
// died after an XMPP agent's assignment was committed and before the catch-up that queues what was
// said before. The store is left exactly as that crash leaves it (the assignment and its joining
// mark, nothing queued for the agent); the restarted bridge gives the agent the context line, then
// the conversation, once and in order, then what the visitor says next.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SITE, type TestBridge, call, connect, startBridge, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, connectAgent } from '../xmpp-agent.js';

const ALICE = 'xmpp:alice@localhost' as Address;

describe('a handover cut short by a crash', () => {
  let prosody: ProsodyServer;
  let dir: string;
  let t: TestBridge | undefined;
  let alice: Agent | undefined;

  before(async () => {
    prosody = await startProsody({ users: [['alice', 'alicepw']] });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-handover-'));
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await prosody?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const bridge = () =>
    startBridge(
      {
        teams: [{ id: 'support', members: [ALICE], sites: [SITE], capacity: 100 }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      },
      { dir },
    );

  it('is finished at the next start: the agent gets the context line, then the conversation once, in order, then what follows', async () => {
    // Alice is away: the conversation waits in the queue.
    t = await bridge();
    const { socket, session } = await connect(t, { siteKey: SITE });
    const { conversation } = await call(socket, 'conversation:open', { team: 'support' });
    assert.equal(conversation.assignee, undefined);
    for (const text of ['Hello?', 'My parcel never came.']) await call(socket, 'message:send', { conversationId: conversation.id, clientId: text, text });
    const dbPath = t.dbPath;
    await t.stop();
    t = undefined;

    // What the crash leaves: the assignment to Alice committed with her joining mark, the catch-up never run.
    const store = new SqliteStore({ path: dbPath });
    await store.open();
    assert.ok(await store.assignIfQueued(conversation.id, ALICE, { joining: true }));
    await store.close();

    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    t = await bridge();
    await until(() => t!.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    const bodies = () => alice!.stanzas.map((s) => s.getChildText('body')).filter((body): body is string => body !== null);
    await alice.next((s) => s.getChildText('body') === 'My parcel never came.');
    const back = (await connect(t, { siteKey: SITE, token: session.token })).socket;
    await call(back, 'message:send', { conversationId: conversation.id, clientId: 'after', text: 'Still there?' });
    await alice.next((s) => s.getChildText('body') === 'Still there?');
    const seen = bodies();
    assert.match(seen[0]!, /^#\S+ Visitor \(not verified\), team support\./, 'the context line first');
    assert.deepEqual(seen.slice(1), ['Hello?', 'My parcel never came.', 'Still there?']);
    assert.deepEqual(await t.bridge.store.claimStaleJoinings(0), [], 'nothing left to finish');
  });
});
