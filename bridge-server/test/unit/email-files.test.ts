import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attachment } from '@switchboard/protocol';
import { readMail } from '../../src/networks/email/mail-reading.js';
import type { OutgoingMail } from '../../src/networks/email/smtp-sender.js';
import { TeamMailer } from '../../src/networks/email/team-mailer.js';
import type { NetworkFiles } from '../../src/networks/network.js';

const file = (id: string, name: string, type: string): Attachment => ({ id, name, type, size: 10, sha256: '0'.repeat(64) });
const PDF = Buffer.from('%PDF-1.4\n\u00e2\u00e3 bytes', 'latin1');

/** The bridge's files: `f_pdf` is there, anything else is gone. */
const files: NetworkFiles = {
  link: () => 'https://chat.example/unused',
  read: (attachment) => Promise.resolve(attachment.id === 'f_pdf' ? PDF : null),
  maxFileBytes: 10_000_000,
};

describe('email files out', () => {
  it("sends a message's files as MIME attachments, and says in the text which one is gone", async () => {
    const sent: OutgoingMail[] = [];
    const mailer = new TeamMailer({
      smtp: { send: (mail) => (sent.push(mail), Promise.resolve({ accepted: mail.to, response: '250 ok' })) },
      settings: { teams: { 'support@example.com': 'support' }, html: false },
      teamName: () => 'Support',
      files,
    });
    const content = await mailer.contentOf({
      text: 'The invoice and the photo.',
      attachments: [file('f_pdf', 'invoice.pdf', 'application/pdf'), file('f_gone', 'photo.jpg', 'image/jpeg')],
    });
    assert.equal(content.text, 'The invoice and the photo.\n\n[file no longer available: photo.jpg]');
    await mailer.send('support@example.com', { to: 'dana@example.org', subject: 'Re: Order', messageId: '<m1@bridge.example.com>', ...content });
    const read = await readMail(Buffer.from(sent[0]!.raw));
    assert.equal(read.text, 'The invoice and the photo.\n\n[file no longer available: photo.jpg]');
    assert.deepEqual(
      read.files.map((attached) => [attached.name, attached.declaredType, attached.content.equals(PDF)]),
      [['invoice.pdf', 'application/pdf', true]],
    );
    assert.deepEqual(await mailer.contentOf({ text: 'Just text.' }), { text: 'Just text.' });
  });
});
