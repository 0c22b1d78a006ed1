// A closed conversation opened again (reopen.ts): webhooks' record of the reopening is stored before
// reopen resolves, so the message that reopened it (stored after) is told after it on any store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reopen } from '../../src/core/reopen.js';
import type { ConversationRecord } from '../../src/store/store.js';

describe('reopen', () => {
  it('resolves only once the webhooks’ record of the reopening is stored', async () => {
    const steps: string[] = [];
    let stored!: () => void;
    const conversation = { id: 'c1', state: 'closed', assignee: 'web:a_alice', team: 'support' } as unknown as ConversationRecord;
    const reopening = reopen(
      {
        store: { setConversationState: (id, state) => Promise.resolve({ ...conversation, id, state }) },
        announcer: {
          announced: () =>
            new Promise<void>((resolve) => {
              stored = () => {
                steps.push('marked');
                resolve();
              };
            }),
        },
        router: { offerQueued: () => undefined },
      },
      conversation,
    );
    void reopening.then(() => steps.push('reopened'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(steps, [], 'not before the mark is stored');
    stored();
    assert.equal((await reopening).state, 'open');
    assert.deepEqual(steps, ['marked', 'reopened']);
  });
});
