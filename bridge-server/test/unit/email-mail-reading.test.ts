import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LIMITS } from '@switchboard/protocol';
import MailComposer from 'nodemailer/lib/mail-composer';
import { attachmentLine, mailContent, readMail } from '../../src/networks/email/mail-reading.js';
import { htmlToText, visibleText } from '../../src/networks/email/mail-text.js';

/** A mail of test/fixtures/mail/ as the IMAP server hands it over. */
function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));
}

/** A plain mail from Dana with the given extra header lines and body. */
function plainMail(headers: string[], body: string): Buffer {
  return Buffer.from(
    [
      'From: Dana Smith <dana@example.org>',
      'To: support@example.com',
      'Subject: Question',
      'Date: Tue, 1 Dec 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      ...headers,
      '',
      body,
    ].join('\r\n'),
  );
}

describe('Reading a mail', () => {
  it('keeps of a Thunderbird reply written below the quote only the new text, without the quote or the signature', async () => {
    const mail = await readMail(fixture('thunderbird-reply.eml'));
    assert.equal(mail.text, 'Thanks Sam, the replacement arrived and works. Can I recycle the damaged one at a shop near me, or does it go back to you?');
    assert.deepEqual(mail.from, { address: 'mailto:dana.smith@example.org', name: 'Dana Smith' });
    assert.equal(mail.messageId, '<6b1f2c3e-8d4a-4f0e-9c1b-2a7d5e3f4a10@example.org>');
    assert.equal(mail.messageIdDerived, false);
    assert.equal(mail.inReplyTo, '<m.5f4e3d2c1b0a@bridge.example.com>');
    assert.deepEqual(mail.references, ['<m.0a1b2c3d4e5f@bridge.example.com>', '<m.5f4e3d2c1b0a@bridge.example.com>']);
    assert.equal(mail.subject, 'Re: Order #1234 arrived damaged');
    assert.equal(mail.date?.toISOString(), '2026-12-01T10:42:07.000Z');
    assert.deepEqual(mail.to, ['support+c-7hq2kz4m9x@example.com']);
    assert.deepEqual(mail.deliveredTo, ['support+c-7hq2kz4m9x@example.com']);
    assert.deepEqual(mail.classification, { kind: 'normal' });
  });

  it('keeps of a Gmail reply its text part above "On ... wrote:" (split over two lines) and the quote', async () => {
    const mail = await readMail(fixture('gmail-reply.eml'));
    assert.equal(mail.text, 'Perfect, thank you! I\u2019ll watch for the tracking number.\n\nDana');
    assert.equal(mail.messageId, '<CAJx3Lq9f0vQ2mZ8b4Hn1YkQy7xW5s+Ktp6rXo=1DfGhJ-0aB9w@mail.gmail.com>');
    assert.deepEqual(mail.from, { address: 'mailto:dana.smith.1987@gmail.com', name: 'Dana Smith' });
  });

  it("keeps of an Outlook reply (Windows-1252, quoted-printable) the text before the closing and the original's From: block", async () => {
    const mail = await readMail(fixture('outlook-reply.eml'));
    assert.equal(mail.text, 'Hi Sam,\n\nI\u2019m in the office all week, please send the replacement to Contoso Ltd, 10 Market Street, Leeds.');
    assert.equal(mail.subject, 'RE: Order #1234 arrived damaged');
    assert.deepEqual(mail.cc, ['robin.lee@contoso.com']);
    assert.equal(mail.messageId, '<DB9PR08MB6588C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A@DB9PR08MB6588.eurprd08.prod.outlook.com>');
  });

  it('turns an HTML-only mail into text: no style, script or tracking pixel; links keep their address; lists stay lists', async () => {
    const mail = await readMail(fixture('html-only.eml'));
    assert.equal(
      mail.text,
      [
        'Bonjour,',
        '',
        'I cannot log in since this morning: the page says "invalid token" & then reloads.',
        'I tried the reset link [https://shop.example.com/reset] twice.',
        '',
        ' * Browser: Firefox 133',
        ' * Account: jmoreau',
        '',
        'Merci\u00a0!',
      ].join('\n'),
    );
    assert.deepEqual(mail.from, { address: 'mailto:j.moreau@example.fr', name: 'J\u00e9r\u00f4me Moreau' });
    assert.equal(mail.subject, 'Probl\u00e8me de connexion');
  });

  it("turns an HTML table into rows of columns (a contact form's fields), and a layout table into its text unbroken", () => {
    const form = '<p>New message:</p><table><tr><th>Name:</th><td>Ivy</td></tr><tr><td>Message</td><td>Where is my order?</td></tr></table>';
    assert.equal(htmlToText(form), 'New message:\n\nName:     Ivy\nMessage   Where is my order?');
    const paragraph = 'A long paragraph of the customer, with more words than any column would hold on one line of a table. '.repeat(3).trim();
    const layout = `<table width="600"><tr><td><p>Hi team,</p><p>${paragraph}</p><p>Thanks, Ivy</p></td></tr></table>`;
    assert.equal(htmlToText(layout), `Hi team,\n\n${paragraph}\n\nThanks, Ivy`);
  });

  it('strips the quoted history of an HTML-only reply (<blockquote type="cite">)', async () => {
    const mail = await readMail(fixture('html-reply-quoted.eml'));
    assert.equal(mail.text, 'Thanks, Tuesday works for me.\n\nNoor');
  });

  it('reads an HTML-only mail in the charset its page declares when its Content-Type names none (a contact form)', async () => {
    const page = (charset: string) => `<html><head><meta charset="${charset}"></head><body><p>Caf\u00e9 \u00abquoted\u00bb \u2013 ok</p></body></html>`;
    const mail = (headers: string, body: Buffer) =>
      readMail(
        Buffer.concat([
          Buffer.from(`From: Form <form@shop.example>\r\nTo: support@example.com\r\nSubject: Contact\r\nMessage-ID: <f1@shop.example>\r\n${headers}\r\n\r\n`),
          body,
        ]),
      );
    const cp1252 = (text: string) => Buffer.from(text.replace('\u2013', '\u0096'), 'latin1');
    const plain = await mail('Content-Type: text/html', cp1252(page('windows-1252')));
    assert.equal(plain.text, 'Caf\u00e9 \u00abquoted\u00bb \u2013 ok');
    const qp = cp1252(page('windows-1252'))
      .toString('latin1')
      .replace(/[\u0080-\u00ff=]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
    const quoted = await mail('Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable', Buffer.from(qp, 'latin1'));
    assert.equal(quoted.text, 'Caf\u00e9 \u00abquoted\u00bb \u2013 ok');
    // A charset the Content-Type names wins; a UTF-8 page is read as it is.
    const named = await mail('Content-Type: text/html; charset=utf-8', Buffer.from(page('windows-1252'), 'utf8'));
    assert.equal(named.text, 'Caf\u00e9 \u00abquoted\u00bb \u2013 ok');
    const utf8 = await mail('Content-Type: text/html', Buffer.from(page('utf-8'), 'utf8'));
    assert.equal(utf8.text, 'Caf\u00e9 \u00abquoted\u00bb \u2013 ok');
    // A part of a multipart: the form with a file attached (mixed), or beside a text part (alternative, nested).
    const withFile = await mail(
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"',
      Buffer.concat([
        Buffer.from('--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/html\r\n\r\n'),
        cp1252(page('windows-1252')),
        Buffer.from(
          '\r\n--inner--\r\n\r\n--outer\r\nContent-Type: text/plain; name="order.txt"\r\nContent-Disposition: attachment; filename="order.txt"\r\n\r\n',
        ),
        Buffer.from('order 42\r\n--outer--\r\n'),
      ]),
    );
    assert.equal(withFile.text, 'Caf\u00e9 \u00abquoted\u00bb \u2013 ok');
    assert.deepEqual(
      withFile.files.map((file) => [file.name, file.content.toString()]),
      [['order.txt', 'order 42']],
    );
  });

  it('reads header fields written in raw Latin-1 (against RFC 5322) and text in unknown-8bit (RFC 1428) as the sender wrote them', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const mail = (contentType: string, body: Buffer, encoding = '8bit') =>
      readMail(
        Buffer.concat([
          latin1('From: Ren\u00e9 M\u00fcller <rene@example.org>\r\nTo: support@example.com\r\nSubject: Caf\u00e9 au lait\r\nMessage-ID: <l1@example.org>\r\n'),
          latin1(`MIME-Version: 1.0\r\nContent-Type: ${contentType}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`),
          body,
        ]),
      );
    const unknown = await mail('text/plain; charset=unknown-8bit', latin1('O\u00f9 est ma commande ? \u00c7a fait une semaine, Jos\u00e9'));
    assert.deepEqual(
      [unknown.from?.name, unknown.subject, unknown.text],
      ['Ren\u00e9 M\u00fcller', 'Caf\u00e9 au lait', 'O\u00f9 est ma commande ? \u00c7a fait une semaine, Jos\u00e9'],
    );
    // windows-1252's quotes and euro (0x80-0x9F), which Node's own decoder reads as control characters.
    const quoted = await readMail(
      latin1(
        'From: Ren\u00e9 <rene@example.org>\r\nTo: support@example.com\r\nSubject: \u0093Caf\u00e9\u0094 \u0080 5\r\nMessage-ID: <l4@example.org>\r\nContent-Type: text/plain; charset=unknown-8bit\r\n\r\n\u0093ok\u0094 \u0080\r\n',
      ),
    );
    assert.deepEqual([quoted.subject, quoted.text], ['\u201cCaf\u00e9\u201d \u20ac 5', '\u201cok\u201d \u20ac']);
    // The header in the charset its part declares: ISO-8859-2's 0xB9 is \u0161 and 0xE8 \u010d, not \u00b9 and \u00e8.
    const czech = await readMail(
      latin1(
        'From: Tom\u00e1\u00b9 <tomas@example.cz>\r\nTo: support@example.com\r\nSubject: Dobr\u00fd den, \u00e8ek\u00e1m\r\nMessage-ID: <l2@example.cz>\r\nContent-Type: text/plain; charset=iso-8859-2\r\n\r\nD\u00eckuji\r\n',
      ),
    );
    assert.deepEqual([czech.from?.name, czech.subject, czech.text], ['Tom\u00e1\u0161', 'Dobr\u00fd den, \u010dek\u00e1m', 'D\u011bkuji']);
    // unknown-8bit that is UTF-8 stays UTF-8, quoted-printable or not; so do UTF-8 header fields (RFC 6532).
    const utf8 = await mail('text/plain; charset="unknown-8bit"', Buffer.from('Gr\u00fc\u00dfe aus K\u00f6ln \u{1F600}', 'utf8'));
    assert.equal(utf8.text, 'Gr\u00fc\u00dfe aus K\u00f6ln \u{1F600}');
    const qp = await mail('text/plain; charset=unknown-8bit', latin1('Gr=FC=DFe aus K=F6ln'), 'quoted-printable');
    assert.equal(qp.text, 'Gr\u00fc\u00dfe aus K\u00f6ln');
    const rfc6532 = await readMail(
      Buffer.from(
        'From: Zo\u00eb \u00dcnal <zoe@example.org>\r\nTo: support@example.com\r\nSubject: Gr\u00fc\u00dfe\r\nMessage-ID: <l3@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n',
        'utf8',
      ),
    );
    assert.deepEqual([rfc6532.from?.name, rfc6532.subject], ['Zo\u00eb \u00dcnal', 'Gr\u00fc\u00dfe']);
    // An attachment's name in raw Latin-1, in a multipart's part header.
    const withFile = await mail(
      'multipart/mixed; boundary="b"',
      Buffer.concat([
        latin1('--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoir pi\u00c3\u00a8ce jointe\r\n'),
        latin1('--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="r\u00e9sum\u00e9.txt"\r\n\r\nok\r\n--b--\r\n'),
      ]),
    );
    assert.equal(withFile.text, 'Voir pi\u00e8ce jointe');
    assert.deepEqual(
      withFile.files.map((file) => file.name),
      ['r\u00e9sum\u00e9.txt'],
    );
  });

  it('keeps the lines a format=flowed client stuffed because they start with ">" (RFC 3676 section 4.4), ends a paragraph at an empty line, and still cuts the quote', async () => {
    const flowed = (encoding: string, ...lines: string[]) =>
      readMail(
        Buffer.from(
          [
            'From: Dana <dana@example.org>',
            'To: support@example.com',
            'Subject: Re: Order',
            'Message-ID: <fl1@example.org>',
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=UTF-8; format=flowed',
            `Content-Transfer-Encoding: ${encoding}`,
            '',
            ...lines,
            '',
          ].join('\r\n'),
        ),
      );
    const typed = ['I ordered:', ' > 5 tents', ' >= 3 mats', '', 'On Mon, Alice wrote:', '> We ship on Monday.', '> Alice'];
    assert.equal((await flowed('7bit', ...typed)).text, 'I ordered:\n> 5 tents\n>= 3 mats', 'as typed: the stuffing is taken off (section 4.4)');
    assert.equal((await flowed('8bit', ' > first line', 'second')).text, '> first line\nsecond', 'kept (the text is trimmed)');
    assert.equal((await flowed('quoted-printable', 'I ordered:', ' > 5 tents =E2=80=94 blue', '> quoted')).text, 'I ordered:\n> 5 tents \u2014 blue');
    // The rest of a line, not a line: after a soft line break of quoted-printable, or a flowed line's closing space.
    assert.equal((await flowed('quoted-printable', 'I ordered more tha=', ' > 5 tents')).text, 'I ordered more tha > 5 tents');
    assert.equal((await flowed('7bit', 'I ordered more than ', ' >5 tents')).text, 'I ordered more than >5 tents');
    // An empty line ends the paragraph of the flowed line before it (section 4.2): NeoMutt's top-posted reply.
    const neomutt = await flowed(
      '8bit',
      'Thanks Alice, that helps a lot: I will wait for the parcel ',
      'until Wednesday. ',
      '',
      'On Sun, Dec 06, 2026 at 04:54:58AM +0000, alice wrote:',
      '>Hello,',
      '>',
      '>your parcel is at the depot.',
    );
    assert.equal(neomutt.text, 'Thanks Alice, that helps a lot: I will wait for the parcel until Wednesday.');
    assert.equal((await flowed('7bit', 'Para one ', '', 'Para two')).text, 'Para one\n\nPara two');
    assert.equal((await flowed('quoted-printable', 'Para one=20', '', 'Para two =E2=9C=93')).text, 'Para one\n\nPara two \u2713');
    assert.equal((await flowed('7bit', 'Still one ', 'paragraph.')).text, 'Still one paragraph.', 'a flowed line goes on');
    // Base64, as some clients send text that is not ASCII: the same, once decoded.
    const base64 = (...lines: string[]) =>
      (
        Buffer.from(lines.join('\r\n'), 'utf8')
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\r\n');
    assert.equal(
      (await flowed('base64', base64('I ordered: ', '', ' > 5 tents \u2014 blue', '', 'On Mon, Alice wrote:', '> We ship.'))).text,
      'I ordered:\n\n> 5 tents \u2014 blue',
    );
    assert.equal((await flowed('base64', base64('Still one ', 'paragraph \u2713'))).text, 'Still one paragraph \u2713', 'nothing to set right: as it came');
    // Without format=flowed nothing is stuffed: a line starting with ">" is a quote, one with " >" is text.
    const fixed = await readMail(
      Buffer.from(
        'From: Dana <dana@example.org>\r\nTo: support@example.com\r\nSubject: x\r\nMessage-ID: <fl2@example.org>\r\nContent-Type: text/plain\r\n\r\nMine\r\n > also mine\r\n',
      ),
    );
    assert.equal(fixed.text, 'Mine\n > also mine');
  });

  it("strips an Outlook HTML reply's original (a rule, then the From: block) and the rule with it", async () => {
    const html = [
      '<html><body><div>Yes please, ship it.</div><div id="appendonsend"></div>',
      '<hr style="display:inline-block;width:98%" tabindex="-1">',
      '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt"><b>From:</b> Support &lt;support@example.com&gt;<br>',
      '<b>Sent:</b> Tuesday, December 1, 2026 10:00 AM<br><b>To:</b> Dana &lt;dana@example.org&gt;<br><b>Subject:</b> Re: My order</font><div>&nbsp;</div></div>',
      '<div><div>Shall we ship it today?</div></div></body></html>',
    ].join('');
    const mail = await readMail(
      Buffer.from(
        `From: Dana <dana@example.org>\r\nTo: support@example.com\r\nSubject: RE: My order\r\nMessage-ID: <o1@example.org>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`,
      ),
    );
    assert.equal(mail.text, 'Yes please, ship it.');
    // Outlook mobile puts its footer above the rule: with the original cut, it is last, and goes too.
    const mobile = html.replace(
      '<div id="appendonsend"></div>',
      '<div><br></div><div id="ms-outlook-mobile-signature">Get <a href="https://aka.ms/o0ukef">Outlook for iOS</a></div>',
    );
    const fromPhone = await readMail(
      Buffer.from(
        `From: Dana <dana@example.org>\r\nTo: support@example.com\r\nSubject: RE: My order\r\nMessage-ID: <o2@example.org>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${mobile}\r\n`,
      ),
    );
    assert.equal(fromPhone.text, 'Yes please, ship it.');
    // A rule the customer wrote between their own lines stays.
    assert.equal(visibleText('Order 1234\n-----\nblue tent'), 'Order 1234\n-----\nblue tent');
  });

  it('carries attachments as files (RFC 2231 names decoded), their bytes whole, and no listing in the text', async () => {
    const mail = await readMail(fixture('attachment.eml'));
    assert.equal(mail.text, ['Hello,', '', 'the payment page shows an error, screenshot and the invoice attached.', '', 'Dana'].join('\n'));
    assert.deepEqual(
      mail.files.map((file) => [file.name, file.declaredType, file.content.length]),
      [
        ['screenshot.png', 'image/png', 12345],
        ['Rechnung M\u00fcller.pdf', 'application/pdf', 2048],
      ],
    );
    assert.deepEqual(mail.attachments, [], 'nothing skipped');
  });

  it('names a part sent without a name by what it is: a forwarded mail is message.eml, an invitation invite.ics', async () => {
    const raw = [
      'From: Dana <dana@example.org>',
      'To: support@example.com',
      'Subject: Fwd: the invoice',
      'Message-ID: <f1@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the mail below.',
      '--b1',
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment',
      '',
      'From: Billing <billing@example.net>',
      'Subject: Invoice 42',
      '',
      'Your invoice is attached.',
      '--b1',
      'Content-Type: text/calendar; method=REQUEST',
      'Content-Disposition: attachment',
      '',
      'BEGIN:VCALENDAR',
      'END:VCALENDAR',
      '--b1',
      'Content-Type: application/x-unknown-thing',
      'Content-Disposition: attachment',
      '',
      'bytes',
      '--b1--',
      '',
    ].join('\r\n');
    const mail = await readMail(Buffer.from(raw));
    assert.equal(mail.text, 'See the mail below.');
    assert.deepEqual(
      mail.files.map((file) => [file.name, file.declaredType]),
      [
        ['message.eml', 'message/rfc822'],
        ['invite.ics', 'text/calendar'],
        ['file', 'application/x-unknown-thing'],
      ],
    );
  });

  it('still yields a message for a photo sent with nothing but "Sent from my iPhone": the photo, no text', async () => {
    const mail = await readMail(fixture('attachment-only.eml'));
    assert.equal(mail.text, '');
    assert.deepEqual(
      mail.files.map((file) => [file.name, file.declaredType, file.content.length]),
      [['IMG_0412.jpeg', 'image/jpeg', 700]],
    );
    assert.deepEqual(mailContent(mail), { text: '', files: mail.files });
    assert.equal(mail.classification.kind, 'normal');
  });

  it('gives a mail whose body is only blanks its subject as text, or says it was empty: never a message of nothing', () => {
    const blank = { text: ' \n\n \r\n', subject: 'Call me back', files: [] };
    assert.deepEqual(mailContent(blank), { text: 'Call me back' });
    assert.deepEqual(mailContent({ ...blank, subject: '  ' }), { text: '(empty mail)' });
    assert.deepEqual(mailContent({ ...blank, text: ' Hello\n' }), { text: ' Hello\n' }, 'a body that says something, as it came');
    // Invisible characters say nothing either (isBlankText): the core would refuse them as a message.
    assert.deepEqual(mailContent({ ...blank, text: '\u200b\ufeff\n' }), { text: 'Call me back' });
    assert.deepEqual(mailContent({ ...blank, text: '\u200b', subject: '\u2060' }), { text: '(empty mail)' });
  });

  it("skips a signature's small inline images and files past the most a message carries, listing them after the text", async () => {
    const logo = { filename: 'logo.png', content: Buffer.alloc(3000, 7), contentType: 'image/png', cid: 'logo@sig' };
    const pasted = { filename: 'pasted.png', content: Buffer.alloc(40_000, 8), contentType: 'image/png', cid: 'shot@body' };
    const many = Array.from({ length: LIMITS.maxMessageAttachments + 1 }, (_, index) => ({
      filename: `f${index}.txt`,
      content: Buffer.from(`file ${index}`),
      contentType: 'text/plain',
    }));
    const raw = await new MailComposer({
      from: 'Dana <dana@example.org>',
      to: 'support@example.com',
      subject: 'Files',
      messageId: '<files@example.org>',
      text: 'See the files.',
      html: '<p>See the files.</p><img src="cid:shot@body"><p>-- <img src="cid:logo@sig"></p>',
      attachments: [logo, pasted, ...many],
    })
      .compile()
      .build();
    const mail = await readMail(raw);
    assert.deepEqual(
      mail.files.map((file) => file.name),
      ['pasted.png', ...many.slice(0, LIMITS.maxMessageAttachments - 1).map((file) => file.filename)],
    );
    assert.equal(
      mail.text,
      [
        'See the files.',
        '',
        '[attachment not kept: logo.png, image/png, 3 kB]',
        `[attachment not kept: f${LIMITS.maxMessageAttachments - 1}.txt, text/plain, 6 bytes]`,
        `[attachment not kept: f${LIMITS.maxMessageAttachments}.txt, text/plain, 7 bytes]`,
      ].join('\n'),
    );
  });

  it('reads malformed MIME without throwing, and gives a mail without Message-ID the same derived id on every fetch', async () => {
    const raw = fixture('malformed.eml');
    const mail = await readMail(raw);
    const derived = `<${createHash('sha256').update(raw).digest('hex').slice(0, 40)}@message-id.invalid>`;
    assert.equal(mail.messageId, derived);
    assert.equal(mail.messageIdDerived, true);
    assert.equal((await readMail(raw)).messageId, derived);
    assert.equal(mail.from, null, 'a From with no usable address names no sender');
    assert.match(mail.text, /^Hello, my order/);
    assert.equal(mail.date, null);
  });

  it('reads thread headers however a client writes them: ids run together, folded, or after words', async () => {
    const mail = await readMail(
      plainMail(
        [
          'Message-ID: <t@example.org>',
          'In-Reply-To: Your message of Tue, 1 Dec 2026 <m.1@bridge.example.com>',
          'References: <m.0@bridge.example.com><x@example.org>',
          ' <m.1@bridge.example.com>',
        ],
        'Hi',
      ),
    );
    assert.equal(mail.inReplyTo, '<m.1@bridge.example.com>');
    assert.deepEqual(mail.references, ['<m.0@bridge.example.com>', '<x@example.org>', '<m.1@bridge.example.com>']);
  });

  it('keeps a forwarded mail sent without a comment rather than reading it as empty', async () => {
    const body = [
      '---------- Forwarded message ---------',
      'From: Shop <orders@shop.example.net>',
      'Date: Mon, 30 Nov 2026',
      'Subject: Your order',
      '',
      'Your order 1234 has shipped.',
    ].join('\n');
    const mail = await readMail(plainMail(['Message-ID: <fwd-1@example.org>'], body));
    assert.match(mail.text, /Your order 1234 has shipped\./);
  });

  it("keeps a signed mail's signature (S/MIME, OpenPGP) out of its files and its text (RFC 1847)", async () => {
    const signed = (protocol: string, type: string, name: string) =>
      readMail(
        Buffer.from(
          [
            'From: Dana Smith <dana@example.org>',
            'To: support@example.com',
            'Subject: Signed',
            'Message-ID: <signed@example.org>',
            'MIME-Version: 1.0',
            `Content-Type: multipart/signed; protocol="${protocol}"; micalg=sha-256; boundary="b"`,
            '',
            '--b',
            'Content-Type: text/plain; charset=utf-8',
            '',
            'Where is my parcel?',
            '--b',
            `Content-Type: ${type}; name="${name}"`,
            `Content-Disposition: attachment; filename="${name}"`,
            'Content-Transfer-Encoding: base64',
            '',
            Buffer.from('not really a signature').toString('base64'),
            '--b--',
            '',
          ].join('\r\n'),
        ),
      );
    for (const mail of [
      await signed('application/pkcs7-signature', 'application/pkcs7-signature', 'smime.p7s'),
      await signed('application/pgp-signature', 'application/pgp-signature', 'OpenPGP_signature.asc'),
    ]) {
      assert.equal(mail.text, 'Where is my parcel?');
      assert.deepEqual([mail.files, mail.attachments], [[], []]);
    }
  });

  it('keeps what a forward with a comment forwards (Fwd:, FW:, WG:, VS: subjects, but a Finnish VS: reply): the agent reads the mail the customer asks about', async () => {
    const forward = (subject: string, body: string[], headers: string[] = []) =>
      readMail(
        Buffer.from(
          [
            'From: Dana Smith <dana@example.org>',
            'To: support@example.com',
            ...headers,
            `Subject: ${subject}`,
            'Date: Tue, 1 Dec 2026 10:00:00 +0000',
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=utf-8',
            `Message-ID: <${subject.length}@example.org>`,
            '',
            ...body,
          ].join('\r\n'),
        ),
      );
    const apple = await forward('Fwd: Parcel 555', [
      'See the mail from the courier.',
      '',
      'Begin forwarded message:',
      '',
      '> From: Courier <c@courier.example>',
      '> Subject: Parcel 555',
      '>',
      '> We could not deliver parcel 555.',
    ]);
    assert.match(apple.text, /^See the mail from the courier\./);
    assert.match(apple.text, /We could not deliver parcel 555\./);
    const outlook = await forward('FW: Invoice 998', [
      'FYI, the vendor says I owe money.',
      '',
      '_'.repeat(32),
      'From: Billing <billing@vendor.example>',
      'Sent: Monday, November 30, 2026 10:00',
      'Subject: Invoice 998',
      '',
      'Invoice 998 is overdue: 120 EUR.',
    ]);
    assert.match(outlook.text, /^FYI, the vendor says I owe money\./);
    assert.match(outlook.text, /Invoice 998 is overdue: 120 EUR\./);
    const german = await forward('WG: Rechnung', ['Zur Info.', '', '-----Original Message-----', 'From: Billing', '', 'Rechnung 998 ist fällig.']);
    assert.match(german.text, /Rechnung 998 ist fällig\./);
    // A reply, even to a forward, still gives only what was written.
    const reply = await forward('Re: Fwd: Invoice 998', ['Thanks!', '', '-----Original Message-----', 'From: Support', '', 'Your refund.']);
    assert.equal(reply.text, 'Thanks!');
    // VS: forwards in Danish and Norwegian, and answers in Finnish (a mail that answers another).
    const danish = await forward('VS: Faktura 998', ['Til orientering.', '', '-----Original Message-----', 'From: Billing', '', 'Faktura 998 er forfalden.']);
    assert.match(danish.text, /Faktura 998 er forfalden\./);
    const finnish = await forward(
      'VS: Re: Toimitusaika',
      ['Kiitos, tilaus näyttää hyvältä.', '', '-----Original Message-----', 'From: Support', '', 'Se lähti eilen.'],
      ['In-Reply-To: <m.1@bridge.example.com>'],
    );
    assert.equal(finnish.text, 'Kiitos, tilaus näyttää hyvältä.');
    const finnishForward = await forward('VL: Lasku 998', ['Tiedoksi.', '', '-----Original Message-----', 'From: Billing', '', 'Lasku 998 on erääntynyt.']);
    assert.match(finnishForward.text, /Lasku 998 on erääntynyt\./);
    const swedish = await forward('VB: Faktura 998', ['För kännedom.', '', '-----Original Message-----', 'From: Billing', '', 'Faktura 998 har förfallit.']);
    assert.match(swedish.text, /Faktura 998 har förfallit\./);
  });

  it("keeps the customer's words under a line of dashes, equals or pluses, and a P.S. or a long block after a closing", () => {
    assert.equal(visibleText('Hi, my order has a problem.\n---\nOrder details: blue tent'), 'Hi, my order has a problem.\n---\nOrder details: blue tent');
    assert.equal(visibleText('Sizes:\n==\nM and L\n\n++\nthanks'), 'Sizes:\n==\nM and L\n\n++\nthanks');
    assert.equal(visibleText('Thanks!\n\nKind regards,\nDana\n\nP.S. the tent is blue'), 'Thanks!\n\nKind regards,\nDana\n\nP.S. the tent is blue');
    const list = 'Cheers,\nDana\n\nOrder 1234\nTent, blue\nSize 3\nTwo pegs missing';
    assert.equal(visibleText(`Thanks!\n\n${list}`), `Thanks!\n\n${list}`);
    assert.equal(visibleText('Sent from the warehouse: the parcel\nis late'), 'Sent from the warehouse: the parcel\nis late');
  });

  it("cuts the quote's attribution line in the languages the reply parser lacks (Gmail's Polish, Russian, Japanese, Turkish; a wrapped German one)", () => {
    const attributions = [
      'pon., 1 sty 2024 o 10:00 Dana Scully <dana@example.org> napisa\u0142(a):',
      '\u043f\u043d, 1 \u044f\u043d\u0432. 2024 \u0433. \u0432 10:00, Dana Scully <dana@example.org>:',
      '2024\u5e741\u67081\u65e5(\u6708) 10:00 Dana Scully <dana@example.org>:',
      '1 Oca 2024 Pzt, saat 10:00 tarihinde Dana Scully <dana@example.org> \u015funu yazd\u0131:',
      'Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Dana Scully <\ndana@example.org>:',
      'tors 1 jan. 2024 kl. 10:00 skrev Dana Scully <dana@example.org>:',
      '2024\ub144 1\uc6d4 1\uc77c (\uc6d4) \uc624\uc804 10:00, Dana Scully <dana@example.org>\ub2d8\uc774 \uc791\uc131:',
      '2024\u5e741\u67081\u65e5\u5468\u4e00 10:00\u5199\u9053\uff1a',
      'On Mon, Jan 1, 2024 at 10:00 AM Dana Scully <dana@example.org>\nwrote:',
    ];
    for (const attribution of attributions) {
      assert.equal(visibleText(`Thanks, that works.\n\n${attribution}\n\n> We ship on Monday.\n> Alice\n`), 'Thanks, that works.', attribution);
    }
    // The customer's own line before a quote stays: it names no sender in brackets, no verb, or no date.
    for (const own of [
      'I have 2 questions about order 2024-118:',
      'Please send it to dana@example.org by 10:30:',
      'About what Dana <dana@example.org> said:',
    ]) {
      assert.equal(visibleText(`Hello,\n\n${own}\n> We ship on Monday.\n`), `Hello,\n\n${own}`, own);
    }
    // mailx and s-nail: `Name <address> wrote:` without a date, over `> ` lines or their default tab-indented ones.
    assert.equal(visibleText('alice <support@example.test> wrote:\n> Hello,\n> your parcel.\nFriday is fine, thanks.\n'), 'Friday is fine, thanks.');
    assert.equal(
      visibleText('alice <support@example.test> wrote:\n\n\tHello,\n\n\tyour parcel is at the depot.\n\tAlice\nFriday is fine, thanks.\n'),
      'Friday is fine, thanks.',
    );
    assert.equal(
      visibleText('Here is the log:\n\tline one\n\tline two\nThanks'),
      'Here is the log:\n\tline one\n\tline two\nThanks',
      'indented text of their own',
    );
    // An interleaved reply: each answer stays a paragraph of its own.
    assert.equal(
      visibleText(
        'On Sun, alice wrote:\n> Your parcel is at the depot.\n\nGreat, which depot?\n\n> Do you want it on Friday?\n\nYes please, Friday is fine.\n',
      ),
      'Great, which depot?\n\nYes please, Friday is fine.',
    );
    // Without a quote under it, a line like one is text.
    const alone = 'Hello,\n\npon., 1 sty 2024 o 10:00 Dana Scully <dana@example.org> napisa\u0142(a):';
    assert.equal(visibleText(alone), alone);
  });

  it('keeps no line of dashes or equals, nor what is under it, after a quote or a signature', () => {
    const original = [
      '_'.repeat(32),
      'From: Support <support@example.com>',
      'Sent: Tuesday',
      '',
      'Your refund is on its way.',
      '===',
      'Order 1234, card ending 9876',
    ];
    assert.equal(visibleText(['Thanks!', '', ...original].join('\n')), 'Thanks!');
    assert.equal(visibleText('Thanks!\n\n-----Original Message-----\nFrom: Support\n\nYour refund.\n---\nOrder 1234'), 'Thanks!');
    assert.equal(visibleText('Hello\n\n-- \nBob\n---\nThis e-mail is confidential.'), 'Hello');
  });

  it('still cuts a signature after "-- " (or "--"), a lone device footer, and a closing with a short block under it', () => {
    assert.equal(visibleText('Hello\n\n-- \nDana Smith\nACME Ltd\n+44 20 7946 0000\nacme.example\nLondon\nUK'), 'Hello');
    assert.equal(visibleText('Hello\n--\nDana'), 'Hello');
    assert.equal(visibleText('Hello\n\nSent from my iPhone'), 'Hello');
    assert.equal(visibleText('Hello\n\nKind regards,\nDana Smith\nProcurement | Contoso Ltd'), 'Hello');
  });

  it('reads where answers go: the one Reply-To mailbox other than the sender, with its name', async () => {
    const answerTo = async (...replyTo: string[]) => (await readMail(plainMail(replyTo.length ? [`Reply-To: ${replyTo.join(', ')}`] : [], 'Hi'))).answerTo;
    assert.deepEqual(await answerTo('Ivy Chen <IVY@example.org>'), { address: 'mailto:ivy@example.org', name: 'Ivy Chen' });
    assert.deepEqual(await answerTo('ivy@example.org'), { address: 'mailto:ivy@example.org' });
    assert.equal(await answerTo('Dana <dana@example.org>'), null, "the sender's own address");
    assert.equal(await answerTo('ivy@example.org', 'jo@example.org'), null, 'two mailboxes');
    assert.equal(await answerTo(), null, 'none');
  });

  it('cuts a text longer than the limit with a note', async () => {
    const long = await readMail(plainMail(['Message-ID: <long@example.org>'], 'x'.repeat(500)), { maxTextLength: 100 });
    assert.equal([...long.text].length, 100);
    assert.match(long.text, /\n\[message cut: 500 characters in all\]$/);
    const noLimit = await readMail(plainMail(['Message-ID: <limit@example.org>'], 'y'.repeat(LIMITS.maxTextLength + 10)), {
      maxTextLength: 10 * LIMITS.maxTextLength,
    });
    assert.equal([...noLimit.text].length, LIMITS.maxTextLength, "never above the contract's limit");
  });

  it('reads a very long line whole and quickly (the reply parser sees it in pieces)', async () => {
    const line = `2026-12-01 10:10 ${'0123456789'.repeat(6000)}`;
    const started = Date.now();
    assert.ok(visibleText(`${line}\n${line}`) === `${line}\n${line}`, 'the pieces are joined again');
    const mail = await readMail(plainMail(['Message-ID: <line@example.org>'], line));
    const [kept, note] = mail.text.split('\n');
    assert.ok(line.startsWith(kept!) && kept!.length > 9000);
    assert.equal(note, `[message cut: ${line.length} characters in all]`);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('reads a mail of line after empty line (CRLFs, blanks, <br>s) quickly, as one empty line in a row', async () => {
    const started = Date.now();
    assert.equal(visibleText(`Hello, my order is late.${'\r\n'.repeat(60_000)}Dana`), 'Hello, my order is late.\n\nDana');
    assert.equal(visibleText(`Hello${' \n'.repeat(60_000)}`), 'Hello');
    const html = Buffer.from(
      `From: dana@example.org\r\nMessage-ID: <br@example.org>\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>${'<br>'.repeat(20_000)}<p>Dana</p>`,
    );
    assert.equal((await readMail(html)).text, 'Hello\n\nDana');
    // Minutes before (the reply parser's time grows with the square of the empty lines in a row).
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('drops control characters and keeps one line for names and subjects', async () => {
    const source = plainMail(['Message-ID: <ctl@example.org>', 'Reply-To: Other <Other@Example.org>'], 'line one\u0000\u0007\r\nline two')
      .toString()
      .replace('Subject: Question', 'Subject: =?UTF-8?Q?a=0D=0ABcc:_x@y?=')
      .replace('Dana Smith', '=?UTF-8?Q?Dana=0ASmith?=');
    const mail = await readMail(Buffer.from(source));
    assert.equal(mail.text, 'line one\nline two');
    assert.equal(mail.subject, 'a Bcc: x@y');
    assert.deepEqual(mail.from, { address: 'mailto:dana@example.org', name: 'Dana Smith' });
    assert.deepEqual(mail.replyTo, ['other@example.org']);
  });

  it('reads HTML nested beyond reason, or longer than it converts, without a word on the console', async (context) => {
    const warn = context.mock.method(console, 'warn');
    const html = (body: string) => Buffer.from(`From: dana@example.org\r\nMessage-ID: <h@example.org>\r\nContent-Type: text/html\r\n\r\n${body}`);
    const nested = await readMail(html(`<p>Hello</p>${'<div>'.repeat(20_000)}deep${'</div>'.repeat(20_000)}`));
    assert.match(nested.text, /^Hello/);
    const long = await readMail(html(`<p>Start</p>${'<b>x</b>'.repeat(60_000)}`));
    assert.match(long.text, /^Start\n\nx+\n\[message cut: \d+ characters in all\]$/);
    assert.equal(warn.mock.callCount(), 0);
  });

  it('never rejects, whatever the bytes', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('\r\n\r\n'), Buffer.from('no header at all'), Buffer.alloc(4096, 0xff)]) {
      const mail = await readMail(raw);
      assert.match(mail.messageId, /^<[0-9a-f]{40}@message-id\.invalid>$/);
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const mail = await readMail(Buffer.from(bytes));
        assert.ok([...mail.text].length <= LIMITS.maxTextLength);
        assert.ok(mail.text.isWellFormed());
      }),
      { numRuns: 200 },
    );
  });

  it('writes sizes as a person reads them, as the widget and the console do', () => {
    assert.equal(attachmentLine({ name: 'note.txt', mediaType: 'text/plain', size: 1 }), '[attachment not kept: note.txt, text/plain, 1 byte]');
    assert.equal(attachmentLine({ name: 'screenshot.png', mediaType: 'image/png', size: 49_152 }), '[attachment not kept: screenshot.png, image/png, 49 kB]');
    assert.equal(
      attachmentLine({ name: 'scan.pdf', mediaType: 'application/pdf', size: 3_355_443 }),
      '[attachment not kept: scan.pdf, application/pdf, 3.4 MB]',
    );
  });
});
