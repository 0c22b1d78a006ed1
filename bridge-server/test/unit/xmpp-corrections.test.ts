// Last Message Correction (XEP-0308) inbound: which stored message a `<replace id>` names, per
// sender, waiting for the sender's message still being stored. Against a real Prosody:
// integration/xmpp.test.ts ("corrections").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { xml } from '@xmpp/component';
import { InboundCorrections, REMEMBERED_STANZAS } from '../../src/networks/xmpp/corrections.js';

const ALICE = 'xmpp:alice@example.org' as Address;
const BOB = 'xmpp:bob@example.org' as Address;

const chat = (id: string, options: { originId?: string; replaces?: string } = {}) =>
  xml(
    'message',
    { type: 'chat', id },
    xml('body', {}, 'words'),
    options.originId ? xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: options.originId }) : null,
    options.replaces ? xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: options.replaces }) : null,
  );

/** A storing that resolves when told to. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('XMPP corrections (XEP-0308), inbound', () => {
  it('names the stored original by its stanza id or origin-id, for the same sender only', async () => {
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1', { originId: 'o-1' }), ALICE, Promise.resolve({ id: 'm_1' }));
    assert.equal(await corrections.corrected(chat('s-2', { replaces: 's-1' }), ALICE), 'm_1');
    assert.equal(await corrections.corrected(chat('s-3', { replaces: 'o-1' }), ALICE), 'm_1');
    assert.equal(await corrections.corrected(chat('s-4', { replaces: 's-1' }), BOB), undefined, "another sender's id");
    assert.equal(await corrections.corrected(chat('s-5', { replaces: 'unknown' }), ALICE), undefined);
    assert.equal(await corrections.corrected(chat('s-6'), ALICE), undefined, 'not a correction');
  });

  it('follows a correction named by a later one back to the original', async () => {
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1'), ALICE, Promise.resolve({ id: 'm_1' }));
    await corrections.store(chat('s-2', { replaces: 's-1' }), ALICE, Promise.resolve({ id: 'm_2', corrects: 'm_1' }));
    assert.equal(await corrections.corrected(chat('s-3', { replaces: 's-2' }), ALICE), 'm_1');
  });

  it("waits for the sender's message still being stored before answering", async () => {
    const corrections = new InboundCorrections();
    const storing = deferred<{ id: string }>();
    void corrections.store(chat('s-1'), ALICE, storing.promise);
    let answered = false;
    const asked = corrections.corrected(chat('s-2', { replaces: 's-1' }), ALICE).finally(() => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, 'no answer while the original is being stored');
    storing.resolve({ id: 'm_1' });
    assert.equal(await asked, 'm_1');
  });

  it('remembers nothing of a refused or failed message, and a failure does not block the next', async () => {
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1'), ALICE, Promise.resolve(null));
    await assert.rejects(corrections.store(chat('s-2'), ALICE, Promise.reject(new Error('store down'))));
    assert.equal(await corrections.corrected(chat('s-3', { replaces: 's-1' }), ALICE), undefined);
    assert.equal(await corrections.corrected(chat('s-4', { replaces: 's-2' }), ALICE), undefined);
  });

  it(`remembers the last ${REMEMBERED_STANZAS} stanzas`, async () => {
    const corrections = new InboundCorrections();
    for (let i = 0; i <= REMEMBERED_STANZAS; i++) await corrections.store(chat(`s-${i}`), ALICE, Promise.resolve({ id: `m_${i}` }));
    assert.equal(await corrections.corrected(chat('x', { replaces: 's-0' }), ALICE), undefined);
    assert.equal(await corrections.corrected(chat('y', { replaces: `s-${REMEMBERED_STANZAS}` }), ALICE), `m_${REMEMBERED_STANZAS}`);
  });
});
