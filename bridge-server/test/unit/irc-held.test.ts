import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import type { NetworkConversation, OutboundMessage } from '../../src/networks/network.js';
import { HeldMessages } from '../../src/networks/irc/held.js';

const BOB: Address = 'irc:bob@libera';
const SAID_AT = Date.parse('2026-12-01T09:12:30.000Z');

function outbound(id: string, text: string): OutboundMessage {
  const message = { id, conversationId: 'c1', seq: 1, from: 'web:v_eve', text, sentAt: new Date(SAID_AT).toISOString() } as Message;
  return { message, to: BOB, conversation: { id: 'c1', participants: ['web:v_eve', BOB] } as unknown as NetworkConversation };
}

describe('IRC: messages held for an agent off IRC', () => {
  for (const [awayMs, dated] of [
    [20_000, true],
    [3_000, false],
  ] as const) {
    it(`${dated ? 'say when they were said' : 'go as they are'} when they go out ${awayMs / 1000} s after they were stored`, async () => {
      let now = SAID_AT;
      const delivered: OutboundMessage[] = [];
      const held = new HeldMessages({
        holdMinutes: 60,
        sink: { receipt: () => undefined },
        nickOf: (address) => address.slice('irc:'.length).split('@')[0]!,
        deliver: (message) => Promise.resolve(void delivered.push(message)).then(() => true),
        settling: () => false,
        now: () => now,
      });
      assert.equal(held.hold(outbound('m1', 'Is the tent waterproof?'), false), true);
      now += awayMs;
      await held.flush('bob');
      assert.deepEqual(
        delivered.map((m) => [m.message.text, m.delayedSince]),
        [['Is the tent waterproof?', dated ? '2026-12-01T09:12:30.000Z' : undefined]],
      );
    });
  }
});
