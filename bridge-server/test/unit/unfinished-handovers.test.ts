// A handover cut short (the process died between an agent's assignment and its catch-up) is
// finished at the next start: the agent, held back meanwhile, gets what was said before and
// during, once and in order; later messages follow. A node of several claims only marks that ran
// out, and only one claim catches up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import { Handover, JoiningParties } from '../../src/core/desk/handover.js';
import { UnfinishedHandovers } from '../../src/core/desk/unfinished-handovers.js';
import { FanOut } from '../../src/core/fan-out.js';
import type { NetworkRegistry } from '../../src/networks/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ANN = 'xmpp:ann@x.test' as Address;
const VISITOR = 'web:v_1' as Address;
const logger = pino({ level: 'silent' });
const registry = {
  forAddress: (address: Address) => ({ scheme: address.split(':')[0]!, deliversFromStore: address.startsWith('web:') }),
} as unknown as NetworkRegistry;

/** One process's desk on a store: its handovers, what it holds back, and how its visitor's messages are queued. */
function desk(store: SqliteStore) {
  const joining = new JoiningParties();
  const kicked: string[] = [];
  const handover = new Handover({
    store,
    registry,
    logger,
    refs: {} as never,
    kickOutbox: (network) => void kicked.push(network),
    hosted: {} as never,
    joining,
  });
  const fanOut = new FanOut({ registry, hub: {} as never, logger, metrics: {} as never, kickOutbox: () => undefined, joining });
  const unfinished = new UnfinishedHandovers({ store, handover, joining, logger });
  const say = (conversationId: string, text: string) =>
    store.appendMessage({
      conversationId,
      from: VISITOR,
      text,
      status: 'accepted',
      outbox: [],
      outboxFor: (participants) => fanOut.outboxRecipients(conversationId, participants, VISITOR),
    });
  return { handover, unfinished, joining, kicked, say };
}

describe('handovers a crash cut short', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-handover-'));
    path = join(dir, 'store.db');
    store = new SqliteStore({ path });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const queued = async () => (await store.pendingOutbox('xmpp', 10)).map((item) => `${item.message.text} -> ${item.recipient}`);

  it('are finished at the next start: what was said before and meanwhile reaches the agent once, in order, before what follows', async () => {
    const before = desk(store);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await before.say(c.id, 'hello');
    // The process dies after the assignment's commit, before the handover's catch-up.
    await before.handover.assign(c.id, ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    await before.say(c.id, 'anyone there?');
    assert.deepEqual(await queued(), []);
    await store.close();

    store = new SqliteStore({ path });
    await store.open();
    const after = desk(store);
    await after.unfinished.claimAtStart(true);
    // Traffic from the networks as they start, before the handover is finished: held back too.
    await after.say(c.id, 'hello??');
    assert.deepEqual(await queued(), []);
    after.unfinished.start();
    await after.unfinished.settled();
    after.unfinished.stop();
    await after.say(c.id, 'thanks');
    assert.deepEqual(await queued(), [`hello -> ${ANN}`, `anyone there? -> ${ANN}`, `hello?? -> ${ANN}`, `thanks -> ${ANN}`]);
    assert.deepEqual(after.kicked, ['xmpp']);
    assert.deepEqual(await store.claimStaleJoinings(0), [], 'nothing left to finish');
  });

  it('are not finished at the start of a node of several while they may still run elsewhere, and a finished one not again', async () => {
    const first = desk(store);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await first.say(c.id, 'hello');
    const assigned = await first.handover.assign(c.id, ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    const other = desk(store);
    await other.unfinished.claimAtStart(false);
    assert.equal(other.joining.has(c.id, ANN), false, 'a mark younger than JOINING_TTL_MS is left to its handover');
    await first.handover.to(assigned!, ANN);
    assert.deepEqual(await queued(), [`hello -> ${ANN}`]);
    await other.unfinished.claimAtStart(true);
    other.unfinished.start();
    await other.unfinished.settled();
    other.unfinished.stop();
    assert.deepEqual(await queued(), [`hello -> ${ANN}`], 'queued once');
  });

  it('are dropped when the agent left the conversation meanwhile', async () => {
    const before = desk(store);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await before.say(c.id, 'hello');
    await before.handover.assign(c.id, ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    await store.transferConversation(c.id, null);
    const after = desk(store);
    await after.unfinished.claimAtStart(true);
    after.unfinished.start();
    await after.unfinished.settled();
    after.unfinished.stop();
    assert.deepEqual(await queued(), []);
    assert.equal(after.joining.has(c.id, ANN), false);
  });
});
