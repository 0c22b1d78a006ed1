/**
 * Website visitors who left (docs/networks/email.md, "Visitors who left") against a real Postfix and
 * Dovecot (test/servers/mail.ts): a visitor who gave an email address and left gets the agent's
 * reply by mail once it waited unread, answers by mail, and finds both in the widget's history when
 * they come back; a visitor who read the reply in time gets no mail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { SITE, type TestBridge, agentAuth, call, collect, connect, next, openVisitor, startBridge, until, userAuth } from '../helpers.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { mailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';

const bridgeConfig = (mail: MailServer) => ({
  teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 }],
  networks: [{ type: 'web', presenceGraceMs: 50 }, mailNetwork(mail, { visitorFallback: { afterSeconds: 1 } })],
});

async function mailsOf(mail: MailServer, address: string, count: number): Promise<ParsedMail[]> {
  const stored = await mail.waitForMessages(address, count, { timeoutMs: 15_000 });
  return Promise.all(stored.map((message) => simpleParser(message.source)));
}

describe('website visitors who left get the reply by mail, against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;

  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'vic@example.test': 'vicpw', 'wes@example.test': 'wespw' } });
    t = await startBridge(bridgeConfig(mail));
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
  });

  it('mails the reply to a verified visitor who left; their answer by mail shows in the widget when they come back', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const visitorAuth = userAuth('vic', { name: 'Vic', email: 'vic@example.test' });
    const visitor = await connect(t, visitorAuth);
    const self = visitor.session.self;
    const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
    const conversationId = opened.conversation.id;
    await call(visitor.socket, 'message:send', { conversationId, clientId: 'v-1', text: 'Where is my parcel?' });
    visitor.socket.disconnect();

    const atAgent = collect(alice.socket, 'message');
    const reply = await call(alice.socket, 'message:send', { conversationId, clientId: 'a-1', text: 'It left our warehouse today.' });
    const [mailed] = await mailsOf(mail, 'vic@example.test', 1);
    assert.equal(mailed!.text?.trim(), 'It left our warehouse today.');
    assert.equal(mailed!.from?.value[0]?.address, SUPPORT);
    const replyTo = mailed!.replyTo?.value[0]?.address;
    assert.match(replyTo!, /^support\+[a-z0-9_]+-[a-z2-7]{16}@example\.test$/);

    await nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Vic <vic@example.test>',
      to: replyTo,
      subject: `Re: ${mailed!.subject}`,
      inReplyTo: mailed!.messageId!,
      references: [mailed!.messageId!],
      text: 'Thanks, I will be home tomorrow.\n\nOn Tue, 1 Dec 2026, Support <support@example.test> wrote:\n> It left our warehouse today.',
    });
    await until(() => atAgent.some((m) => m.text === 'Thanks, I will be home tomorrow.'), 15_000, 'the answer at the agent');
    const answer = atAgent.find((m) => m.text === 'Thanks, I will be home tomorrow.')!;
    assert.equal(answer.conversationId, conversationId);
    assert.equal(answer.from, self);

    const back = await connect(t, visitorAuth);
    const history = await call(back.socket, 'history:get', { conversationId });
    assert.deepEqual(
      history.messages.map((m: Message) => [m.from, m.text]),
      [
        [self, 'Where is my parcel?'],
        ['web:a_alice', 'It left our warehouse today.'],
        [self, 'Thanks, I will be home tomorrow.'],
      ],
    );
    assert.equal(history.messages[1]!.id, reply.message.id);
    alice.socket.disconnect();
    back.socket.disconnect();
  });

  it('sends no mail to a visitor who read the reply in time', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const visitor = await openVisitor(t, { profile: { name: 'Wes', email: 'wes@example.test' } });
    const delivered = next(visitor.socket, 'message', (m) => m.text === 'We are on it.');
    const reply = await call(alice.socket, 'message:send', { conversationId: visitor.conversationId, clientId: 'a-2', text: 'We are on it.' });
    assert.equal(await t.bridge.store.outboxDepth('mailto'), 1);
    await delivered;
    await call(visitor.socket, 'read', { conversationId: visitor.conversationId, seq: reply.message.seq });
    visitor.socket.disconnect();
    // The held-back reply leaves the outbox when its time comes, unsent.
    await until(async () => (await t.bridge.store.outboxDepth('mailto')) === 0, 15_000, 'the held-back reply dropped');
    assert.equal((await mail.messages('wes@example.test')).length, 0);
    alice.socket.disconnect();
  });
});
