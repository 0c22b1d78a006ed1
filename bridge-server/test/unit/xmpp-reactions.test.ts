import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/component';
import { REACTIONS_NS, reactionOf, reactionText } from '../../src/networks/xmpp/reactions.js';

const reactions = (id: string | undefined, ...texts: string[]) =>
  xml(
    'message',
    { type: 'chat' },
    xml('reactions', { xmlns: REACTIONS_NS, ...(id === undefined ? {} : { id }) }, ...texts.map((text) => xml('reaction', {}, text))),
  );

describe('XMPP reactions (XEP-0444)', () => {
  it('reads the set of reactions a stanza names a message with, each once, and nothing from other stanzas', () => {
    assert.deepEqual(reactionOf(reactions('m1', '👍', '❤️', '👍')), { id: 'm1', emojis: ['👍', '❤️'] });
    assert.deepEqual(reactionOf(reactions('m1')), { id: 'm1', emojis: [] }, 'an empty set takes them back');
    assert.equal(reactionOf(reactions(undefined, '👍')), undefined, 'no message named');
    assert.equal(reactionOf(xml('message', {}, xml('body', {}, '👍'))), undefined);
  });

  it('keeps only reactions a person picks: no line breaks, nothing longer than an emoji', () => {
    assert.deepEqual(reactionOf(reactions('m1', 'a\nb', 'x'.repeat(17), ' 🎉 '))?.emojis, ['a b', '🎉']);
  });

  it('quotes the message it is about on one line, cut between characters, or its files without words', () => {
    assert.equal(reactionText({ id: 'm1', emojis: ['👍'] }, { text: 'Thanks!\nBye' }), 'reacted 👍 to: "Thanks! Bye"');
    assert.equal(reactionText({ id: 'm1', emojis: [] }, { text: 'Thanks' }), 'took back their reaction to: "Thanks"');
    assert.equal(reactionText({ id: 'm1', emojis: ['👍'] }, { text: `${'a'.repeat(59)}👨‍👩‍👧` }), `reacted 👍 to: "${'a'.repeat(59)}…"`);
    const file = { id: 'f1', name: 'invoice.pdf', type: 'application/pdf', size: 3, sha256: '' };
    assert.equal(reactionText({ id: 'm1', emojis: ['👍'] }, { text: '', attachments: [file] }), 'reacted 👍 to: "invoice.pdf"');
  });
});
