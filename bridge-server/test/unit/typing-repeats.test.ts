// Which typing notifications go out to an IM network (networks/typing-repeats.ts): web clients
// repeat `composing` every few seconds; XMPP wants a chat state once (XEP-0085 section 5.2), SIP
// `active` again only before its refresh interval runs out (RFC 3994 section 4.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { TypingRepeats } from '../../src/networks/typing-repeats.js';

const VISITOR = 'web:v_1' as Address;
const OTHER = 'web:v_2' as Address;
const AGENT = 'xmpp:alice@example.org' as Address;

describe('TypingRepeats', () => {
  it('says each state once while it lasts, never repeating it (XMPP)', () => {
    const repeats = new TypingRepeats(Infinity);
    const said = ['composing', 'composing', 'composing', 'paused', 'paused', 'composing'].map((state) =>
      repeats.shouldSend(VISITOR, AGENT, state as 'composing' | 'paused'),
    );
    assert.deepEqual(said, [true, false, false, true, false, true]);
  });

  it('says composing again once the repeat interval has passed (a SIP refresh)', () => {
    let now = 0;
    const repeats = new TypingRepeats(45_000, () => now);
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), true);
    now = 44_999;
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), false);
    now = 45_000;
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), true, 'refreshed');
    now = 60_000;
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), false, 'counted from the refresh');
  });

  it('keeps each sender and recipient apart', () => {
    const repeats = new TypingRepeats(Infinity);
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), true);
    assert.equal(repeats.shouldSend(OTHER, AGENT, 'composing'), true);
    assert.equal(repeats.shouldSend(AGENT, VISITOR, 'composing'), true);
  });

  it('says composing again after a message between them, which ended it', () => {
    const repeats = new TypingRepeats(Infinity);
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), true);
    repeats.messageSent(VISITOR, AGENT);
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), true);
    repeats.messageSent(OTHER, AGENT);
    assert.equal(repeats.shouldSend(VISITOR, AGENT, 'composing'), false, "another sender's message ends nothing of this pair");
  });
});
