// Which view an `inbox:item` belongs in, and the views' order (docs/protocol.md, `inbox:list`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InboxItem } from '../../src/desk-api.js';
import { belongsIn, sortItems, uniqueItems, unreadBadge, withItem } from '../../src/inbox-filter.js';
import { cannedMatches, cannedQuery } from '../../src/canned-match.js';
import { bringsNewMessage } from '../../src/notifier.js';

const item = (id: string, fields: Partial<InboxItem>): InboxItem => ({
  id,
  participants: ['web:v_1'],
  team: 'support',
  state: 'open',
  createdAt: '2026-03-01T10:00:00Z',
  lastSeq: 1,
  customer: { address: 'web:v_1', network: 'web' },
  unread: 0,
  updatedAt: '2026-03-01T10:00:00Z',
  ...fields,
});

describe('inbox views', () => {
  it('puts an item in the views its state, assignee and team say', () => {
    const self = ['web:a_alice'];
    const mine = item('a', { assignee: 'web:a_alice' });
    const queued = item('b', {});
    const closed = item('c', { state: 'closed', assignee: 'web:a_alice' });
    assert.deepEqual(
      [mine, queued, closed].map((i) => ['mine', 'unassigned', 'open', 'closed'].filter((view) => belongsIn(i, view as 'mine', self))),
      [['mine', 'open'], ['unassigned', 'open'], ['closed']],
    );
    assert.equal(belongsIn(queued, 'unassigned', self, 'sales'), false);
  });

  it('orders by waiting time (longest first, those not waiting last), closed ones newest first', () => {
    const items = [
      item('quiet', { updatedAt: '2026-03-01T12:00:00Z' }),
      item('recent', { waitingSince: '2026-03-01T11:00:00Z', updatedAt: '2026-03-01T11:00:00Z' }),
      item('long', { waitingSince: '2026-03-01T09:00:00Z', updatedAt: '2026-03-01T09:00:00Z' }),
    ];
    assert.deepEqual(
      sortItems(items, 'open').map((i) => i.id),
      ['long', 'recent', 'quiet'],
    );
    assert.deepEqual(
      sortItems(items, 'closed').map((i) => i.id),
      ['quiet', 'recent', 'long'],
    );
  });
});

describe('pushed items on a listed page', () => {
  const key = { view: 'unassigned' as const, self: ['web:a_alice'] };

  it('replaces the listed item, or leaves it out once it belongs elsewhere', () => {
    const page = [item('a', { waitingSince: '2026-03-01T09:00:00Z' }), item('b', { waitingSince: '2026-03-01T10:00:00Z' })];
    const newer = item('b', { waitingSince: '2026-03-01T08:00:00Z', updatedAt: '2026-03-01T11:00:00Z', unread: 2 });
    assert.deepEqual(
      withItem(page, newer, key).map((i) => [i.id, i.unread]),
      [
        ['b', 2],
        ['a', 0],
      ],
    );
    const claimed = item('a', { assignee: 'web:a_alice', updatedAt: '2026-03-01T11:00:00Z' });
    assert.deepEqual(
      withItem(page, claimed, key).map((i) => i.id),
      ['b'],
    );
    assert.deepEqual(
      withItem(page, item('c', {}), key).map((i) => i.id),
      ['a', 'b', 'c'],
    );
  });

  it('keeps a listed item newer than the pushed one (a page answered after the event)', () => {
    const listed = item('a', { state: 'closed', updatedAt: '2026-03-01T12:00:00Z' });
    const older = item('a', { updatedAt: '2026-03-01T11:00:00Z' });
    assert.deepEqual(withItem([listed], older, { view: 'closed', self: [] }), [listed]);
  });

  it('lists each conversation once, where the page first has it', () => {
    assert.deepEqual(
      uniqueItems([item('a', { unread: 1 }), item('b', {}), item('a', { unread: 2 })]).map((i) => [i.id, i.unread]),
      [
        ['a', 1],
        ['b', 0],
      ],
    );
  });
});

describe('canned completion', () => {
  it('completes a leading `/name` only, names starting with it first', () => {
    assert.equal(cannedQuery('/thx'), 'thx');
    assert.equal(cannedQuery('/'), '');
    assert.equal(cannedQuery('see /thx'), undefined);
    const replies = [
      { team: 'support', name: 'shipping', text: 'Ships in 2 days' },
      { team: 'support', name: 'thanks', text: 'Thanks!' },
      { team: 'support', name: 'bigthanks', text: 'Many thanks!' },
    ];
    assert.deepEqual(
      cannedMatches(replies, 'than').map((r) => r.name),
      ['thanks', 'bigthanks'],
    );
    assert.equal(cannedMatches(replies, '').length, 3);
  });
});

describe('unread badge', () => {
  it('shows the count, and 99+ from 100 on (the bridge counts up to 100)', () => {
    assert.deepEqual([1, 99, 100].map(unreadBadge), ['1', '99', '99+']);
  });
});

describe('desktop notifications', () => {
  const at = (unread: number, seq: number, from: string) =>
    item('a', { unread, lastSeq: seq, lastMessage: { seq, from: from as InboxItem['customer']['address'], text: 'hi', sentAt: '2026-03-01T10:00:00Z' } });
  const self = ['web:a_alice'];
  it('tell of a message when the unread count grew', () => {
    assert.equal(bringsNewMessage({ unread: 1, lastSeq: 4 }, at(2, 5, 'web:v_1'), self), true);
    assert.equal(bringsNewMessage(undefined, at(1, 1, 'web:v_1'), self), true);
    assert.equal(bringsNewMessage({ unread: 2, lastSeq: 5 }, at(2, 6, 'web:a_alice'), self), false, "the agent's own answer");
  });
  it('at the cap, tell of a newer message from anyone but the agent, as the unread count would below it', () => {
    assert.equal(bringsNewMessage({ unread: 100, lastSeq: 300 }, at(100, 301, 'web:v_1'), self), true, 'the customer');
    assert.equal(bringsNewMessage({ unread: 100, lastSeq: 301 }, at(100, 302, 'web:a_alice'), self), false, "the agent's own answer");
    assert.equal(bringsNewMessage({ unread: 100, lastSeq: 302 }, at(100, 303, 'web:a_bob'), self), true, 'a colleague');
    assert.equal(bringsNewMessage({ unread: 100, lastSeq: 303 }, at(100, 304, 'xmpp:ann@example.org'), self), true, 'the customer from another network');
    assert.equal(bringsNewMessage({ unread: 100, lastSeq: 304 }, at(100, 304, 'web:v_1'), self), false, 'nothing new');
  });
});
