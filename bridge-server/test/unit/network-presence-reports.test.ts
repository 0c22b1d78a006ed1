// A network's repeat of the presence it last reported is no change (a SIP NOTIFY refreshing a
// subscription): what an agent set with /away or /back holds until their network says otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Presence } from '@switchboard/protocol';
import { NetworkPresenceReports } from '../../src/core/network-presence-reports.js';

const ALICE = 'sip:alice@example.org' as const;
const at = (status: Presence['status'], text?: string): Presence => ({ address: ALICE, status, ...(text !== undefined ? { text } : {}) });

describe("the networks' presence reports", () => {
  it('takes a first report, and a different one, as news; a repeat as none while the party is not offline', () => {
    const reports = new NetworkPresenceReports();
    assert.equal(reports.isNews(at('available'), at('offline')), true, 'the first report');
    // The agent said /away: the network's refresh of "available" leaves them away.
    assert.equal(reports.isNews(at('available'), at('away')), false);
    assert.equal(reports.isNews(at('available'), at('away')), false, 'however often it comes');
    // A real change on their phone is theirs.
    assert.equal(reports.isNews(at('away', 'lunch'), at('away')), true);
    assert.equal(reports.isNews(at('away', 'lunch'), at('available')), false, '/back holds too');
    assert.equal(reports.isNews(at('away', 'back at 2'), at('available')), true, 'a new text is a change');
    // Offline meanwhile (the network went down): the same report is news again.
    assert.equal(reports.isNews(at('away', 'back at 2'), at('offline')), true);
    // Each party on its own.
    assert.equal(reports.isNews({ address: 'sip:bob@example.org', status: 'away', text: 'back at 2' }, at('available')), true);
  });
});
