// Which typing notifications go out to an IM network (networks/typing-repeats.ts): web clients
// repeat `composing` every few seconds; XMPP wants a chat state once (XEP-0085 section 5.2), SIP
// `active` again only before its refresh interval runs out (RFC 3994 section 3.2); a composing
// no longer repeated (the web client went away) is ended with `paused`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TypingState } from '@switchboard/protocol';
import { TypingRepeats } from '../../src/networks/typing-repeats.js';

const VISITOR = 'visitor@web.example';
const OTHER = 'other@web.example';
const AGENT = 'xmpp:alice@example.org';

/** What was said, in order, through one `say` per call. */
function recorder() {
  const said: string[] = [];
  return { said, say: (state: TypingState) => (said.push(state), Promise.resolve()) };
}

describe('TypingRepeats', () => {
  it('says each state once while it lasts, never repeating it (XMPP)', async () => {
    const repeats = new TypingRepeats(Infinity);
    const { said, say } = recorder();
    for (const state of ['composing', 'composing', 'composing', 'paused', 'paused', 'composing'] as const) await repeats.typing(VISITOR, AGENT, state, say);
    assert.deepEqual(said, ['composing', 'paused', 'composing']);
    repeats.messageSent(VISITOR, AGENT);
  });

  it('says composing again once the repeat interval has passed (a SIP refresh)', async () => {
    let now = 0;
    const repeats = new TypingRepeats(45_000, 60_000, () => now);
    const { said, say } = recorder();
    for (const at of [0, 44_999, 45_000, 60_000]) {
      now = at;
      await repeats.typing(VISITOR, AGENT, 'composing', say);
    }
    assert.deepEqual(said, ['composing', 'composing'], 'refreshed at 45 s, counted from there');
    repeats.messageSent(VISITOR, AGENT);
  });

  it('keeps each sender and recipient apart: two agents writing as one team JID each say their own', async () => {
    const repeats = new TypingRepeats(Infinity);
    const { said, say } = recorder();
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    await repeats.typing(OTHER, AGENT, 'composing', say);
    await repeats.typing(AGENT, VISITOR, 'composing', say);
    // The same JID: one stops, the other goes on typing, which is said again.
    await repeats.typing(VISITOR, AGENT, 'paused', say);
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    assert.deepEqual(said, ['composing', 'composing', 'composing', 'paused', 'composing']);
    for (const [from, to] of [
      [VISITOR, AGENT],
      [OTHER, AGENT],
      [AGENT, VISITOR],
    ] as const)
      repeats.messageSent(from, to);
  });

  it('says composing again after a message between them, which ended it', async () => {
    const repeats = new TypingRepeats(Infinity);
    const { said, say } = recorder();
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    repeats.messageSent(VISITOR, AGENT);
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    repeats.messageSent(OTHER, AGENT);
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    assert.deepEqual(said, ['composing', 'composing'], "another sender's message ends nothing of this pair");
    repeats.messageSent(VISITOR, AGENT);
  });

  it('ends with paused a composing not said again in time, and not one still repeated or already ended', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const repeats = new TypingRepeats(Infinity, 15_000);
    const { said, say } = recorder();
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    t.mock.timers.tick(10_000);
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    t.mock.timers.tick(10_000);
    assert.deepEqual(said, ['composing'], 'repeated within 15 s: still composing');
    t.mock.timers.tick(5_000);
    assert.deepEqual(said, ['composing', 'paused'], 'not repeated for 15 s: paused');
    await repeats.typing(VISITOR, AGENT, 'composing', say);
    assert.deepEqual(said, ['composing', 'paused', 'composing'], 'typing again is said');
    repeats.messageSent(VISITOR, AGENT);
    await repeats.typing(OTHER, AGENT, 'composing', say);
    await repeats.typing(OTHER, AGENT, 'paused', say);
    t.mock.timers.tick(60_000);
    assert.deepEqual(said, ['composing', 'paused', 'composing', 'composing', 'paused'], 'a message or a paused leaves nothing to end');
  });
});
