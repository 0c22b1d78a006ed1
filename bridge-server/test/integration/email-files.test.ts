/**
 * Files by email against a real Postfix and Dovecot (docs/networks/email.md, "Files"): a customer's
 * mail with a PDF lands with the message's attachments, the same bytes; a web agent's answer with a
 * file reaches the customer's mailbox (read over IMAP) as a real MIME attachment, the same bytes;
 * an agent answering a visitor by mail with a file gives the visitor that file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, agentAuth, call, connect, next, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { PDF, PNG, download, sendFiles, upload } from '../network-files.js';
import { mailsOf, send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';
const DANA = 'mailto:dana@example.test';
const ERIN = 'mailto:erin@example.test';

describe('files by email against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-email-files-'));

  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'dana@example.test': 'danapw', 'erin@example.test': 'erinpw' } });
    t = await startBridge(
      {
        teams: [
          { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
          { id: 'bymail', name: 'By mail', members: [ERIN], sites: [SITE], capacity: 10 },
        ],
        networks: [{ type: 'web', presenceGraceMs: 50 }, emailNetwork(mail)],
      },
      { dir },
    );
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores a customer's PDF as the message's file, and mails the agent's file back as a MIME attachment, the same bytes both ways", async () => {
    const alice = await connect(t, agentAuth('alice'));
    const opened = next(alice.socket, 'conversation', (c) => c.participants.includes(DANA));
    const arrived = next(alice.socket, 'message', (m) => m.from === DANA, 15_000);
    await send(mail, {
      from: 'Dana Scully <dana@example.test>',
      to: SUPPORT,
      subject: 'Invoice',
      messageId: '<invoice.1@client.example.test>',
      text: 'The invoice is attached.',
      attachments: [{ filename: 'Rechnung Müller.pdf', content: PDF, contentType: 'application/pdf' }],
    });
    const conversation = await opened;
    const message = await arrived;
    assert.equal(message.text, 'The invoice is attached.', 'no listing of the attachment in the text');
    assert.equal(message.attachments?.length, 1);
    const [invoice] = message.attachments ?? [];
    assert.equal(invoice!.name, 'Rechnung Müller.pdf');
    assert.equal(invoice!.type, 'application/pdf');
    assert.equal(invoice!.size, PDF.length);
    assert.deepEqual(await download(t, alice.session.token, invoice!.id), PDF);
    const link = await call(alice.socket, 'file:link', { fileId: invoice!.id });
    assert.ok(link.ok, JSON.stringify(link));
    assert.deepEqual(Buffer.from(await (await fetch(link.url)).arrayBuffer()), PDF);

    // The agent answers with a picture: the customer's mail client gets it attached.
    const picture = await upload(t, alice.session.token, conversation.id, 'label.png', PNG);
    await sendFiles(alice.socket, conversation.id, 'Here is the label.', [picture]);
    const [answer] = await mailsOf(mail, 'dana@example.test', 1);
    assert.equal(answer!.text?.trim(), 'Here is the label.');
    assert.equal(answer!.attachments.length, 1);
    const [attached] = answer!.attachments;
    assert.equal(attached!.filename, 'label.png');
    assert.equal(attached!.contentType, 'image/png');
    // The header as docs/networks/email.md gives it: the media type, and the name again for clients that read it there.
    assert.deepEqual(attached!.headers.get('content-type'), { value: 'image/png', params: { name: 'label.png' } });
    assert.equal(attached!.contentDisposition, 'attachment');
    assert.deepEqual(attached!.content, PNG);
    alice.socket.disconnect();
  });

  it('gives a visitor the file an agent answering by mail attached', async () => {
    const visitor = await openVisitor(t, { profile: { name: 'Vera' }, team: 'bymail', assignee: ERIN });
    await sendText(visitor, 'Can you send me the return label?');
    // The context line and the question, which the mail server may deliver in either order.
    const question = (await mailsOf(mail, 'erin@example.test', 2)).find((m) => m.text?.trim() === 'Can you send me the return label?');
    assert.ok(question, 'the question mailed to the agent');
    const answered = next(visitor.socket, 'message', (m) => m.from === ERIN, 15_000);
    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: question.replyTo!.value[0]!.address!,
      subject: `Re: ${question.subject}`,
      inReplyTo: question.messageId!,
      text: 'Here it is.',
      attachments: [{ filename: 'return-label.pdf', content: PDF, contentType: 'application/pdf' }],
    });
    const answer = await answered;
    assert.equal(answer.text, 'Here it is.');
    const [label] = answer.attachments ?? [];
    assert.equal(label?.name, 'return-label.pdf');
    assert.deepEqual(await download(t, visitor.session.token, label.id), PDF);
  });
});
