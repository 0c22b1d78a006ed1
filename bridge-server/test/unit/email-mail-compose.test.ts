import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidMailError,
  type OutgoingMail,
  composeMail,
  composeRaw,
  conversationSubject,
  replySubject,
  textToHtml,
} from '../../src/networks/email/mail-compose.js';
import { readMail } from '../../src/networks/email/mail-reading.js';
import { HOSTILE_TEXTS } from '../hostile-texts.js';

const REPLY: OutgoingMail = {
  from: 'support@example.com',
  fromName: 'Sam from Acme Support',
  to: 'dana@example.org',
  toName: 'Dana Smith',
  subject: replySubject('Order #1234 arrived damaged', 'Your conversation with us'),
  messageId: '<m.5f4e3d2c1b0a@bridge.example.com>',
  thread: { inReplyTo: '<6b1f2c3e@example.org>', references: ['<m.0a1b2c3d4e5f@bridge.example.com>', '<6b1f2c3e@example.org>'] },
  replyTo: 'support+c_0mj1x9k2pa1b2c3d4e5f60718293a-k3j5h7g9f1d3s5a7@example.com',
  text: 'Hello Dana,\n\nwe are sending a replacement today.',
  date: new Date('2026-12-01T10:15:00Z'),
};

/** The header block of a MIME source: its field names, lowercased and sorted (folded lines joined). */
function headerNames(raw: Buffer): string[] {
  const block = raw.toString('utf8').split('\r\n\r\n', 1)[0]!;
  return block
    .split(/\r\n(?![ \t])/)
    .map((field) => field.slice(0, field.indexOf(':')).toLowerCase())
    .sort();
}

/** The fields of a reply: the message's own, then the MIME ones. */
const REPLY_HEADERS = ['from', 'to', 'reply-to', 'in-reply-to', 'references', 'subject', 'message-id', 'date', 'mime-version', 'content-type'];
const withHeaders = (...names: string[]) => [...REPLY_HEADERS, ...names].sort();

describe('Composing a mail', () => {
  it("writes an agent's reply with the team's address under the agent's name, its Message-ID, thread headers and plus address", async () => {
    const raw = await composeRaw(REPLY);
    assert.deepEqual(headerNames(raw), withHeaders('content-transfer-encoding'));
    const text = raw.toString('utf8');
    assert.match(text, /^From: Sam from Acme Support <support@example\.com>\r\n/);
    assert.match(text, /\r\nTo: Dana Smith <dana@example\.org>\r\n/);
    assert.match(text, /\r\nSubject: Re: Order #1234 arrived damaged\r\n/);
    assert.match(text, /\r\nIn-Reply-To: <6b1f2c3e@example\.org>\r\n/);
    assert.match(text, /\r\nReferences: <m\.0a1b2c3d4e5f@bridge\.example\.com> <6b1f2c3e@example\.org>\r\n/);
    assert.match(text, /\r\nMessage-ID: <m\.5f4e3d2c1b0a@bridge\.example\.com>\r\n/);
    assert.match(text, /\r\nDate: Tue, 01 Dec 2026 10:15:00 \+0000\r\n/);
    assert.doesNotMatch(text, /Auto-Submitted|X-Mailer/i, 'a person wrote it');
    const read = await readMail(raw);
    assert.equal(read.text, REPLY.text);
    assert.deepEqual(read.from, { address: 'mailto:support@example.com', name: 'Sam from Acme Support' });
    assert.deepEqual(read.replyTo, [REPLY.replyTo]);
    assert.deepEqual(read.classification, { kind: 'normal' });
  });

  it("marks what a machine wrote Auto-Submitted (RFC 3834), so that the bridge's own greeting is never answered, not even by itself", async () => {
    const greeting = await composeRaw({ ...REPLY, automatic: 'auto-replied', text: 'Thanks for writing to Acme. Someone will answer shortly.' });
    assert.match(greeting.toString(), /(^|\r\n)Auto-Submitted: auto-replied\r\n/);
    assert.match(greeting.toString(), /(^|\r\n)X-Auto-Response-Suppress: All\r\n/);
    assert.deepEqual((await readMail(greeting)).classification, { kind: 'auto-reply', signal: 'Auto-Submitted: auto-replied' });
    const notice = composeMail({ ...REPLY, automatic: 'auto-generated' });
    assert.deepEqual(notice.headers, { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' });
  });

  it('adds, when asked, a minimal HTML alternative with everything escaped', async () => {
    const html = textToHtml('<script>alert("x")</script> & \'quotes\'\nnext line\n\n\nnew paragraph');
    assert.equal(
      html,
      '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;<br>\nnext line</p>\n<p>new paragraph</p>\n</body></html>\n',
    );
    const raw = (await composeRaw({ ...REPLY, html: true })).toString();
    assert.match(raw, /Content-Type: multipart\/alternative/);
    assert.match(raw, /<p>Hello Dana,<\/p>\r\n<p>we are sending a replacement today\.<\/p>/);
    assert.equal((await readMail(Buffer.from(raw))).text, REPLY.text, 'the text part is what a reader takes');
  });

  it('answers a subject once, and uses the configured one when the conversation has none', () => {
    assert.equal(replySubject('Order #1234', 'Fallback'), 'Re: Order #1234');
    assert.equal(replySubject('Re: Order #1234', 'Fallback'), 'Re: Order #1234');
    assert.equal(replySubject('AW: Bestellung', 'Fallback'), 'AW: Bestellung');
    assert.equal(replySubject('RE[2]: Order', 'Fallback'), 'RE[2]: Order');
    assert.equal(replySubject('  ', 'Your conversation with us'), 'Your conversation with us');
    assert.equal(replySubject(undefined, 'Your conversation with us'), 'Your conversation with us');
    assert.equal(replySubject('Réclamation €', 'x'), 'Re: Réclamation €');
  });

  it("keeps a conversation's subject without the answer prefixes a customer's client stacked on it", () => {
    assert.equal(conversationSubject('Re: Invoice wrong'), 'Invoice wrong');
    assert.equal(conversationSubject('RE: AW:  Re[3]: SV: Invoice wrong '), 'Invoice wrong');
    assert.equal(conversationSubject('Invoice wrong: Re: my order'), 'Invoice wrong: Re: my order', 'only at the start');
    assert.equal(conversationSubject('Fwd: Invoice'), 'Fwd: Invoice', 'a forward keeps its mark');
    assert.equal(conversationSubject('Regarding: the invoice'), 'Regarding: the invoice', 'a word that starts like a prefix');
    assert.equal(conversationSubject('Re:'), undefined);
    assert.equal(conversationSubject(undefined), undefined);
  });

  it('encodes names and subjects beyond ASCII (RFC 2047) and reads them back', async () => {
    const raw = await composeRaw({ ...REPLY, fromName: 'Zoë Ærøskøbing', subject: replySubject('Réclamation 🚚', 'x') });
    assert.doesNotMatch(raw.toString('utf8').split('\r\n\r\n')[0]!, /[^\x00-\x7f]/, 'a header block of ASCII only');
    const read = await readMail(raw);
    assert.equal(read.from?.name, 'Zoë Ærøskøbing');
    assert.equal(read.subject, 'Re: Réclamation 🚚');
  });

  it('never lets a name, subject or text start a header, whatever it holds', async () => {
    for (const hostile of [
      ...HOSTILE_TEXTS,
      'Bank <help@bank.example>',
      'x\u0085Bcc: evil@example.net',
      'y\u2028Bcc: evil@example.net',
      '=?utf-8?Q?a=0D=0ABcc:_evil@example.net?=',
    ]) {
      const mail = { ...REPLY, fromName: hostile, toName: hostile, subject: replySubject(hostile, 'x'), text: hostile, html: true };
      const raw = await composeRaw(mail);
      assert.deepEqual(headerNames(raw), withHeaders(), JSON.stringify(hostile));
      const read = await readMail(raw);
      assert.equal(read.from?.address, 'mailto:support@example.com');
      assert.deepEqual(read.to, ['dana@example.org']);
      assert.deepEqual(read.cc, []);
      assert.doesNotMatch(read.from?.name ?? '', /[\r\n<>]/);
      assert.doesNotMatch(read.subject, /[\r\n]/);
    }
  });

  it('refuses an address or Message-ID a header cannot carry, and leaves out thread values that are no Message-IDs', async () => {
    for (const address of [
      'dana@example.org\r\nBcc: evil@example.net',
      'Dana <dana@example.org>',
      'dana@example.org, evil@example.net',
      'no-at',
      '"quoted local"@example.org',
    ]) {
      assert.throws(() => composeMail({ ...REPLY, to: address }), InvalidMailError, address);
      assert.throws(() => composeMail({ ...REPLY, from: address }), InvalidMailError, address);
      assert.throws(() => composeMail({ ...REPLY, replyTo: address }), InvalidMailError, address);
    }
    assert.throws(() => composeMail({ ...REPLY, messageId: '<a@x>\r\nBcc: evil@example.net' }), InvalidMailError);
    assert.throws(() => composeMail({ ...REPLY, messageId: 'a@x' }), InvalidMailError);
    const message = composeMail({ ...REPLY, thread: { inReplyTo: '<a@x>\r\nBcc: evil@example.net', references: ['<first@x>', 'junk', '<b@x> <c@x>'] } });
    assert.equal(message.inReplyTo, undefined);
    assert.deepEqual(message.references, ['<first@x>']);
    const answering = composeMail({ ...REPLY, thread: { inReplyTo: '<first@x>', references: ['<first@x>', '<second@x>'] } });
    assert.equal(answering.inReplyTo, '<first@x>', 'the mail answered, wherever it is in the thread');
    assert.deepEqual(answering.references, ['<first@x>', '<second@x>']);
    const fresh = composeMail({ ...REPLY, thread: {} });
    assert.equal(fresh.inReplyTo, undefined);
    assert.equal(fresh.references, undefined);
  });

  it('attaches files as MIME attachments with their bytes, names and types, and no hostile name or type reaches a header of its own', async () => {
    const pdf = Buffer.from('%PDF-1.4\n\u00ff\u00fe binary \r\n\r\n--boundary\r\n', 'latin1');
    const raw = await composeRaw({
      ...REPLY,
      attachments: [
        { name: 'Rechnung M\u00fcller.pdf', type: 'application/pdf', content: pdf },
        { name: 'x.png\r\nBcc: eve@evil.example', type: 'image/png\r\nX-Evil: 1', content: Buffer.from('png') },
      ],
    });
    const mail = await readMail(raw);
    assert.equal(mail.text, REPLY.text);
    assert.deepEqual(
      mail.files.map((file) => [file.name, file.declaredType, file.content.toString('latin1')]),
      [
        ['Rechnung M\u00fcller.pdf', 'application/pdf', pdf.toString('latin1')],
        ['x.png Bcc: eve@evil.example', 'application/octet-stream', 'png'],
      ],
    );
    assert.doesNotMatch(raw.toString('latin1'), /^(Bcc|X-Evil):/im, 'no header of its own');
  });

  it("names a text attachment's charset as its bytes are, so a mail client shows the text it holds", async () => {
    const csv = Buffer.from('name;city\r\nJos\u00e9;M\u00e1laga\r\n', 'latin1');
    const wide = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Gr\u00fc\u00dfe\r\n', 'utf16le')]);
    const raw = await composeRaw({
      ...REPLY,
      attachments: [
        { name: 'export.csv', type: 'text/plain', content: csv },
        { name: 'notes.txt', type: 'text/plain', content: wide },
        { name: 'readme.txt', type: 'text/plain', content: Buffer.from('caf\u00e9') },
      ],
    });
    const mail = await readMail(raw);
    assert.deepEqual(
      mail.files.map((file) => [file.name, file.content]),
      [
        ['export.csv', csv],
        ['notes.txt', wide],
        ['readme.txt', Buffer.from('caf\u00e9')],
      ],
      'the bytes as they were',
    );
    const headers = raw
      .toString('latin1')
      .split(/\r\n--/)
      .filter((part) => /Content-Disposition: attachment/i.test(part))
      .map((part) => /^Content-Type: ([^\r\n]+)/im.exec(part)?.[1]);
    assert.deepEqual(headers, [
      'text/plain; charset=windows-1252; name=export.csv',
      'text/plain; charset=utf-16le; name=notes.txt',
      'text/plain; charset=utf-8; name=readme.txt',
    ]);
  });
});
