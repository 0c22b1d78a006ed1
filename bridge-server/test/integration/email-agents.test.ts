/**
 * Agents by mail (docs/networks/email.md, "Agents by email") against a real Postfix and Dovecot
 * (test/servers/mail.ts): a web visitor's conversation goes to an agent whose address is
 * `mailto:`; the agent's mailbox gets the context line and each message in one thread per
 * conversation; the agent's reply from a typical client (quoted history, signature) reaches the
 * visitor with only its new text (her out-of-office answer not at all); `/list` mailed to the team's mailbox is answered by mail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { SITE, type TestBridge, next, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { mailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';
const ERIN = 'mailto:erin@example.test';

const bridgeConfig = (mail: MailServer) => ({
  teams: [{ id: 'support', name: 'Support', members: [ERIN], sites: [SITE], capacity: 10 }],
  networks: [{ type: 'web', presenceGraceMs: 50 }, mailNetwork(mail)],
});

/** The agent's mail client: nodemailer over the harness's SMTP. */
function send(mail: MailServer, message: SendMailOptions): Promise<unknown> {
  return nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail(message);
}

async function erinsMail(mail: MailServer, count: number): Promise<ParsedMail[]> {
  const stored = await mail.waitForMessages('erin@example.test', count, { timeoutMs: 15_000 });
  return Promise.all(stored.map((message) => simpleParser(message.source)));
}

const addressOf = (field: ParsedMail['from']) => field?.value[0]?.address;
const referencesOf = (parsed: ParsedMail) => [parsed.references ?? []].flat();

describe('an agent answering by email against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-email-agents-'));

  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'erin@example.test': 'erinpw' } });
    t = await startBridge(bridgeConfig(mail), { dir });
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mails the agent the conversation in one thread, takes their reply as the answer, and answers /list by mail', async () => {
    // The agent by mail is available while the mailbox is read: the visitor's conversation goes to them.
    const visitor = await openVisitor(t, { profile: { name: 'Vera' }, assignee: ERIN });

    // The context line first: from the team's mailbox, replies to the conversation's plus address.
    const [context] = await erinsMail(mail, 1);
    assert.equal(addressOf(context!.from), SUPPORT);
    assert.equal(context!.from?.value[0]?.name, 'Vera');
    const ref = /^\[#(\w+)\] /.exec(context!.subject ?? '')?.[1];
    assert.ok(ref, `a subject naming the conversation's ref: ${context!.subject}`);
    assert.match(context!.text ?? '', new RegExp(`#${ref} Vera \\(not verified\\), team support\\.`));
    const replyTo = addressOf(context!.replyTo)!;
    assert.match(replyTo, /^support\+[a-z0-9_]+-[a-z2-7]{16}@example\.test$/);

    // Then each message, in the same thread.
    await sendText(visitor, 'Hello, where is my order 4711?');
    const [, message] = await erinsMail(mail, 2);
    assert.equal(message!.text?.trim(), 'Hello, where is my order 4711?');
    assert.equal(message!.subject, context!.subject);
    assert.equal(addressOf(message!.replyTo), replyTo);
    assert.equal(message!.inReplyTo, context!.inReplyTo);
    assert.deepEqual(referencesOf(message!), referencesOf(context!));

    // Her out-of-office answer to it comes first: not her answer (mail is read in order, so the
    // visitor's next message from her is the real reply below).
    const answered = next(visitor.socket, 'message', (m) => m.from === ERIN, 15_000);
    await send(mail, {
      from: 'erin@example.test',
      to: replyTo,
      subject: `Out of office: ${message!.subject}`,
      inReplyTo: message!.messageId!,
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'I am away until Monday.',
    });

    // Erin's reply, as a mail client writes it: quoted history and a signature; the visitor gets the new text only.
    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: replyTo,
      subject: `Re: ${message!.subject}`,
      messageId: '<answer.1@erin.example.test>',
      inReplyTo: message!.messageId!,
      references: [...referencesOf(message!), message!.messageId!],
      text: 'It ships tomorrow.\n\nOn Wed, 2 Dec 2026 at 01:00, Vera <support@example.test> wrote:\n> Hello, where is my order 4711?\n\n-- \nErin\nSupport',
    });
    const answer = await answered;
    assert.equal(answer.text, 'It ships tomorrow.');
    assert.equal(answer.conversationId, visitor.conversationId);

    // A command to the team's mailbox itself: answered by mail, in reply to it.
    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: SUPPORT,
      subject: 'list',
      messageId: '<list.1@erin.example.test>',
      text: '/list\n\n-- \nErin',
    });
    const [, , listed] = await erinsMail(mail, 3);
    assert.equal(addressOf(listed!.from), SUPPORT);
    assert.equal(listed!.inReplyTo, '<list.1@erin.example.test>');
    assert.match(listed!.text ?? '', /^Your open conversations:/);
    assert.match(listed!.text ?? '', new RegExp(`#${ref}`));
  });
});
