// Last Message Correction (XEP-0308) inbound: which stored message a `<replace id>` names, per
// sender, waiting for the sender's message still being stored. Against a real Prosody:
// integration/xmpp.test.ts ("corrections").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import { xml } from '@xmpp/component';
import { InboundCorrections, MAX_REMEMBERED_ID_LENGTH, REMEMBERED_STANZAS, amendmentOf } from '../../src/networks/xmpp/corrections.js';

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

/** The bridge's id of the message a stanza corrects or retracts, when remembered. */
const originalOf = async (corrections: InboundCorrections, stanza: ReturnType<typeof chat>, sender: Address) =>
  (await corrections.amended(stanza, sender))?.original?.id;

/** A storing that resolves when told to. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('XMPP corrections (XEP-0308), inbound', () => {
  it('names the stored original by its stanza id or origin-id, for the same sender only', async () => {
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1', { originId: 'o-1' }), ALICE, Promise.resolve({ id: 'm_1', conversationId: 'c_1' }));
    assert.equal(await originalOf(corrections, chat('s-2', { replaces: 's-1' }), ALICE), 'm_1');
    assert.equal(await originalOf(corrections, chat('s-3', { replaces: 'o-1' }), ALICE), 'm_1');
    assert.equal(await originalOf(corrections, chat('s-4', { replaces: 's-1' }), BOB), undefined, "another sender's id");
    assert.equal(await originalOf(corrections, chat('s-5', { replaces: 'unknown' }), ALICE), undefined);
    assert.equal(await originalOf(corrections, chat('s-6'), ALICE), undefined, 'not a correction');
  });

  it('looks an original no longer remembered up in the store, by the origin-id it was stored under', async () => {
    const stored = new Map([
      [`${ALICE}/o-1`, { id: 'm_1', conversationId: 'c_1' }],
      [`${ALICE}/o-2`, { id: 'm_2', conversationId: 'c_1', corrects: 'm_1' }],
    ]);
    const records = { messageByRemoteId: async (remoteId: string) => (stored.get(remoteId) as Message | undefined) ?? null };
    // As after a restart: nothing remembered.
    const corrections = new InboundCorrections(records);
    assert.deepEqual((await corrections.amended(chat('s-3', { replaces: 'o-1' }), ALICE))?.original, { id: 'm_1', conversationId: 'c_1' });
    assert.equal(await originalOf(corrections, chat('s-4', { replaces: 'o-2' }), ALICE), 'm_1', "a correction's origin-id names its original");
    assert.equal(await originalOf(corrections, chat('s-5', { replaces: 'o-1' }), BOB), undefined, "another sender's id");
    assert.equal(await originalOf(corrections, chat('s-6', { replaces: 'o-9' }), ALICE), undefined);
  });

  it('follows a correction named by a later one back to the original', async () => {
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1'), ALICE, Promise.resolve({ id: 'm_1', conversationId: 'c_1' }));
    await corrections.store(chat('s-2', { replaces: 's-1' }), ALICE, Promise.resolve({ id: 'm_2', conversationId: 'c_1', corrects: 'm_1' }));
    assert.equal(await originalOf(corrections, chat('s-3', { replaces: 's-2' }), ALICE), 'm_1');
  });

  it("waits for the sender's message still being stored before answering", async () => {
    const corrections = new InboundCorrections();
    const storing = deferred<{ id: string; conversationId: string }>();
    void corrections.store(chat('s-1'), ALICE, storing.promise);
    let answered = false;
    const asked = originalOf(corrections, chat('s-2', { replaces: 's-1' }), ALICE).finally(() => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, 'no answer while the original is being stored');
    storing.resolve({ id: 'm_1', conversationId: 'c_1' });
    assert.equal(await asked, 'm_1');
  });

  it('remembers nothing of a refused or failed message, and a failure does not block the next', async () => {
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1'), ALICE, Promise.resolve(null));
    await assert.rejects(corrections.store(chat('s-2'), ALICE, Promise.reject(new Error('store down'))));
    assert.equal(await originalOf(corrections, chat('s-3', { replaces: 's-1' }), ALICE), undefined);
    assert.equal(await originalOf(corrections, chat('s-4', { replaces: 's-2' }), ALICE), undefined);
  });

  it(`remembers the last ${REMEMBERED_STANZAS} stanzas`, async () => {
    const corrections = new InboundCorrections();
    for (let i = 0; i <= REMEMBERED_STANZAS; i++) await corrections.store(chat(`s-${i}`), ALICE, Promise.resolve({ id: `m_${i}`, conversationId: 'c_1' }));
    assert.equal(await originalOf(corrections, chat('x', { replaces: 's-0' }), ALICE), undefined);
    assert.equal(await originalOf(corrections, chat('y', { replaces: `s-${REMEMBERED_STANZAS}` }), ALICE), `m_${REMEMBERED_STANZAS}`);
  });

  it('reads a retraction (XEP-0424), in its current form and the one before 0.4 (XEP-0422 apply-to), and remembers the conversation', async () => {
    const retract = xml(
      'message',
      { type: 'chat', id: 'r-1' },
      xml('retract', { xmlns: 'urn:xmpp:message-retract:1', id: 's-1' }),
      xml('body', {}, 'fallback'),
    );
    const applyTo = xml(
      'message',
      { type: 'chat', id: 'r-2' },
      xml('apply-to', { xmlns: 'urn:xmpp:fasten:0', id: 's-1' }, xml('retract', { xmlns: 'urn:xmpp:message-retract:0' })),
    );
    const fastenedElse = xml(
      'message',
      { type: 'chat', id: 'r-3' },
      xml('apply-to', { xmlns: 'urn:xmpp:fasten:0', id: 's-1' }, xml('other', { xmlns: 'urn:x' })),
    );
    assert.deepEqual(amendmentOf(retract), { id: 's-1', retracts: true });
    assert.deepEqual(amendmentOf(applyTo), { id: 's-1', retracts: true });
    assert.equal(amendmentOf(fastenedElse), undefined);
    assert.deepEqual(amendmentOf(chat('s-2', { replaces: 's-1' })), { id: 's-1', retracts: false });
    const corrections = new InboundCorrections();
    await corrections.store(chat('s-1'), ALICE, Promise.resolve({ id: 'm_1', conversationId: 'c_7' }));
    assert.deepEqual(await corrections.amended(retract, ALICE), { id: 's-1', retracts: true, original: { id: 'm_1', conversationId: 'c_7' } });
    assert.deepEqual(await corrections.amended(retract, BOB), { id: 's-1', retracts: true, original: undefined });
  });

  it(`remembers no stanza id longer than ${MAX_REMEMBERED_ID_LENGTH} characters: a client's ids are short, a flood of long ones would fill memory`, async () => {
    const corrections = new InboundCorrections();
    const long = 'x'.repeat(MAX_REMEMBERED_ID_LENGTH + 1);
    const longest = 'y'.repeat(MAX_REMEMBERED_ID_LENGTH);
    await corrections.store(chat(long), ALICE, Promise.resolve({ id: 'm_1', conversationId: 'c_1' }));
    await corrections.store(chat(longest), ALICE, Promise.resolve({ id: 'm_2', conversationId: 'c_1' }));
    assert.equal(await originalOf(corrections, chat('s-1', { replaces: long }), ALICE), undefined);
    assert.equal(await originalOf(corrections, chat('s-2', { replaces: longest }), ALICE), 'm_2');
  });
});
