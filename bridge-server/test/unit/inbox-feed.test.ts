// The inbox feed: changes to one conversation within a window make one `inbox:item` per agent of the
// site, computed for each agent, and none for visitors; two store queries per item, however many
// agents read it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address, InboxItem } from '@switchboard/protocol';
import pino from 'pino';
import type { ClientHub, HubRoom } from '../../src/core/hub.js';
import { InboxFeed } from '../../src/core/inbox/inbox-feed.js';
import { InboxViews } from '../../src/core/inbox/inbox-views.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import { configSchema } from '../../src/config.js';
import type { Store } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

describe('inbox feed', () => {
  it('coalesces the changes of a window into one item per agent, computed for each', async () => {
    const sent: { rooms: HubRoom[]; item: InboxItem }[] = [];
    let wake = () => {};
    const hub = {
      deskOn: (siteKey: string) => (siteKey === 'shop' ? ['web:a_ann@shop', 'web:i_crm@shop'] : ['web:a_zed@blog']),
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
      itemsFor: async (_siteKey, id, readers) => {
        reads.push(...readers);
        return new Map(readers.map((reader) => [reader, { id, unread: reader.length, lastSeq: version } as unknown as InboxItem]));
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

  describe('on a real store', () => {
    let dir: string;
    let store: SqliteStore;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-feed-'));
      store = new SqliteStore({ path: join(dir, 'store.db') });
      await store.open();
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Pushes one change of `conversationId` to `agents`: the items sent, and the store's calls it made. */
    async function pushTo(agents: Address[], conversationId: string): Promise<{ items: Map<Address, InboxItem>; calls: string[] }> {
      const calls: string[] = [];
      const counted = new Proxy(store, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(String(property));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }) as Store;
      const teams = new TeamDirectory(
        configSchema.shape.teams.parse([{ id: 'support', members: [{ id: 'ann', addresses: ['web:a_ann', 'xmpp:ann@desk.test'] }] }]),
        ['shop'],
      );
      const views = new InboxViews({ store: counted, teams, now: () => new Date() });
      const items = new Map<Address, InboxItem>();
      let done = () => {};
      const all = new Promise<void>((resolve) => (done = resolve));
      const hub = {
        deskOn: () => agents,
        emit: (rooms: HubRoom[], _event: string, item: InboxItem) => {
          items.set((rooms[0] as { address: Address }).address, item);
          if (items.size === agents.length) done();
        },
      } as unknown as ClientHub;
      const feed = new InboxFeed({
        hub,
        logger: pino({ level: 'silent' }),
        windowMs: 0,
        later: (run) => void setImmediate(run),
        itemsFor: (siteKey, id, readers) => views.itemsFor(siteKey, id, readers),
      });
      feed.changed({ id: conversationId, siteKey: 'shop' });
      await all;
      return { items, calls };
    }

    it('costs the same two store queries for one agent as for many, each agent with its own unread', async () => {
      const conversation = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      for (const text of ['one', 'two', 'three'])
        await store.appendMessage({ conversationId: conversation.id, from: 'web:v_1', text, status: 'accepted', outbox: [] });
      await store.appendMessage({ conversationId: conversation.id, from: 'xmpp:ann@desk.test', text: 'from ann on xmpp', status: 'accepted', outbox: [] });
      const agents = Array.from({ length: 20 }, (_, i) => `web:a_agent${i}@shop` as Address);
      for (const [i, agent] of agents.entries()) await store.setReadCursor(conversation.id, agent, i % 4);

      const one = await pushTo(['web:a_ann@shop'], conversation.id);
      const many = await pushTo(['web:a_ann@shop', ...agents, 'web:i_crm@shop'], conversation.id);
      assert.deepEqual(one.calls, ['inbox', 'unreadCounts']);
      assert.deepEqual(many.calls, one.calls, 'no query per agent');

      assert.equal(one.items.get('web:a_ann@shop')!.unread, 3, "ann's message on another network is hers");
      assert.equal(many.items.get('web:a_ann@shop')!.unread, 3);
      for (const [i, agent] of agents.entries()) assert.equal(many.items.get(agent)!.unread, 4 - (i % 4), agent);
      assert.equal(many.items.get('web:i_crm@shop')!.unread, 4);
      assert.equal(many.items.get(agents[0]!)!.lastMessage!.text, 'from ann on xmpp', 'the same item for all');
    });
  });
});
