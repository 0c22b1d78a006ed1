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
import { Handover } from '../../src/core/desk/handover.js';
import { UnfinishedHandovers } from '../../src/core/desk/unfinished-handovers.js';
import type { NetworkRegistry } from '../../src/networks/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { schemeRegistry as registry, sendQueued, silent as logger, visitorSays } from '../handover-desk.js';

const ANN = 'xmpp:ann@x.test' as Address;
const VISITOR = 'web:v_1' as Address;

/**
 * Each address's network is its scheme; the outbox networks run (`state`: `standby`, on a node of
 * several without the network's lease, whose holder sends the line and answers), and take the
 * context lines an agent gets (`lines`: to whom), or refuse them (`refuse`).
 */
function runningRegistry(lines: Address[], options: { state?: 'online' | 'standby'; refuse?: boolean } = {}): NetworkRegistry {
  return {
    forAddress: (address: Address) =>
      address.startsWith('web:')
        ? { scheme: 'web', deliversFromStore: true }
        : {
            scheme: address.split(':')[0]!,
            deliversFromStore: false,
            status: () => ({ state: options.state ?? 'online' }),
            notice: async ({ to }: { to: Address }) => {
              if (options.refuse) throw new Error('the agent cannot be reached');
              lines.push(to);
            },
          },
  } as unknown as NetworkRegistry;
}

/** The store, but `method` fails (the database failing just then). */
const failing = (store: Store, method: keyof Store = 'queueEarlierMessages'): Store =>
  new Proxy(store, {
    get: (target, property, receiver) =>
      property === method ? () => Promise.reject(new Error('database unavailable')) : (Reflect.get(target, property, receiver) as unknown),
  });

/** One node's desk on a store: its handovers, their finishing, and its visitor's messages. */
function desk(store: Store, networks: NetworkRegistry = registry) {
  const kicked: string[] = [];
  const handover = new Handover({
    store,
    registry: networks,
    logger,
    refs: { refOf: () => 'c0ffe' } as never,
    kickOutbox: (network) => void kicked.push(network),
    hosted: { isHosted: () => true },
  });
  const unfinished = new UnfinishedHandovers({ store, registry: networks, handover, logger });
  const say = visitorSays(store, VISITOR);
  /** Finishes what it claimed at start, and stops. */
  const finish = async () => {
    unfinished.start();
    await unfinished.stop(60_000);
  };
  return { handover, unfinished, kicked, say, finish };
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
    await before.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
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
    await after.finish();
    await after.say(c.id, 'thanks');
    assert.deepEqual(await queued(), [`hello -> ${ANN}`, `anyone there? -> ${ANN}`, `hello?? -> ${ANN}`, `thanks -> ${ANN}`]);
    assert.deepEqual(after.kicked, ['xmpp']);
    assert.deepEqual(await store.claimStaleJoinings(0), [], 'nothing left to finish');
  });

  it('are claimed by a node of several only once they ran out; a claim racing the late handover queues once, holding back meanwhile', async () => {
    const first = desk(store);
    const other = desk(store);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await first.say(c.id, 'hello');
    const assigned = await first.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    await other.unfinished.claimAtStart(false);
    await other.finish();
    assert.deepEqual(await queued(), [], 'a mark younger than JOINING_TTL_MS is left to its handover');
    // Claimed by a node as if it ran out, while the first node's handover is still under way.
    const claiming = desk(store);
    await claiming.unfinished.claimAtStart(true);
    await claiming.say(c.id, 'said on the other node meanwhile');
    await first.handover.to(assigned!, ANN);
    // Sent before the claim's catch-up: queued again, they would go twice.
    const sent = await sendQueued(store);
    await claiming.say(c.id, 'between');
    await claiming.finish();
    assert.deepEqual(claiming.kicked, [], 'the claim queued nothing');
    await claiming.say(c.id, 'after');
    assert.deepEqual([...sent, ...(await sendQueued(store))], ['hello', 'said on the other node meanwhile', 'between', 'after']);
  });

  it('send the context line once: not again for a handover whose line went out before its catch-up failed, nor at each claim of one that keeps failing', async () => {
    const lines: Address[] = [];
    const networks = runningRegistry(lines);
    const failingNode = desk(failing(store), networks);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await failingNode.say(c.id, 'hello');
    const assigned = await failingNode.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    await assert.rejects(failingNode.handover.to(assigned!, ANN), /database unavailable/);
    assert.deepEqual(lines, [ANN], 'the line went out; the history did not');
    // Claimed (by this node or another) while the database still fails: no line again, at any claim.
    for (let claim = 0; claim < 2; claim++) {
      await failingNode.unfinished.claimAtStart(true);
      await failingNode.finish();
    }
    assert.deepEqual(lines, [ANN]);
    assert.deepEqual(await queued(), []);
    // The database back, the next claim finishes it: the history, without a second line.
    const recovered = desk(store, networks);
    await recovered.unfinished.claimAtStart(true);
    await recovered.finish();
    assert.deepEqual(lines, [ANN]);
    assert.deepEqual(await queued(), [`hello -> ${ANN}`]);
    assert.deepEqual(await store.claimStaleJoinings(0), [], 'finished');
  });

  it('send the context line when finishing a handover cut short before it, and once only should its catch-up then fail', async () => {
    const lines: Address[] = [];
    const networks = runningRegistry(lines);
    const before = desk(store, networks);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await before.say(c.id, 'hello');
    // The process dies after the assignment's commit, before the context line.
    await before.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    assert.deepEqual(lines, []);
    const failingNode = desk(failing(store), networks);
    await failingNode.unfinished.claimAtStart(true);
    await failingNode.finish();
    assert.deepEqual(lines, [ANN], 'the claim sent it');
    const after = desk(store, networks);
    await after.unfinished.claimAtStart(true);
    await after.finish();
    assert.deepEqual(lines, [ANN], 'the next claim did not');
    assert.deepEqual(await queued(), [`hello -> ${ANN}`]);
  });

  it('note only a line that went out, here or by the node holding the network: one refused is sent when the handover is finished', async () => {
    for (const options of [{ refuse: true }, { state: 'standby' as const }]) {
      const lines: Address[] = [];
      const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
      const first = desk(failing(store), runningRegistry(lines, options));
      await first.say(c.id, 'hello');
      const assigned = await first.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
      await assert.rejects(first.handover.to(assigned!, ANN), /database unavailable/);
      const finishing = desk(store, runningRegistry(lines));
      await finishing.unfinished.claimAtStart(true);
      await finishing.finish();
      // Refused: sent by the claim. Sent by the holder (it answered): noted, and not sent again.
      assert.deepEqual(lines, [ANN], JSON.stringify(options));
      assert.deepEqual(await sendQueued(store), ['hello']);
    }
  });

  it('catch up whatever becomes of the note: a store failing to take it holds nothing back', async () => {
    const lines: Address[] = [];
    const node = desk(failing(store, 'markIntroduced'), runningRegistry(lines));
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await node.say(c.id, 'hello');
    const assigned = await node.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    await node.handover.to(assigned!, ANN);
    assert.deepEqual(lines, [ANN]);
    assert.deepEqual(await queued(), [`hello -> ${ANN}`]);
    assert.deepEqual(await store.claimStaleJoinings(0), [], 'finished');
  });

  /** A conversation with 'hello', handed to ANN by a handover that never ended, whose mark `after` claimed. */
  async function claimedHandover() {
    const before = desk(store);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: VISITOR, participants: [VISITOR] });
    await before.say(c.id, 'hello');
    await before.handover.assign(ANN, (joining) => store.assignIfQueued(c.id, ANN, joining));
    const after = desk(store);
    await after.unfinished.claimAtStart(true);
    return { c, after };
  }

  it('hand a conversation closed meanwhile over still: it may open again, with the same agent', async () => {
    const { c, after } = await claimedHandover();
    await store.setConversationState(c.id, 'closed');
    await after.finish();
    await store.setConversationState(c.id, 'open');
    await after.say(c.id, 'open again');
    assert.deepEqual(await queued(), [`hello -> ${ANN}`, `open again -> ${ANN}`]);
  });

  it("drop their mark, queuing nothing, when the agent's network is no longer one the outbox sends to", async () => {
    const { c } = await claimedHandover();
    // The configuration changed: no network for the agent's address now.
    const unfinished = new UnfinishedHandovers({ store, registry: { forAddress: () => undefined }, handover: desk(store).handover, logger });
    await unfinished.claimAtStart(true);
    unfinished.start();
    await unfinished.stop(60_000);
    assert.deepEqual(await queued(), []);
    assert.deepEqual(await store.claimStaleJoinings(0), [], 'the mark is gone');
    assert.equal((await store.getConversation(c.id))?.assignee, ANN);
  });
});
