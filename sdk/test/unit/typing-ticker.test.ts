// When the SDK's TypingTicker says a person is typing (sdk/src/typing-ticker.ts): `composing` at
// the first key and again every few seconds while keys come, `paused` once they stop or the text
// was sent, and nothing said while there is no one to say it to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TypingState } from '@switchboard/protocol';
import { TypingTicker } from '../../src/typing-ticker.js';

describe('TypingTicker', () => {
  it('says composing at the first key, again every 3 s while keys come, and paused 3 s after the last', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const said: TypingState[] = [];
    const ticker = new TypingTicker((state) => void said.push(state));
    for (let i = 0; i < 8; i++) {
      ticker.key();
      t.mock.timers.tick(500);
    }
    assert.deepEqual(said, ['composing', 'composing'], 'at 0 and 3 s of 4 s of keys');
    t.mock.timers.tick(2_499);
    assert.deepEqual(said, ['composing', 'composing']);
    t.mock.timers.tick(1);
    assert.deepEqual(said, ['composing', 'composing', 'paused']);
  });

  it('says paused once when the text is sent, and nothing when composing was never said', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const said: TypingState[] = [];
    let conversation = false;
    const ticker = new TypingTicker((state) => (conversation ? void said.push(state) : false), { everyMs: 3000, pausedAfterMs: 5000 });
    ticker.key();
    ticker.stop();
    t.mock.timers.tick(10_000);
    assert.deepEqual(said, [], 'no one to tell: nothing said, not even paused');
    conversation = true;
    ticker.key();
    assert.deepEqual(said, ['composing'], 'the first key with someone to tell is said at once');
    ticker.stop();
    ticker.stop();
    t.mock.timers.tick(10_000);
    assert.deepEqual(said, ['composing', 'paused']);
    ticker.key();
    ticker.dispose();
    t.mock.timers.tick(10_000);
    assert.deepEqual(said, ['composing', 'paused', 'composing'], 'dispose says nothing');
  });
});
