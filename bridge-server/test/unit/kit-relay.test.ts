// The kit's relay on its own: one bot account carrying many conversations (XMPP client mode, IRC relay mode).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import { NOT_YOURS, Relay } from '../../src/networks/kit/relay.js';
import type { InboundMessage } from '../../src/networks/network.js';
import { RefBook } from '../../src/networks/refs.js';

const AGENT: Address = 'irc:dave@libera';
const BOT: Address = 'irc:switchboard@libera';

function relay(yours = (input: InboundMessage) => input.conversationId !== 'c_0theirs00000') {
  const stored: InboundMessage[] = [];
  const book = new RefBook();
  const sink = {
    message: (input: InboundMessage) => {
      if (!yours(input)) return Promise.resolve(null);
      stored.push(input);
      return Promise.resolve({ id: `m_${stored.length}` } as Message);
    },
  };
  return { relay: new Relay({ network: 'irc', sink, refs: book, bot: BOT }), stored, book };
}

describe("the network kit's relay", () => {
  it("prefixes lines with the sender's name and the conversation's ref from the bridge's one book", () => {
    const { relay: r, book } = relay();
    const ref = book.refOf('c_0aaaa0abcde');
    assert.equal(r.prefix('c_0aaaa0abcde', 'Ann'), `[Ann #${ref}] `);
    // A name cannot pass a line off as another conversation's.
    assert.equal(r.prefix('c_0aaaa0abcde', 'Dana #2b970] ok [Boss'), `[Dana 2b970) ok (Boss #${ref}] `);
    assert.equal(r.prefix('c_0aaaa0abcde', '#'), `[? #${ref}] `);
    assert.equal(r.tagged('c_0aaaa0abcde', 'Ann is on /shop'), `[#${ref}] Ann is on /shop`);
    assert.equal(r.tagged('c_0aaaa0abcde', `#${ref} Ann (not verified)`), `#${ref} Ann (not verified)`, 'the ref is written once');
  });

  it('routes a reply to the conversation the agent heard from last, or the one its #ref names', async () => {
    const { relay: r, stored, book } = relay();
    r.heardFrom(AGENT, 'c_0aaaa0abcde');
    const outcome = await r.receive({ from: AGENT, text: 'hello', remoteId: `${AGENT}/1` });
    assert.ok('stored' in outcome);
    assert.equal(outcome.conversationId, 'c_0aaaa0abcde');
    const other = book.refOf('c_1bbbb1fghij');
    await r.receive({ from: AGENT, text: `#${other} over here` });
    assert.deepEqual(stored, [
      { network: 'irc', from: AGENT, to: BOT, conversationId: 'c_0aaaa0abcde', text: 'hello', remoteId: `${AGENT}/1` },
      { network: 'irc', from: AGENT, to: BOT, conversationId: 'c_1bbbb1fghij', text: 'over here' },
    ]);
    assert.equal(r.latestOf(AGENT), 'c_1bbbb1fghij', 'what the agent wrote to is its latest');
  });

  it("stores a correction of a #ref reply (the client resends the whole text) without the ref, and another conversation's ref as written", async () => {
    const { relay: r, stored, book } = relay();
    const ref = book.refOf('c_0aaaa0abcde');
    const other = book.refOf('c_1bbbb1fghij');
    await r.receive({ from: AGENT, text: `#${ref} Yes, 3000 mm.`, corrects: 'm_1', conversationId: 'c_0aaaa0abcde' });
    await r.receive({ from: AGENT, text: `#${other} not this one`, corrects: 'm_2', conversationId: 'c_0aaaa0abcde' });
    assert.deepEqual(
      stored.map((input) => [input.conversationId, input.text]),
      [
        ['c_0aaaa0abcde', 'Yes, 3000 mm.'],
        ['c_0aaaa0abcde', `#${other} not this one`],
      ],
    );
  });

  it('refuses what it cannot route, and what the core refuses, with a line for the agent', async () => {
    const { relay: r, stored, book } = relay();
    const nothingYet = await r.receive({ from: AGENT, text: 'hello' });
    assert.ok('refusal' in nothingYet && /No visitor has written to you yet/.test(nothingYet.refusal));
    const unknown = await r.receive({ from: AGENT, text: '#zzzzz hi' });
    assert.ok('refusal' in unknown && /No conversation has the ref #zzzzz/.test(unknown.refusal));
    const theirs = book.refOf('c_0theirs00000');
    assert.deepEqual(await r.receive({ from: AGENT, text: `#${theirs} mine now` }), { refusal: NOT_YOURS });
    assert.equal(r.latestOf(AGENT), undefined, 'a refused line changes nothing');
    assert.equal(stored.length, 0);
  });
});
