// The kit's watch list on its own (the adapters' real-server tests exercise it against Prosody, ngircd and Kamailio).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { WatchList } from '../../src/networks/kit/watch-list.js';
import type { InboundPresence } from '../../src/networks/network.js';

function watchList(accepts?: (address: Address) => boolean) {
  const followed: Address[][] = [];
  const reported: InboundPresence[] = [];
  const list = new WatchList({
    sink: { presence: (input) => reported.push(input) },
    follow: (addresses) => followed.push([...addresses]),
    ...(accepts ? { accepts } : {}),
  });
  return { list, followed, reported };
}

describe("the network kit's watch list", () => {
  it('follows each address once: at once while connected, and everything again on each reconnection', () => {
    const { list, followed } = watchList();
    assert.deepEqual(list.watch(['xmpp:a@x.test']), ['xmpp:a@x.test']);
    assert.deepEqual(followed, [], 'not connected yet: nothing asked');
    list.reconnected();
    assert.deepEqual(list.watch(['xmpp:a@x.test', 'xmpp:b@x.test']), ['xmpp:b@x.test'], 'only the new one');
    assert.deepEqual(followed, [['xmpp:a@x.test'], ['xmpp:b@x.test']]);
    list.dropped();
    list.reconnected();
    assert.deepEqual(followed.at(-1), ['xmpp:a@x.test', 'xmpp:b@x.test'], 'the server forgot them: all asked again');
    assert.equal(list.online, true);
  });

  it('lets the caller say whether the link is up, and leaves out addresses the network cannot follow', () => {
    const { list, followed } = watchList((address) => address.startsWith('irc:'));
    assert.deepEqual(list.watch(['irc:dave@libera', 'xmpp:a@x.test'], true), ['irc:dave@libera']);
    assert.deepEqual(followed, [['irc:dave@libera']]);
    assert.equal(list.has('xmpp:a@x.test'), false);
  });

  it('reports every followed address offline on a drop, and nothing on a stop', () => {
    const { list, reported } = watchList();
    list.watch(['sip:a@x.test', 'sip:b@x.test']);
    list.reconnected();
    list.report('sip:a@x.test', { status: 'available', text: 'here' });
    list.dropped();
    assert.deepEqual(reported, [
      { address: 'sip:a@x.test', status: 'available', text: 'here' },
      { address: 'sip:a@x.test', status: 'offline' },
      { address: 'sip:b@x.test', status: 'offline' },
    ]);
    assert.equal(list.online, false);
    list.reconnected();
    list.stopped();
    assert.equal(reported.length, 3);
    assert.equal(list.online, false);
  });

  it('reports only followed addresses, every time or only changes, and remembers the last status', () => {
    const { list, reported } = watchList();
    list.watch(['irc:dave@libera']);
    list.report('irc:eve@libera', { status: 'available' });
    assert.equal(reported.length, 0, 'not followed: ignored');
    assert.equal(list.statusOf('irc:dave@libera'), undefined);
    list.reportChange('irc:dave@libera', { status: 'offline' });
    list.reportChange('irc:dave@libera', { status: 'offline' });
    list.reportChange('irc:dave@libera', { status: 'away' });
    list.report('irc:dave@libera', { status: 'away' });
    assert.deepEqual(
      reported.map((presence) => presence.status),
      ['offline', 'away', 'away'],
      'the first report always goes; a repeated one only through report()',
    );
    assert.equal(list.statusOf('irc:dave@libera'), 'away');
  });

  it('reports, once started again after a stop (a cluster node that got the lease back), what it reported before', () => {
    const { list, reported } = watchList();
    list.watch(['irc:dave@libera']);
    list.reconnected();
    list.reportChange('irc:dave@libera', { status: 'available' });
    // The lease was lost: the cluster withdrew what this node said; the same user is online when it comes back.
    list.stopped();
    assert.equal(list.statusOf('irc:dave@libera'), undefined);
    list.reconnected();
    list.reportChange('irc:dave@libera', { status: 'available' });
    assert.deepEqual(
      reported.map((presence) => presence.status),
      ['available', 'available'],
    );
  });

  it('forgets an address it stops following: not asked again on a reconnection, its reports ignored', () => {
    const { list, followed, reported } = watchList();
    list.watch(['sip:a@x.test', 'sip:b@x.test'], true);
    list.report('sip:a@x.test', { status: 'available' });
    list.unwatch('sip:a@x.test');
    assert.equal(list.has('sip:a@x.test'), false);
    assert.equal(list.statusOf('sip:a@x.test'), undefined);
    list.report('sip:a@x.test', { status: 'away' });
    list.dropped();
    list.reconnected();
    assert.deepEqual(followed.at(-1), ['sip:b@x.test']);
    assert.deepEqual(reported, [
      { address: 'sip:a@x.test', status: 'available' },
      { address: 'sip:b@x.test', status: 'offline' },
    ]);
  });
});
