// The inbox feed: changes to one conversation within a window make one `inbox:item` per agent of the
// site, computed for each agent, and none for visitors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, InboxItem } from '@switchboard/protocol';
import pino from 'pino';
import type { ClientHub, HubRoom } from '../../src/core/hub.js';
import { InboxFeed } from '../../src/core/inbox/inbox-feed.js';

describe('inbox feed', () => {
  it('coalesces the changes of a window into one item per agent, computed for each, none to visitors', async () => {
    const sent: { rooms: HubRoom[]; item: InboxItem }[] = [];
    let wake = () => {};
    const hub = {
      connectedOn: (siteKey: string) => (siteKey === 'shop' ? ['web:a_ann@shop', 'web:v_1', 'web:i_crm@shop'] : ['web:a_zed@blog']),
      emit: (rooms: HubRoom[], _event: string, item: InboxItem) => {
        sent.push({ rooms, item });
        wake();
      },
    } as unknown as ClientHub;
    const reads: string[] = [];
    let version = 0;
    const feed = new InboxFeed({
      hub,
      logger: pino({ level: 'silent' }),
      windowMs: 5,
      later: (run, ms) => void setTimeout(run, ms),
      itemFor: async (_siteKey, id, reader) => {
        reads.push(reader);
        return { id, unread: reader.length, lastSeq: version } as unknown as InboxItem;
      },
    });
    const pushed = (count: number) => new Promise<void>((resolve) => (wake = () => sent.length >= count && resolve()));

    const first = pushed(2);
    for (version = 1; version <= 5; version++) feed.changed({ id: 'c_1', siteKey: 'shop' });
    await first;
    assert.deepEqual(
      sent.map(({ rooms, item }) => [(rooms[0] as { address: Address }).address, item.unread, item.lastSeq]),
      [
        ['web:a_ann@shop', 14, 6],
        ['web:i_crm@shop', 14, 6],
      ],
    );
    assert.deepEqual(reads, ['web:a_ann@shop', 'web:i_crm@shop'], 'the visitor is never asked for');

    const second = pushed(4);
    feed.changed({ id: 'c_1', siteKey: 'shop' });
    await second;
    assert.equal(sent.length, 4, 'a change after the window makes a new item');
  });
});
