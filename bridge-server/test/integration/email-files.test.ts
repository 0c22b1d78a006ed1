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

type MailFile = { filename: string; content: Buffer; contentType: string };
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
    await danaMails('Invoice', '<invoice.1@client.example.test>', 'The invoice is attached.', {
      filename: 'Rechnung Müller.pdf',
      content: PDF,
      contentType: 'application/pdf',
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

  /** Dana, a customer, mails the support mailbox with one file. */
  const danaMails = (subject: string, messageId: string, text: string, file: MailFile) =>
    send(mail, { from: 'Dana Scully <dana@example.test>', to: SUPPORT, subject, messageId, text, attachments: [file] });

  /**
   * A visitor asks Erin, an agent by mail, who answers by mail with `file`: what the visitor gets.
   * `mailed`: Erin's mails so far with this question's (the context line and the question each
   * conversation, which the mail server may deliver in either order).
   */
  async function erinAnswers(question: string, mailed: number, text: string, file: MailFile) {
    const visitor = await openVisitor(t, { profile: { name: 'Vera' }, team: 'bymail', assignee: ERIN });
    await sendText(visitor, question);
    const asked = (await mailsOf(mail, 'erin@example.test', mailed)).find((m) => m.text?.trim() === question);
    assert.ok(asked, 'the question mailed to the agent');
    const answered = next(visitor.socket, 'message', (m) => m.from === ERIN, 15_000);
    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: asked.replyTo!.value[0]!.address!,
      subject: `Re: ${asked.subject}`,
      inReplyTo: asked.messageId!,
      text,
      attachments: [file],
    });
    return { visitor, answer: await answered };
  }

  it('gives a visitor the file an agent answering by mail attached', async () => {
    const pdf = { filename: 'return-label.pdf', content: PDF, contentType: 'application/pdf' };
    const { visitor, answer } = await erinAnswers('Can you send me the return label?', 2, 'Here it is.', pdf);
    assert.equal(answer.text, 'Here it is.');
    const [label] = answer.attachments ?? [];
    assert.equal(label?.name, 'return-label.pdf');
    assert.deepEqual(await download(t, visitor.session.token, label.id), PDF);
  });

  it('tells the sender of a mail, customer or agent, in reply to it, which of its files the site refused', async () => {
    const program = Buffer.alloc(512);
    program.write('MZ');
    program.writeUInt32LE(128, 0x3c);
    program.write('PE\0\0', 128, 'latin1');
    const REFUSED = 'File not accepted: tool.exe: application/x-msdownload is not taken here. The file was not delivered; your words were.';
    const alice = await connect(t, agentAuth('alice'));
    const arrived = next(alice.socket, 'message', (m) => m.from === DANA && m.text.startsWith('Here is the tool'), 15_000);
    await danaMails('The tool', '<tool.1@client.example.test>', 'Here is the tool.', {
      filename: 'tool.exe',
      content: program,
      contentType: 'application/octet-stream',
    });
    const message = await arrived;
    assert.equal(message.text, 'Here is the tool.\n[file not accepted: tool.exe: application/x-msdownload is not taken here]');
    // Dana had the label answer; now the notice, in reply to her mail, as the mailbox's automatic answer.
    const notice = (await mailsOf(mail, 'dana@example.test', 2)).find((m) => m.text?.trim() === REFUSED);
    assert.ok(notice, 'the notice mailed to the customer');
    assert.equal(notice.inReplyTo, '<tool.1@client.example.test>');
    assert.equal(notice.subject, 'Re: The tool');
    assert.equal(notice.headers.get('auto-submitted'), 'auto-replied');
    assert.equal(notice.from?.value[0]?.address, SUPPORT);
    alice.socket.disconnect();

    // An agent by mail attaching it to their answer to a visitor is told the same (Erin's mails: the
    // first test's context line and question, then this conversation's).
    const exe = { filename: 'tool.exe', content: program, contentType: 'application/octet-stream' };
    const { answer } = await erinAnswers('Do you have the installer?', 4, 'Here is the tool.', exe);
    assert.equal(answer.attachments, undefined);
    const told = (await mailsOf(mail, 'erin@example.test', 5)).find((m) => m.text?.trim() === REFUSED);
    assert.ok(told, 'the notice mailed to the agent');
  });
});
