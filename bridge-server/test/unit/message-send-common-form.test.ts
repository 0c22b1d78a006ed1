import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '@switchboard/protocol';
import { messageSendCommonForm, messageSendSchema } from '@switchboard/protocol/schemas';

const base = { conversationId: 'c_0mhx1abcdef0123456789', clientId: 'tp-bridge-0-1', text: 'Hello, is my order on its way?' };

/** Payloads around every rule of messageSendSchema, valid or not. */
const payloads: Record<string, unknown>[] = [
  base,
  { ...base, text: '   ' },
  { ...base, text: '' },
  { ...base, text: '\t\n' },
  // Blank too: only characters that show nothing (isBlankText).
  { ...base, text: '\u200b\u2060\ufeff' },
  { ...base, text: ' \u200d ' },
  { ...base, text: 'caf\u00e9 \u{1F600}' },
  { ...base, text: 'lone \uD800 surrogate' },
  { ...base, text: 'lone \uDC00 low surrogate' },
  { ...base, clientId: '\uD83D' },
  { ...base, conversationId: 'c_\uDE00' },
  { ...base, clientId: '' },
  { ...base, conversationId: '' },
  { ...base, clientId: 'x'.repeat(LIMITS.maxClientIdLength) },
  { ...base, clientId: 'x'.repeat(LIMITS.maxClientIdLength + 1) },
  { ...base, conversationId: 'c'.repeat(LIMITS.maxIdLength) },
  { ...base, conversationId: 'c'.repeat(LIMITS.maxIdLength + 1) },
  { ...base, text: 42 },
  { ...base, clientId: 7 },
  { ...base, conversationId: null },
  { conversationId: base.conversationId, text: base.text },
  { conversationId: base.conversationId, clientId: base.clientId },
  { ...base, attachments: ['f_1'] },
  { ...base, text: ' ', attachments: ['f_1'] },
  { ...base, attachments: undefined },
  { ...base, extra: 'dropped by the schema' },
  { ...base, text: new String('boxed') },
];

describe('message:send in its common form', () => {
  it('answers as the schema does whenever it answers, and leaves the rest to it', () => {
    let answered = 0;
    for (const payload of payloads) {
      const fast = messageSendCommonForm(payload);
      const parsed = messageSendSchema.safeParse(payload);
      if (fast === undefined) continue;
      answered++;
      assert.ok(parsed.success, `the schema refuses what the common form accepts: ${JSON.stringify(payload)}`);
      assert.deepEqual(fast, parsed.data);
    }
    // The common forms above: the base, the accented one and the two at the length limits.
    assert.equal(answered, 4);
  });

  it('takes every well-formed three-key payload the schema takes', () => {
    for (const payload of payloads) {
      const parsed = messageSendSchema.safeParse(payload);
      const threeStrings = Object.keys(payload).length === 3 && Object.values(payload).every((value) => typeof value === 'string');
      if (parsed.success && threeStrings) assert.deepEqual(messageSendCommonForm(payload), parsed.data);
    }
  });
});
