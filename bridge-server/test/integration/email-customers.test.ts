/**
 * Customers writing to a team's mailbox (docs/networks/email.md) against a real Postfix and
 * Dovecot (test/servers/mail.ts): a customer's mail opens a team conversation, a web agent answers
 * by mail in the thread, the customer's reply from a typical client lands in the same conversation
 * with only its new text, an auto-reply is stored in an open conversation and not answered (and
 * opens none), a bounce fails the message, mail that came while Dovecot was down is fetched once,
 * and a re-fetch stores nothing twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crash, exited, runCliOnline, writeCliConfig } from '../cli-process.js';
import type { Conversation, Message } from '@switchboard/protocol';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { SITE, type TestBridge, type V1Socket, agentAuth, call, capturedLogs, collect, connect, connectTo, next, startBridge, until } from '../helpers.js';
import { PDF } from '../network-files.js';
import { mailsOf, send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';
const BRIDGE_DOMAIN = 'bridge.example.test';
const GREETING = 'Thanks for writing to us: an agent answers shortly.';

const bridgeConfig = (mail: MailServer) => ({
  teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100, greeting: GREETING }],
  networks: [{ type: 'web', presenceGraceMs: 50 }, emailNetwork(mail, { html: true, formSenders: ['noreply@shop.example.test'] })],
});

/** Every message of every conversation the agent sees. */
async function storedMessages(socket: V1Socket): Promise<number> {
  const { conversations } = await call(socket, 'conversation:list', {});
  const histories = await Promise.all(conversations.map((c) => call(socket, 'history:get', { conversationId: c.id })));
  return histories.reduce((sum, history) => sum + history.messages.length, 0);
}

/** Takes the \Seen flag off the support mailbox's messages in `range`, as a person marking them unread does. */
async function unflag(mail: MailServer, range: string, options: { uid?: boolean } = {}): Promise<void> {
  const client = new ImapFlow({ host: mail.host, port: mail.imapPort, secure: false, auth: { user: SUPPORT, pass: 'supportpw' }, logger: false });
  await client.connect();
  await client.mailboxOpen('INBOX');
  await client.messageFlagsRemove(range, ['\\Seen'], options);
  await client.logout();
}

const header = (parsed: ParsedMail, name: string) => parsed.headers.get(name) as string | undefined;
const addressOf = (field: ParsedMail['from']) => field?.value[0]?.address;

describe('customers writing to a team mailbox by email against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-email-'));
  const logs = capturedLogs();
  const online = () => until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');

  /** The web agent, waiting for the customer's conversation and collecting the messages it sees. */
  const agentAwaiting = async (customer: `mailto:${string}`) => {
    const alice = await connect(t, agentAuth('alice'));
    return { alice, opened: next(alice.socket, 'conversation', (c) => c.participants.includes(customer)), atAgent: collect(alice.socket, 'message') };
  };

  before(async () => {
    mail = await startMail({
      users: {
        [SUPPORT]: 'supportpw',
        'dana@example.test': 'danapw',
        'erin@example.test': 'erinpw',
        'fay@example.test': 'faypw',
        'gina@example.test': 'ginapw',
        'hana@example.test': 'hanapw',
        'ivy@example.test': 'ivypw',
        'jo@example.test': 'jopw',
        'kim@example.test': 'kimpw',
        'lou@example.test': 'loupw',
      },
    });
    t = await startBridge(bridgeConfig(mail), { dir, logger: logs.logger });
    await online();
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a team conversation for a mail, answered by mail in its thread; the reply lands in it with only its new text', async () => {
    const DANA = 'mailto:dana@example.test';
    const { alice, opened: offered, atAgent } = await agentAwaiting(DANA);
    await send(mail, {
      from: 'Dana Scully <dana@example.test>',
      to: SUPPORT,
      subject: 'My order has not arrived',
      messageId: '<first.4711@client.example.test>',
      text: 'Hello, my order 4711 has not arrived yet.',
    });
    const conversation: Conversation = await offered;
    assert.equal(conversation.team, 'support');
    await until(() => atAgent.some((m) => m.from === DANA && m.text === 'Hello, my order 4711 has not arrived yet.'), 10_000, 'the mail at the agent');
    const subjectOf = async () => (await call(alice.socket, 'conversation:list', {})).conversations.find((c) => c.id === conversation.id)?.subject;
    await until(async () => (await subjectOf()) !== undefined, 5000, 'the subject kept');
    assert.equal(await subjectOf(), 'My order has not arrived');

    // The greeting, by mail: an automatic answer in the thread.
    const [greeting] = await mailsOf(mail, 'dana@example.test', 1);
    assert.equal(greeting!.text?.trim(), GREETING);
    assert.equal(header(greeting!, 'auto-submitted'), 'auto-replied');
    assert.equal(greeting!.inReplyTo, '<first.4711@client.example.test>');
    assert.equal(greeting!.subject, 'Re: My order has not arrived');

    // The agent's answer: from the team's mailbox under the agent's name, replying to the customer's mail.
    const statuses = collect(alice.socket, 'message:status');
    const sent = await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Let me look into it.' });
    const [, answer] = await mailsOf(mail, 'dana@example.test', 2);
    assert.equal(addressOf(answer!.from), SUPPORT);
    assert.equal(answer!.from?.value[0]?.name, 'alice');
    assert.equal(answer!.subject, 'Re: My order has not arrived');
    assert.equal(answer!.inReplyTo, '<first.4711@client.example.test>');
    assert.equal(header(answer!, 'auto-submitted'), undefined);
    assert.match(answer!.messageId!, new RegExp(`@${BRIDGE_DOMAIN.replace(/\./g, '\\.')}>$`));
    const replyTo = addressOf(answer!.replyTo)!;
    assert.match(replyTo, /^support\+[a-z0-9_]+-[a-z2-7]{16}@example\.test$/);
    // The thread oldest first (RFC 5322 section 3.6.4): the customer's mail, then the greeting that answered it.
    assert.deepEqual([answer!.references].flat(), ['<first.4711@client.example.test>', greeting!.messageId]);
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'sent'), 10_000, 'the answer sent');
    assert.ok(!statuses.some((s) => s.id === sent.message.id && (s.status === 'delivered' || s.status === 'read')));

    // The customer's reply from a typical client: to the plus address, quoted history, signature, HTML, an attachment.
    await send(mail, {
      from: 'Dana Scully <dana@example.test>',
      to: replyTo,
      subject: `Re: ${answer!.subject}`,
      messageId: '<second.4711@client.example.test>',
      inReplyTo: answer!.messageId!,
      references: [...[answer!.references ?? []].flat(), answer!.messageId!],
      text: 'It was order 4711, the receipt is attached.\n\nOn Tue, 1 Dec 2026 at 10:00, alice <support@example.test> wrote:\n> Let me look into it.\n\n-- \nDana Scully\nScully Imports',
      html: '<p>It was order 4711, the receipt is attached.</p><blockquote>Let me look into it.</blockquote><p>-- <br>Dana Scully</p>',
      attachments: [{ filename: 'receipt.pdf', content: PDF, contentType: 'application/pdf' }],
    });
    await until(() => atAgent.some((m) => m.from === DANA && m.text.startsWith('It was order 4711')), 10_000, 'the reply at the agent');
    const reply = atAgent.find((m) => m.from === DANA && m.text.startsWith('It was order 4711'))!;
    assert.equal(reply.conversationId, conversation.id);
    assert.equal(reply.text, 'It was order 4711, the receipt is attached.');
    assert.deepEqual(
      reply.attachments?.map((file) => [file.name, file.type, file.size]),
      [['receipt.pdf', 'application/pdf', PDF.length]],
    );
    alice.socket.disconnect();
  });

  it("keeps a conversation's subject without the answer prefixes the customer's client put on it", async () => {
    const JO = 'mailto:jo@example.test';
    const { alice, opened } = await agentAwaiting(JO);
    // An answer to a mail the bridge does not know (a newsletter, a closed conversation's answer): a new conversation.
    await send(mail, {
      from: 'Jo <jo@example.test>',
      to: SUPPORT,
      subject: 'Re: AW: Delivery time',
      messageId: '<answer.1@client.example.test>',
      text: 'How long does delivery take to Norway?',
    });
    const conversation: Conversation = await opened;
    const subjectOf = async () => (await call(alice.socket, 'conversation:list', {})).conversations.find((c) => c.id === conversation.id)?.subject;
    await until(async () => (await subjectOf()) !== undefined, 5000, 'the subject kept');
    assert.equal(await subjectOf(), 'Delivery time');
    alice.socket.disconnect();
  });

  it("joins a colleague's reply to all, in the thread of the customer's mail that copied them, to that conversation as theirs; answers stay the customer's", async () => {
    const KIM = 'mailto:kim@example.test';
    const LOU = 'mailto:lou@example.test';
    const { alice, opened, atAgent } = await agentAwaiting(KIM);
    await send(mail, {
      from: 'Kim Ito <kim@example.test>',
      to: SUPPORT,
      cc: 'Lou Park <lou@example.test>',
      subject: 'Printer broken',
      messageId: '<kim.1@client.example.test>',
      text: 'Our printer is broken.',
    });
    const conversation = await opened;
    // keepCc is off: the greeting goes to Kim alone; Lou has Kim's mail from the mail server.
    await mailsOf(mail, 'kim@example.test', 1);
    await mailsOf(mail, 'lou@example.test', 1);
    await send(mail, {
      from: 'Lou Park <lou@example.test>',
      to: SUPPORT,
      cc: 'Kim Ito <kim@example.test>',
      subject: 'Re: Printer broken',
      messageId: '<lou.1@client.example.test>',
      inReplyTo: '<kim.1@client.example.test>',
      references: '<kim.1@client.example.test>',
      text: 'It is the one on the third floor.\n\nOn Mon, Kim Ito <kim@example.test> wrote:\n> Our printer is broken.',
    });
    await until(() => atAgent.some((m) => m.from === LOU), 10_000, "Lou's reply at the agent");
    const fromLou = atAgent.find((m) => m.from === LOU)!;
    assert.equal(fromLou.conversationId, conversation.id, "in Kim's conversation");
    assert.equal(fromLou.text, 'It is the one on the third floor.');
    assert.equal((await t.bridge.store.listConversations({ participant: LOU, limit: 10 })).length, 0, 'Lou opened none');
    assert.equal((await t.bridge.store.getParty(LOU))?.name, 'Lou Park');
    const record = await t.bridge.store.getConversation(conversation.id);
    assert.ok(!record?.participants.includes(LOU), 'Lou takes no part: no answers go to them');

    await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'kim-1', text: 'A technician comes today.' });
    const atKim = await mail.waitForMessages('kim@example.test', (all) => all.some((m) => m.source.includes('A technician comes today.')), {
      timeoutMs: 15_000,
    });
    const kimMail = await Promise.all(atKim.map((message) => simpleParser(message.source)));
    assert.deepEqual(
      kimMail.map((m) => m.text?.trim().split('\n')[0]).sort(),
      [GREETING, 'It is the one on the third floor.', 'A technician comes today.'].sort(),
      "Kim has Lou's reply once, from Lou, and the bridge's mail",
    );
    await send(mail, { from: 'dana@example.test', to: 'lou@example.test', subject: 'marker', text: 'marker' });
    const atLou = await mail.waitForMessages('lou@example.test', (all) => all.some((m) => m.source.includes('Subject: marker')), { timeoutMs: 15_000 });
    assert.equal(atLou.length, 2, "Lou has Kim's mail and the marker, no answer");
    alice.socket.disconnect();
  });

  it('logs a mailing-list post from a person with no open conversation as left unstored, and why, not as a refused sender', async () => {
    const LEE = 'mailto:lee@example.test';
    await send(mail, {
      from: 'Lee Adama <lee@example.test>',
      to: SUPPORT,
      subject: '[users] Anyone seen the new release?',
      headers: { 'List-Id': 'Users of the shop <users.lists.example.test>', Precedence: 'list' },
      text: 'Has anyone tried the new release yet?',
    });
    const about = (line: Record<string, unknown>) => line.from === LEE;
    await until(() => logs.lines.some(about), 10_000, 'the list post handled');
    const line = logs.lines.find(about)!;
    assert.equal(line.header, 'Precedence: list');
    assert.match(String(line.msg), /^email: a mailing-list or bulk mail \(Precedence: list\) was not stored: .*this sender has none; it opens none/);
    assert.equal((await t.bridge.store.listConversations({ participant: LEE, limit: 10 })).length, 0);
  });

  it('stores an auto-reply in an open conversation without answering it, opens none for one without, and fails a message whose mail bounced', async () => {
    // With no conversation open (an out-of-office answer to a closed conversation's last reply): none opens.
    await send(mail, {
      from: 'gina@example.test',
      to: SUPPORT,
      subject: 'Out of office',
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'Gina is away until Monday.',
    });
    const dropped = async () =>
      Number(
        /switchboard_first_contacts_total\{network="mailto",outcome="automatic_dropped"\} (\d+)/.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? 0,
      );
    await until(async () => (await dropped()) === 1, 10_000, 'the auto-reply dropped');
    assert.equal((await t.bridge.store.listConversations({ participant: 'mailto:gina@example.test', limit: 10 })).length, 0);

    const ERIN = 'mailto:erin@example.test';
    const { alice, opened, atAgent } = await agentAwaiting(ERIN);
    await send(mail, { from: 'erin@example.test', to: SUPPORT, subject: 'A question', text: 'Do you ship to Norway?' });
    const conversation = await opened;
    // The greeting (stored as the conversation opens, before the mail that opened it); then Erin's out-of-office answer to it.
    await mailsOf(mail, 'erin@example.test', 1);
    await send(mail, {
      from: 'erin@example.test',
      to: SUPPORT,
      subject: 'Out of office',
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'I am away until Monday.',
    });
    await until(() => atAgent.some((m) => m.from === ERIN && m.text === 'I am away until Monday.'), 10_000, 'the auto-reply stored');
    // Anything the bridge would answer is queued before the mail is stored: once its outbox is
    // empty it has reached Postfix, and a later mail arrives after it.
    await until(async () => (await t.bridge.store.outboxDepth('mailto')) === 0, 10_000, 'the outbox empty');
    await send(mail, { from: 'dana@example.test', to: 'erin@example.test', subject: 'marker', text: 'marker' });
    const marked = await mail.waitForMessages('erin@example.test', (all) => all.some((m) => m.source.includes('Subject: marker')), { timeoutMs: 15_000 });
    const erinMail = await Promise.all(marked.map((message) => simpleParser(message.source)));
    assert.deepEqual(
      erinMail.map((m) => m.text?.trim()).sort(),
      [GREETING, 'marker'].sort(),
      `nothing but the greeting and the marker reached erin: ${erinMail.map((m) => m.subject).join(', ')}`,
    );
    const history = await call(alice.socket, 'history:get', { conversationId: conversation.id });
    assert.deepEqual(
      history.messages.map((m: Message) => [m.from, m.text]),
      [
        [ERIN, 'Do you ship to Norway?'],
        ['team:support', GREETING],
        [ERIN, 'I am away until Monday.'],
      ],
    );

    // A customer at an address the mail server does not have: the answer bounces back to the team's mailbox.
    const GHOST = 'mailto:ghost@example.test';
    const ghostOpened = next(alice.socket, 'conversation', (c) => c.participants.includes(GHOST));
    await send(mail, { from: 'ghost@example.test', to: SUPPORT, subject: 'Hello', text: 'Are you there?' });
    const ghostConversation = await ghostOpened;
    const statuses = collect(alice.socket, 'message:status');
    const sent = await call(alice.socket, 'message:send', { conversationId: ghostConversation.id, clientId: 'g-1', text: 'We are.' });
    await until(() => statuses.some((s) => s.id === sent.message.id && s.status === 'failed'), 20_000, 'the bounced answer failed');
    const failed = statuses.find((s) => s.id === sent.message.id && s.status === 'failed')!;
    assert.match(failed.error!.message, /ghost@example\.test/);
    assert.equal(failed.error!.code, 'not_found', "Postfix's 5.1.1: no such mailbox");
    alice.socket.disconnect();
  });

  it("takes a form sender's mail (a contact form sending as noreply@, Reply-To the customer) as the customer's, and answers them", async () => {
    const IVY = 'mailto:ivy@example.test';
    const { alice, opened, atAgent } = await agentAwaiting(IVY);
    await send(mail, {
      from: 'Shop contact form <noreply@shop.example.test>',
      replyTo: 'Ivy Chen <ivy@example.test>',
      to: SUPPORT,
      subject: 'Contact form: returns',
      text: 'How do I return a tent?',
    });
    const conversation = await opened;
    await until(() => atAgent.some((m) => m.from === IVY && m.text === 'How do I return a tent?'), 10_000, "the form's mail as Ivy's");
    const { party } = await call(alice.socket, 'party:get', { address: IVY });
    assert.equal(party.name, 'Ivy Chen');
    assert.equal(party.email, 'ivy@example.test');
    await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'ivy-1', text: 'Send it back with the label inside.' });
    const answers = await mail.waitForMessages('ivy@example.test', (all) => all.some((m) => m.source.includes('Send it back with the label inside.')), {
      timeoutMs: 15_000,
    });
    assert.ok(answers.length >= 1);
    alice.socket.disconnect();
  });

  it('reads a mail an old client wrote in raw Latin-1 (its name and subject unencoded) as the customer wrote it, through Postfix and Dovecot', async () => {
    const RENE = 'mailto:rene@example.test';
    const { alice, opened, atAgent } = await agentAwaiting(RENE);
    const raw = Buffer.from(
      [
        'From: Ren\u00e9 M\u00fcller <rene@example.test>',
        `To: ${SUPPORT}`,
        'Subject: Caf\u00e9 moulu',
        'Message-ID: <latin1.1@client.example.test>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=unknown-8bit',
        'Content-Transfer-Encoding: 8bit',
        '',
        'O\u00f9 est ma commande ? \u00c7a fait une semaine.',
        '',
      ].join('\r\n'),
      'latin1',
    );
    await send(mail, { envelope: { from: 'rene@example.test', to: [SUPPORT] }, raw });
    const conversation = await opened;
    await until(() => atAgent.some((m) => m.from === RENE), 15_000, "Ren\u00e9's mail at the agent");
    assert.equal(atAgent.find((m) => m.from === RENE)!.text, 'O\u00f9 est ma commande ? \u00c7a fait une semaine.');
    assert.equal(conversation.subject, 'Caf\u00e9 moulu');
    const { party } = await call(alice.socket, 'party:get', { address: RENE });
    assert.equal(party.name, 'Ren\u00e9 M\u00fcller');
    // A customer by mail has their address as their email, in the party (the console's panel) and in /whois.
    assert.equal(party.email, 'rene@example.test');
    const whois = await call(alice.socket, 'agent:command', { text: `/whois ${conversation.id.slice(-10)}` });
    assert.match(whois.answer, /\nemail: rene@example\.test\n/);
    alice.socket.disconnect();
  });

  it('fetches mail that came while Dovecot was down once, and a re-fetch after a restart stores nothing twice', async () => {
    const FAY = 'mailto:fay@example.test';
    await mail.stopDovecot();
    await send(mail, {
      from: 'Fay <fay@example.test>',
      to: SUPPORT,
      subject: 'While you were down',
      messageId: '<down.1@client.example.test>',
      text: 'Hello?',
    });
    await mail.startDovecot();
    await mail.flushQueue();
    const alice = await connect(t, agentAuth('alice'));
    // The conversation is listed once opened, its first message stored just after: wait for that.
    const faysConversation = async (): Promise<Conversation | undefined> =>
      (await call(alice.socket, 'conversation:list', {})).conversations.find((c: Conversation) => c.participants.includes(FAY));
    await until(
      async () => {
        const conversation = await faysConversation();
        if (!conversation) return false;
        const { messages } = await call(alice.socket, 'history:get', { conversationId: conversation.id });
        return messages.some((m: Message) => m.from === FAY);
      },
      20_000,
      "fay's conversation and her mail",
    );
    const fays = (await faysConversation())!;
    const before = (await call(alice.socket, 'history:get', { conversationId: fays.id })).messages;
    assert.deepEqual(
      before.filter((m: Message) => m.from === FAY).map((m: Message) => m.text),
      ['Hello?'],
    );
    const stored = await storedMessages(alice.socket);
    alice.socket.disconnect();

    // Every mail of the mailbox handed over again: unflagged, and the bridge's place in it forgotten.
    await t.stop();
    await unflag(mail, '1:*');
    const db = new Database(t.dbPath);
    db.prepare("DELETE FROM network_state WHERE key LIKE 'mailbox:%'").run();
    db.close();
    t = await startBridge(bridgeConfig(mail), { dir });
    await online();
    await until(async () => (await mail.messages(SUPPORT)).every((m) => m.flags.has('\\Seen')), 15_000, 'every mail handled again');
    const again = await connect(t, agentAuth('alice'));
    assert.equal(await storedMessages(again.socket), stored);
    again.socket.disconnect();
  });

  it('flags at its next start the mail it stored just before it stopped, without storing it again', async () => {
    const HANA = 'mailto:hana@example.test';
    const { alice, opened, atAgent } = await agentAwaiting(HANA);
    await send(mail, {
      from: 'hana@example.test',
      to: SUPPORT,
      subject: 'Stored, not flagged',
      messageId: '<unflagged.1@client.example.test>',
      text: 'Hello from Hana',
    });
    await opened;
    await until(() => atAgent.some((m) => m.from === HANA), 10_000, "hana's mail at the agent");
    const hanas = async () => (await mail.messages(SUPPORT)).filter((m) => m.source.includes('<unflagged.1@client.example.test>'));
    await until(async () => (await hanas()).every((m) => m.flags.has('\\Seen')), 10_000, "hana's mail flagged");
    const stored = await storedMessages(alice.socket);
    alice.socket.disconnect();

    // As if the bridge had stopped between committing the mail and flagging it.
    await t.stop();
    const [unflagged] = await hanas();
    await unflag(mail, String(unflagged!.uid), { uid: true });
    assert.equal((await hanas())[0]!.flags.has('\\Seen'), false);

    t = await startBridge(bridgeConfig(mail), { dir });
    await online();
    await until(async () => (await hanas()).every((m) => m.flags.has('\\Seen')), 15_000, "hana's mail flagged again");
    const again = await connect(t, agentAuth('alice'));
    assert.equal(await storedMessages(again.socket), stored);
    again.socket.disconnect();
  });

  it('stores each mail exactly once when the bridge is killed (kill -9) while it fetches them', async (context) => {
    const GINA = 'mailto:gina@example.test';
    await t.stop(); // the CLI reads the same mailbox: one reader at a time
    try {
      const config = writeCliConfig(context, bridgeConfig(mail));
      const first = await runCliOnline(config, 'mailto');
      const alice = await connectTo(context, first.url, agentAuth('alice'));
      const atAgent = collect(alice.socket, 'message');
      const texts = ['one', 'two', 'three', 'four', 'five', 'six'].map((word) => `Crash mail ${word}`);
      const client = nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true, pool: true });
      await Promise.all(
        texts.map((text, i) => client.sendMail({ from: 'gina@example.test', to: SUPPORT, subject: text, messageId: `<crash.${i}@client.example.test>`, text })),
      );
      client.close();
      // Killed once the first is stored, while the others are being fetched and stored.
      await until(() => atAgent.some((m) => m.from === GINA), 15_000, 'the first mail stored');
      await crash(first.child);

      const second = await runCliOnline(config, 'mailto');
      try {
        const handled = async () => {
          const crashMail = (await mail.messages(SUPPORT)).filter((m) => m.source.includes('Crash mail'));
          return crashMail.length === texts.length && crashMail.every((m) => m.flags.has('\\Seen'));
        };
        await until(handled, 15_000, 'every mail handled');
        const again = await connectTo(context, second.url, agentAuth('alice'));
        const { conversations } = await call(again.socket, 'conversation:list', {});
        const ginas = conversations.filter((c) => c.participants.includes(GINA));
        const histories = await Promise.all(ginas.map((c) => call(again.socket, 'history:get', { conversationId: c.id })));
        const stored = histories.flatMap((history) => history.messages.filter((m: Message) => m.from === GINA).map((m: Message) => m.text));
        assert.deepEqual(stored.sort(), [...texts].sort());
      } finally {
        second.child.kill('SIGTERM');
        await exited(second.child);
      }
    } finally {
      t = await startBridge(bridgeConfig(mail), { dir });
    }
  });
});
