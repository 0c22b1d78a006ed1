// Corrections as the widget and the console show them (`Message.corrects`): in the original's place, marked edited.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attachment, Message } from '@switchboard/protocol';
import { withCorrections } from '../../src/corrections.js';

let seq = 0;
const message = (id: string, text: string, extra: Partial<Message> = {}): Message => ({
  id,
  conversationId: 'c_1',
  seq: ++seq,
  from: 'xmpp:al@x.org',
  text,
  sentAt: '2026-12-05T10:00:00.000Z',
  ...extra,
});
const shown = (messages: Message[]) => withCorrections(messages).map(({ message: { id, text }, edited }) => [id, text, edited]);

describe('corrections as shown', () => {
  it('shows the latest correction in the original place, marked edited, and not again on its own', () => {
    const messages = [
      message('m_1', 'Helo'),
      message('m_2', 'How can I hlep?'),
      message('m_3', 'Hello', { corrects: 'm_1' }),
      message('m_4', 'How can I help?', { corrects: 'm_2' }),
      message('m_5', 'Hello!', { corrects: 'm_1' }),
      message('m_6', 'Anything else?'),
    ];
    assert.deepEqual(shown(messages), [
      ['m_1', 'Hello!', true],
      ['m_2', 'How can I help?', true],
      ['m_6', 'Anything else?', false],
    ]);
  });

  it("keeps the original's place and time, and takes the correction's files", () => {
    const file: Attachment = { id: 'f_1', name: 'map.png', type: 'image/png', size: 10, sha256: 'ab' };
    const [first] = withCorrections([
      message('m_1', 'see', { attachments: [file] }),
      message('m_2', 'see the map', { corrects: 'm_1', sentAt: '2026-12-05T10:05:00.000Z' }),
    ]);
    assert.equal(first!.message.seq, seq - 1);
    assert.equal(first!.message.sentAt, '2026-12-05T10:00:00.000Z');
    assert.equal(first!.message.attachments, undefined, 'the correction carries no file');
    assert.equal(first!.originalText, 'see');
  });

  it('shows a correction whose original is not loaded where it is, marked edited', () => {
    assert.deepEqual(shown([message('m_9', 'Fixed', { corrects: 'm_earlier' }), message('m_10', 'plain')]), [
      ['m_9', 'Fixed', true],
      ['m_10', 'plain', false],
    ]);
  });

  it('shows a message taken back (a retraction) as deleted, without its text or files, and a retraction of nothing loaded not at all', () => {
    const file: Attachment = { id: 'f_2', name: 'card.png', type: 'image/png', size: 10, sha256: 'cd' };
    const shownMessages = withCorrections([
      message('m_1', 'my card number is 4111…', { attachments: [file] }),
      message('m_2', '', { corrects: 'm_1' }),
      message('m_3', '', { corrects: 'm_not_loaded' }),
      message('m_4', 'sorry, wrong chat'),
    ]);
    assert.deepEqual(
      shownMessages.map(({ message: { id, text, attachments }, edited, deleted, originalText }) => [id, text, attachments, edited, deleted, originalText]),
      [
        ['m_1', '', undefined, false, true, undefined],
        ['m_4', 'sorry, wrong chat', undefined, false, undefined, undefined],
      ],
    );
  });

  it('shows a message the bridge emptied as deleted when its retraction is not loaded (a page ending between them)', () => {
    assert.deepEqual(
      withCorrections([message('m_1', ''), message('m_2', 'next')]).map(({ message: { id }, deleted }) => [id, deleted]),
      [
        ['m_1', true],
        ['m_2', undefined],
      ],
    );
  });
});
