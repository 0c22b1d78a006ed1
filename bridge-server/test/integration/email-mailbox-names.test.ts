/**
 * A team mailbox with a long name (docs/networks/email.md, "What the bridge writes"), against a
 * real Postfix and Dovecot: `customer-support@` is too long for a plus address of a conversation
 * within RFC 5321's 64 characters of a local part, so the mail goes without `Reply-To`, and the
 * customer's reply to the mailbox itself is matched by its thread headers, as is an agent's by mail
 * to the first mail of the conversation's thread.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { SITE, type TestBridge, agentAuth, call, collect, connect, next, startBridge, until } from '../helpers.js';
import { mailsOf, send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const MAILBOX = 'customer-support@example.test';
const GREETING = 'Thanks for writing to us: an agent answers shortly.';
const DANA = 'mailto:dana@example.test';

let mail: MailServer;
before(async () => {
  mail = await startMail({ users: { [MAILBOX]: 'supportpw', 'dana@example.test': 'danapw', 'erin@example.test': 'erinpw', 'fay@example.test': 'faypw' } });
});
after(() => mail?.destroy());

/** A bridge reading MAILBOX for team `support` of `members`, online. */
async function bridgeOf(members: string[]): Promise<TestBridge> {
  const t = await startBridge({
    teams: [{ id: 'support', name: 'Support', members, sites: [SITE], capacity: 100, greeting: GREETING }],
    networks: [
      { type: 'web', presenceGraceMs: 50 },
      emailNetwork(mail, {
        imap: { host: mail.host, port: mail.imapPort, secure: false, starttls: 'never', user: MAILBOX, password: 'supportpw' },
        teams: { [MAILBOX]: 'support' },
      }),
    ],
  });
  await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  return t;
}

describe('a team mailbox whose name leaves no room for a plus address, against a real Postfix and Dovecot', () => {
  let t: TestBridge;
  before(async () => (t = await bridgeOf(['web:a_alice'])));
  after(() => t?.stop());

  it('mails the greeting and the answer without a Reply-To, and the reply to the mailbox lands in the conversation', async () => {
    const alice = (await connect(t, agentAuth('alice'))).socket;
    const offered = next(alice, 'conversation', (c) => c.participants.includes(DANA));
    const atAgent = collect(alice, 'message');
    await send(mail, { from: 'Dana <dana@example.test>', to: MAILBOX, subject: 'Where is my parcel?', text: 'It has been ten days.' });
    const conversation = await offered;

    const [greeting] = await mailsOf(mail, 'dana@example.test', 1);
    assert.equal(greeting!.text?.trim(), GREETING);
    assert.equal(greeting!.replyTo, undefined);
    const statuses = collect(alice, 'message:status');
    const sent = await call(alice, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'It left our warehouse today.' });
    const [, answer] = await mailsOf(mail, 'dana@example.test', 2);
    assert.equal(answer!.text?.trim(), 'It left our warehouse today.');
    assert.equal(answer!.from?.value[0]?.address, MAILBOX);
    assert.equal(answer!.replyTo, undefined);
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'sent'), 10_000, 'the answer sent');

    // Dana's client answers the From address, in the thread.
    await send(mail, {
      from: 'Dana <dana@example.test>',
      to: MAILBOX,
      subject: `Re: ${answer!.subject}`,
      inReplyTo: answer!.messageId!,
      references: [...[answer!.references ?? []].flat(), answer!.messageId!],
      text: 'Thank you!\n\nOn Mon, 7 Dec 2026 at 10:00, alice <customer-support@example.test> wrote:\n> It left our warehouse today.',
    });
    await until(() => atAgent.some((m) => m.from === DANA && m.text === 'Thank you!'), 10_000, 'the reply at the agent');
    assert.equal(atAgent.find((m) => m.text === 'Thank you!')!.conversationId, conversation.id);
  });
});

describe('an agent by mail answering from a team mailbox with no room for a plus address', () => {
  let t: TestBridge;
  before(async () => (t = await bridgeOf(['mailto:erin@example.test'])));
  after(() => t?.stop());

  it("stores the agent's reply to the thread's first mail as the answer, which reaches the customer", async () => {
    await send(mail, { from: 'Fay <fay@example.test>', to: MAILBOX, subject: 'Broken zip', text: 'The zip on my bag broke.' });
    // The context line first, then the greeting and Fay's mail, each in the conversation's thread.
    const thread = await Promise.all((await mail.waitForMessages('erin@example.test', 3, { timeoutMs: 15_000 })).map((m) => simpleParser(m.source)));
    const first = thread[0]!;
    assert.match(first.subject ?? '', /^\[#\w+\] Broken zip$/);
    assert.equal(first.replyTo, undefined);
    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: MAILBOX,
      subject: `Re: ${first.subject}`,
      inReplyTo: first.messageId!,
      references: [...[first.references ?? []].flat(), first.messageId!],
      text: 'We send you a new bag today.\n\nOn Mon, 7 Dec 2026 at 10:00, Fay <customer-support@example.test> wrote:\n> #ref Fay',
    });
    const answered = await mail.waitForMessages('fay@example.test', (all) => all.some((m) => m.source.includes('We send you a new bag today.')), {
      timeoutMs: 15_000,
    });
    const answer = await simpleParser(answered.find((m) => m.source.includes('We send you a new bag today.'))!.source);
    assert.equal(answer.text?.trim(), 'We send you a new bag today.');
  });
});
