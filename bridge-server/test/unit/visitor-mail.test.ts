/**
 * Visitors who left (core/visitor-mail.ts): which replies are held back for a visitor's address on
 * the network that reaches them, until when (on a clock the test moves), and which of them still go
 * out when their time comes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, MessageStatus } from '@switchboard/protocol';
import { VisitorMail, stillToMail } from '../../src/core/visitor-mail.js';
import type { Network } from '../../src/networks/network.js';
import type { ConversationRecord, OutboxItem, PartyRecord } from '../../src/store/store.js';
import { ManualClock } from '../manual-clock.js';

const VISITOR = 'web:v_1' as Address;
const AGENT = 'web:a_alice' as Address;
const MAILTO = 'mailto:vic@example.test' as Address;
const START = new Date('2026-12-01T10:00:00Z');

const conversation: ConversationRecord = {
  id: 'c1',
  siteKey: 'site',
  openedBy: VISITOR,
  participants: [VISITOR, AGENT],
  state: 'open',
  team: 'support',
  lastSeq: 2,
  createdAt: START.toISOString(),
  updatedAt: START.toISOString(),
};

const emailNetwork = {
  scheme: 'mailto',
  visitorFallbackAfterSeconds: 300,
  visitorAddressOf: (email: string) => `mailto:${email.toLowerCase()}` as Address,
} as unknown as Network;

function setUp(options: { party?: Partial<PartyRecord> | null; networks?: Network[]; connected?: number } = {}) {
  const clock = new ManualClock(START);
  const party: PartyRecord | null =
    options.party === null ? null : { address: VISITOR, siteKey: 'site', role: 'visitor', verified: false, email: 'Vic@example.test', ...options.party };
  const visitorMail = new VisitorMail({
    store: { getParty: (address) => Promise.resolve(address === VISITOR ? party : null) },
    registry: { all: () => options.networks ?? [emailNetwork] },
    hub: { connectionCount: () => options.connected ?? 0 },
    clock,
  });
  return { clock, visitorMail };
}

const item = (status: MessageStatus, recipient: Address = MAILTO): OutboxItem => ({
  id: 1,
  message: { id: 'm2', conversationId: 'c1', seq: 2, from: AGENT, text: 'It left today.', sentAt: START.toISOString(), status },
  recipient,
  network: 'mailto',
  attempts: 0,
  nextAttemptAt: 0,
});

describe('replies held back for visitors who left', () => {
  it("holds an agent's reply back for the visitor's mail address until the network's delay has passed on the clock", async () => {
    const { clock, visitorMail } = setUp();
    clock.set(new Date(START.getTime() + 5000));
    assert.deepEqual(await visitorMail.heldBack(conversation, AGENT), [{ recipient: MAILTO, network: 'mailto', notBefore: START.getTime() + 5000 + 300_000 }]);
  });

  it("holds back nothing of the visitor's own messages, the desk's automatic ones, or without an email, a visitor, or a network that reaches them", async () => {
    assert.deepEqual(await setUp().visitorMail.heldBack(conversation, VISITOR), []);
    assert.deepEqual(await setUp().visitorMail.heldBack(conversation, 'team:support'), []);
    assert.deepEqual(await setUp({ party: { email: undefined } }).visitorMail.heldBack(conversation, AGENT), []);
    assert.deepEqual(await setUp({ party: null }).visitorMail.heldBack(conversation, AGENT), []);
    assert.deepEqual(await setUp({ party: { role: 'agent' } }).visitorMail.heldBack(conversation, AGENT), []);
    assert.deepEqual(await setUp({ networks: [] }).visitorMail.heldBack(conversation, AGENT), []);
  });

  it('reads no continuation for a site that lets no visitor continue elsewhere (nothing more on the message path)', async () => {
    let reads = 0;
    const make = (sites: { key: string; continueOn?: { networks: string[] } }[]) =>
      new VisitorMail({
        store: { getParty: () => Promise.resolve(null), continuationOf: () => Promise.resolve((reads++, null)) },
        registry: { all: () => [] },
        hub: { connectionCount: () => 0 },
        clock: new ManualClock(START),
        sites: sites as never,
      });
    await make([{ key: 'site' }]).heldBack(conversation, AGENT);
    assert.equal(reads, 0);
    await make([{ key: 'site', continueOn: { networks: ['xmpp'] } }]).heldBack(conversation, AGENT);
    assert.equal(reads, 1);
  });

  it('mails a held-back reply only when the visitor neither read it nor is connected', async () => {
    assert.equal(stillToMail({ status: 'sent' }, false), true);
    assert.equal(stillToMail({ status: 'delivered' }, false), true);
    assert.equal(stillToMail({ status: 'read' }, false), false);
    assert.equal(stillToMail({ status: 'sent' }, true), false);
    assert.equal(await setUp().visitorMail.stillWanted(item('sent'), conversation), true);
    assert.equal(await setUp().visitorMail.stillWanted(item('read'), conversation), false);
    assert.equal(await setUp({ connected: 1 }).visitorMail.stillWanted(item('sent'), conversation), false);
  });

  it("leaves any other outbox item alone: a participant's, or one for another address", async () => {
    const { visitorMail } = setUp({ connected: 1 });
    assert.equal(await visitorMail.stillWanted(item('read', AGENT), conversation), true);
    assert.equal(await visitorMail.stillWanted(item('read', 'mailto:other@example.test'), conversation), true);
  });

  it('takes a mail from the address the visitor gave as the visitor writing, and no one else', async () => {
    const { visitorMail } = setUp();
    assert.equal(await visitorMail.visitorWriting(conversation, MAILTO), VISITOR);
    assert.equal(await visitorMail.visitorWriting(conversation, 'mailto:mallory@example.test'), null);
  });
});
