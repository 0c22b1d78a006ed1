/**
 * Website visitors who left (docs/networks/email.md, "Visitors who left") against a real Postfix and
 * Dovecot (test/servers/mail.ts): a visitor who gave an email address and left gets the agent's
 * reply by mail once it waited unread, answers by mail, and finds both in the widget's history when
 * they come back; a visitor who read the reply in time gets no mail. A bridge stopped (or killed)
 * while a reply waits sends it once, when its time comes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import nodemailer from 'nodemailer';
import Database from 'better-sqlite3';
import { crash, exited, runCliOnline, writeCliConfig } from '../cli-process.js';
import {
  SITE,
  type TestBridge,
  type V1Socket,
  agentAuth,
  call,
  collect,
  connect,
  connectTo,
  next,
  openVisitor,
  startBridge,
  until,
  userAuth,
} from '../helpers.js';
import { mailsOf } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';

const bridgeConfig = (mail: MailServer, afterSeconds = 3) => ({
  teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 }],
  networks: [{ type: 'web', presenceGraceMs: 50 }, emailNetwork(mail, { visitorFallback: { afterSeconds } })],
});

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

  it('mails the reply to a verified visitor who left; their answer by mail reopens the conversation and shows in the widget when they come back', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const visitorAuth = userAuth('vic', { name: 'Vic', email: 'vic@example.test' });
    const visitor = await connect(t, visitorAuth);
    const self = visitor.session.self;
    // The widget may promise a reply by email: this bridge mails replies to visitors who left.
    assert.equal(visitor.session.repliesByEmail, true);
    assert.equal(alice.session.repliesByEmail, undefined);
    const opened = await call(visitor.socket, 'conversation:open', { team: 'support' });
    const conversationId = opened.conversation.id;
    await call(visitor.socket, 'message:send', { conversationId, clientId: 'v-1', text: 'Where is my parcel?' });
    visitor.socket.disconnect();

    const atAgent = collect(alice.socket, 'message');
    const reply = await call(alice.socket, 'message:send', { conversationId, clientId: 'a-1', text: 'It left our warehouse today.' });
    const [mailed] = await mailsOf(mail, 'vic@example.test', 1);
    // The answer, then what it is about: the conversation and what the visitor last wrote in it.
    const ref = /\(#([A-Za-z0-9_-]+)\)/.exec(mailed!.text ?? '')?.[1] ?? '';
    assert.ok(ref.length >= 5 && conversationId.endsWith(ref), `the conversation's ref: ${ref}`);
    assert.equal(
      mailed!.text?.trim(),
      [
        'It left our warehouse today.',
        '',
        '-- ',
        `In your chat with Support (#${ref}), you wrote:`,
        '> Where is my parcel?',
        '',
        'Reply to this mail to answer: your reply goes on in the same conversation.',
      ].join('\n'),
    );
    assert.equal(mailed!.from?.value[0]?.address, SUPPORT);
    const replyTo = mailed!.replyTo?.value[0]?.address;
    assert.match(replyTo!, /^support\+[a-z0-9_]+-[a-z2-7]{16}@example\.test$/);
    const dropped = async () =>
      Number(
        /switchboard_first_contacts_total\{network="mailto",outcome="automatic_dropped"\} (\d+)/.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? 0,
      );
    const outOfOffice = (text: string) =>
      nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail({
        from: 'Vic <vic@example.test>',
        to: replyTo,
        subject: `Out of office: ${mailed!.subject}`,
        inReplyTo: mailed!.messageId!,
        references: [mailed!.messageId!],
        headers: { 'Auto-Submitted': 'auto-replied' },
        text,
      });
    // Their out-of-office answer while the conversation is open: a machine's, not the visitor's words, so not stored.
    await outOfOffice('I am away this week.');
    await until(async () => (await dropped()) === 1, 15_000, 'the out-of-office answer dropped');
    // The agent closes the conversation meanwhile: the visitor's answer opens it again.
    await call(alice.socket, 'conversation:close', { conversationId });
    const reopened = next(alice.socket, 'conversation', (c) => c.id === conversationId && c.state === 'open', 15_000);

    // Another once it is closed: it reopens nothing and is not stored (RFC 3834).
    await outOfOffice('I am away until Monday.');
    await until(async () => (await dropped()) === 2, 15_000, 'the second out-of-office answer dropped');

    await nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Vic <vic@example.test>',
      to: replyTo,
      subject: `Re: ${mailed!.subject}`,
      inReplyTo: mailed!.messageId!,
      references: [mailed!.messageId!],
      // As a mail client answers: the whole mail quoted under the new text.
      text: `Thanks, I will be home tomorrow.\n\nOn Tue, 1 Dec 2026, Support <support@example.test> wrote:\n${mailed!.text.trim().replace(/^/gm, '> ')}`,
    });
    await until(() => atAgent.some((m) => m.text === 'Thanks, I will be home tomorrow.'), 15_000, 'the answer at the agent');
    const answer = atAgent.find((m) => m.text === 'Thanks, I will be home tomorrow.')!;
    assert.equal(answer.conversationId, conversationId);
    assert.equal(answer.from, self);
    await reopened;

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

describe('a reply held back for a visitor who left, across a restart of the bridge, against a real Postfix and Dovecot', () => {
  /** Each long enough for the bridge to stop and start again inside it (the CLI takes seconds to start). */
  const IN_PROCESS_DELAY = 7;
  const CLI_DELAY = 12;
  let mail: MailServer;

  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'yan@example.test': 'yanpw', 'zoe@example.test': 'zoepw' } });
  });
  after(async () => {
    await mail?.destroy();
  });

  /** A verified visitor who gave their email writes and leaves; the agent's reply is stored; `sentAt`: just before it was sent. */
  async function replyToLeftVisitor(agent: V1Socket, visitor: V1Socket, text: string): Promise<{ sentAt: number }> {
    const opened = await call(visitor, 'conversation:open', { team: 'support' });
    const conversationId = opened.conversation.id;
    await call(visitor, 'message:send', { conversationId, clientId: 'v-1', text: 'Is my order on its way?' });
    visitor.disconnect();
    const sentAt = Date.now();
    const reply = await call(agent, 'message:send', { conversationId, clientId: 'a-1', text });
    assert.ok(reply.ok);
    return { sentAt };
  }

  /** The bridge's held-back items for the email network, read from its SQLite file. */
  function outboxDepth(dbPath: string): number {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare("SELECT count(*) AS depth FROM outbox WHERE network = 'mailto'").get() as { depth: number }).depth;
    } finally {
      db.close();
    }
  }

  /**
   * The reply reaches the visitor's mailbox once its time came, and once only: when the outbox is
   * empty, a marker mail sent afterwards arrives after anything the bridge sent.
   */
  async function mailedOnceWhenDue(address: string, text: string, due: { sentAt: number; afterSeconds: number }, dbPath: string): Promise<void> {
    assert.equal((await mail.messages(address)).length, 0, 'nothing mailed while the reply waits');
    const [mailed] = await mailsOf(mail, address, 1);
    const waited = Date.now() - due.sentAt;
    assert.ok(waited >= due.afterSeconds * 1000, `mailed after ${waited} ms, not before its ${due.afterSeconds} s`);
    assert.equal(mailed!.text?.trim().split('\n\n-- \n')[0], text, 'the reply, above what it is about');
    await until(() => outboxDepth(dbPath) === 0, 10_000, 'the outbox empty');
    await nodemailer
      .createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: 'dana@example.test', to: address, subject: 'marker', text: 'marker' });
    const all = await mail.waitForMessages(address, (stored) => stored.some((m) => m.source.includes('Subject: marker')), { timeoutMs: 15_000 });
    assert.equal(all.length, 2, 'the reply once, then the marker');
  }

  it('mails the reply once when its time comes after the bridge was stopped and started again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-email-restart-'));
    let t = await startBridge(bridgeConfig(mail, IN_PROCESS_DELAY), { dir });
    try {
      await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
      const alice = await connect(t, agentAuth('alice'));
      const visitor = await connect(t, userAuth('yan', { name: 'Yan', email: 'yan@example.test' }));
      const { sentAt } = await replyToLeftVisitor(alice.socket, visitor.socket, 'Yes, it arrives on Friday.');
      assert.equal(await t.bridge.store.outboxDepth('mailto'), 1, 'the reply held back');

      await t.stop();
      t = await startBridge(bridgeConfig(mail, IN_PROCESS_DELAY), { dir });
      await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online again');
      assert.ok(Date.now() - sentAt < IN_PROCESS_DELAY * 1000, 'started again before the reply was due');
      await mailedOnceWhenDue('yan@example.test', 'Yes, it arrives on Friday.', { sentAt, afterSeconds: IN_PROCESS_DELAY }, t.dbPath);
    } finally {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mails the reply once when its time comes after the bridge was killed (kill -9) and started again', async (context) => {
    const config = writeCliConfig(context, bridgeConfig(mail, CLI_DELAY));
    const first = await runCliOnline(config, 'mailto');
    const alice = await connectTo(context, first.url, agentAuth('alice'));
    const visitor = await connectTo(context, first.url, userAuth('zoe', { name: 'Zoe', email: 'zoe@example.test' }));
    const { sentAt } = await replyToLeftVisitor(alice.socket, visitor.socket, 'Yes, it arrives on Monday.');
    const dbPath = join(dirname(config), 'switchboard.db');
    assert.equal(outboxDepth(dbPath), 1, 'the reply held back');
    await crash(first.child);

    const second = await runCliOnline(config, 'mailto');
    try {
      assert.ok(Date.now() - sentAt < CLI_DELAY * 1000, 'started again before the reply was due');
      await mailedOnceWhenDue('zoe@example.test', 'Yes, it arrives on Monday.', { sentAt, afterSeconds: CLI_DELAY }, dbPath);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });
});
