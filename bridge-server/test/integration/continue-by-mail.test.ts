/**
 * "Continue on my IM" by mail (docs/customers.md), against a real Postfix and Dovecot: a website
 * visitor proves a mail address with the code mailed from the team's mailbox, then the agent's
 * replies are mailed to it at once, and the visitor's answer by mail is theirs in the conversation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { type TestBridge, agentAuth, call, collect, connect, next, openVisitor, until } from '../helpers.js';
import { continuationBridge } from '../continuation-desk.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';
const CODE_TEXT =
  /^(\d{6}) is your code to continue your chat with Acme Shop here\. If you did not ask for it, ignore this message: without the code, the chat does not come here\.$/;

describe('continuing a website conversation by mail, against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;
  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'wes@example.test': 'wespw' } });
    t = await continuationBridge({ networks: ['mailto'] }, [emailNetwork(mail)]);
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
  });

  const mailsTo = async (count: number): Promise<ParsedMail[]> =>
    Promise.all((await mail.waitForMessages('wes@example.test', count, { timeoutMs: 15_000 })).map((message) => simpleParser(message.source)));

  it("mails the code from the team mailbox, then the replies; the answer by mail is the visitor's", async () => {
    const alice = (await connect(t, agentAuth('alice'))).socket;
    const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
    const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: 'mailto:Wes@Example.test' });
    assert.ok(started.ok, JSON.stringify(started));
    assert.equal(started.continuation.address, 'mailto:wes@example.test');
    const [proof] = await mailsTo(1);
    assert.equal(proof!.from?.value[0]?.address, SUPPORT);
    const code = CODE_TEXT.exec(proof!.text?.trim() ?? '')?.[1];
    assert.ok(code, `the proof mail: ${proof!.text}`);
    assert.equal((await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code })).continuation.state, 'active');

    const atVisitor = collect(visitor.socket, 'message');
    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'm-1', text: 'Your refund is on its way.' });
    const mails = await mailsTo(3);
    const replied = mails.find((m) => m.text?.trim() === 'Your refund is on its way.');
    assert.ok(replied, `the reply by mail: ${mails.map((m) => m.text).join(' | ')}`);
    await until(() => atVisitor.some((m) => m.text === 'Your refund is on its way.'));
    /** Wes answers the reply from his mail client, in its thread. */
    const answer = (text: string, headers: Record<string, string> = {}) =>
      nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail({
        from: 'Wes <wes@example.test>',
        to: replied.replyTo?.value[0]?.address ?? SUPPORT,
        subject: `Re: ${replied.subject}`,
        inReplyTo: replied.messageId!,
        references: [replied.messageId!],
        headers,
        text,
      });

    // His mailbox's out-of-office answer to the reply: a machine's, not his words (RFC 3834), so not stored.
    const dropped = async () =>
      Number(
        /switchboard_first_contacts_total\{network="mailto",outcome="automatic_dropped"\} (\d+)/.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? 0,
      );
    await answer('I am away until Monday.', { 'Auto-Submitted': 'auto-replied' });
    await until(async () => (await dropped()) === 1, 15_000, 'the out-of-office answer dropped');

    const answered = next(visitor.socket, 'message', (m) => m.text === 'Thank you!', 15_000);
    await answer('Thank you!\n\nOn Tue, 1 Dec 2026, Support <support@example.test> wrote:\n> Your refund is on its way.');
    const stored = await answered;
    assert.deepEqual([stored.from, stored.sentFrom, stored.conversationId], [visitor.self, 'mailto:wes@example.test', visitor.conversationId]);

    // `/stop` in a reply in the thread stops it: answered by mail, not stored.
    const stopped = next(visitor.socket, 'continuation', (c) => c.state === 'stopped', 15_000);
    await answer('/stop');
    assert.equal((await stopped).reason, 'remote');
    const last = (await mailsTo(4)).map((m) => m.text?.trim() ?? '');
    assert.ok(
      last.some((text) => text.startsWith('Stopped: your chat with Acme Shop continues on the web page only')),
      last.join(' | '),
    );
    const { messages } = await call(alice, 'history:get', { conversationId: visitor.conversationId });
    assert.equal(
      messages.some((m) => m.text === '/stop'),
      false,
      '/stop is not a message of the conversation',
    );
    assert.equal(
      messages.some((m) => m.text.includes('I am away')),
      false,
      'the out-of-office answer is not a message of the conversation',
    );
    assert.equal(
      atVisitor.some((m) => m.text.includes('I am away')),
      false,
      'the visitor is not shown the out-of-office answer',
    );
  });
});
