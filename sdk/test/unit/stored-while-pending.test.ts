// A send whose ack was lost, seen stored before its resend's ack (a catch-up after a reconnect, or
// another tab's copy of it): shown once, as the stored message, not also as still sending.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, Session } from '@switchboard/protocol';
import { SwitchboardError } from '../../src/errors.js';
import { clientOfSuite, standIn } from './bridge-stand-in.js';

const SESSION: Session = { token: 't', self: 'web:v_dana', role: 'visitor', siteKey: 'shop' };

describe('SDK sends seen stored before their ack', () => {
  // Every send is answered "unavailable": the outbox keeps it, as after an ack that never came.
  const bridge = standIn(SESSION, {
    'message:send': () => {
      throw new SwitchboardError({ code: 'unavailable', message: 'no answer' });
    },
  });
  const client = clientOfSuite(bridge);

  it('lists a send as pending until the bridge shows it stored, under its clientId and from this party only', async () => {
    void client.send('c1', 'Is my order on its way?').catch(() => undefined);
    const [entry] = client.pending('c1');
    assert.equal(entry?.text, 'Is my order on its way?');
    const stored = (from: string, seq: number): Message => ({
      id: `m${seq}`,
      clientId: entry.clientId,
      conversationId: 'c1',
      seq,
      from: from as Message['from'],
      text: entry.text,
      sentAt: '2026-12-01T10:00:00.000Z',
    });
    // Someone else's message that happens to carry the same clientId says nothing of this send.
    const first = new Promise((resolve) => client.once('message', resolve));
    bridge.push('message', stored('web:a_alice', 1));
    await first;
    assert.equal(client.pending('c1').length, 1);
    const second = new Promise((resolve) => client.once('message', resolve));
    bridge.push('message', stored(SESSION.self, 2));
    await second;
    assert.deepEqual(client.pending('c1'), []);
  });
});
