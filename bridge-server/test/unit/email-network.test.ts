import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import pino from 'pino';
import { ConfigError } from '../../src/config-error.js';
import { createEmailNetwork, emailNetworkConfigSchema } from '../../src/networks/email/email-network.js';
import { EmailInbound } from '../../src/networks/email/email-inbound.js';
import { EmailOutbound } from '../../src/networks/email/email-outbound.js';
import { MailThreads } from '../../src/networks/email/email-thread.js';
import { PlusAddresses, messageIdFor } from '../../src/networks/email/mail-threading.js';
import type { OutgoingMail } from '../../src/networks/email/smtp-sender.js';
import type { InboundMessage, InboundReceipt, InboundSink, NetworkConversation, NetworkRecords, OutboundMessage } from '../../src/networks/network.js';

const logger = pino({ level: 'silent' });
const SECRET = 'a-test-secret-of-at-least-32-characters';
const DOMAIN = 'bridge.example.com';
const SETTINGS = {
  teams: { 'support@example.com': 'support', 'sales@example.com': 'sales' },
  subaddressSeparator: '+' as const,
  messageIdDomain: DOMAIN,
  subject: 'Your conversation with us',
  html: false,
  formSenders: ['noreply@shop.example.net'],
  keepCc: false,
};

/** The email network's parts over an in-memory store and a sink that records what it is given. */
function parts(conversations: NetworkConversation[] = [], maxTextLength?: number) {
  const state = new Map<string, string>();
  const threadsOf = new Map<string, string>();
  const subjects = new Map<string, string>();
  const stored: Message[] = [];
  const received: InboundMessage[] = [];
  const receipts: InboundReceipt[] = [];
  const sent: OutgoingMail[] = [];
  let refusal: Error | undefined;
  /** Run while a mail's message is being stored (the bridge answering it meanwhile: a greeting). */
  let whileStoring: (() => Promise<unknown>) | undefined;
  const records: NetworkRecords = {
    state: (key) => Promise.resolve(state.get(key) ?? null),
    setState: (key, value) => Promise.resolve(void (value === null ? state.delete(key) : state.set(key, value))),
    thread: (id) => Promise.resolve(threadsOf.get(id) ?? null),
    setThread: (id, value) => Promise.resolve(void (value === null ? threadsOf.delete(id) : threadsOf.set(id, value))),
    setSubject: (id, subject) => Promise.resolve(void subjects.set(id, subject)),
    conversation: (id) => Promise.resolve(conversations.find((c) => c.id === id) ?? null),
    message: (id) => Promise.resolve(stored.find((m) => m.id === id) ?? null),
    messageByRemoteId: (remoteId) => Promise.resolve(stored.find((m) => m.clientId === remoteId) ?? null),
  };
  const sink = {
    message: (input: InboundMessage) => {
      if (refusal) return Promise.reject(refusal);
      received.push(input);
      const conversation = conversations.find((c) => c.openedBy === input.from && c.team === input.team?.id) ?? conversations[0]!;
      const message: Message = {
        id: `m${stored.length + 1}`,
        conversationId: conversation.id,
        seq: stored.length + 1,
        from: input.from,
        text: input.text,
        sentAt: '2026-12-01T10:00:00.000Z',
        ...(input.remoteId ? { clientId: input.remoteId } : {}),
      };
      stored.push(message);
      return (whileStoring?.() ?? Promise.resolve()).then(() => message);
    },
    receipt: (input: InboundReceipt) => void receipts.push(input),
  } as unknown as InboundSink;
  const threads = new MailThreads(records, { secret: SECRET, domain: DOMAIN });
  const plusAddresses = new PlusAddresses(SECRET);
  const inbound = new EmailInbound({
    sink,
    records,
    threads,
    plusAddresses,
    settings: SETTINGS,
    logger,
    ...(maxTextLength !== undefined ? { maxTextLength } : {}),
  });
  const mailer = new EmailOutbound({
    smtp: { send: (mail) => Promise.resolve(void sent.push(mail)).then(() => ({ accepted: mail.to, response: '250 ok' })) },
    threads,
    plusAddresses,
    secret: SECRET,
    settings: SETTINGS,
    teamName: (id) => (id === 'support' ? 'Support' : undefined),
    logger,
  });
  const deliver = (raw: string, uid = 1) => inbound.handle({ uid, source: Buffer.from(raw.replace(/\n/g, '\r\n')), state: { uidValidity: '1', lastUid: uid } });
  // What the outbox sends is a stored message.
  const outbound = { send: (message: OutboundMessage) => (stored.push(message.message), mailer.send(message)) };
  return {
    inbound,
    outbound,
    deliver,
    received,
    receipts,
    sent,
    subjects,
    plusAddresses,
    refuse: (error: Error | undefined) => (refusal = error),
    answerWhileStoring: (answer: (() => Promise<unknown>) | undefined) => (whileStoring = answer),
  };
}

function mail(headers: Record<string, string>, body = 'Hello there'): string {
  const all = { From: 'Dana Scully <dana@example.org>', To: 'support@example.com', Subject: 'My order', 'Message-ID': '<d1@example.org>', ...headers };
  return `${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')}\nContent-Type: text/plain\n\n${body}\n`;
}

const conversation = (id: string, openedBy: Address, team = 'support'): NetworkConversation =>
  ({ id, openedBy, team, participants: [openedBy], state: 'open' }) as unknown as NetworkConversation;

const agentMessage = (id: string, conversationId: string, from: Address = 'web:a_alice'): Message => ({
  id,
  conversationId,
  seq: 2,
  from,
  text: 'Let me look into it.',
  sentAt: '2026-12-01T10:01:00.000Z',
});

describe('email network: mail in', () => {
  it("stores a customer's mail for the team of the mailbox it reached, under its Message-ID, name and subject", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    await p.deliver(mail({}));
    assert.deepEqual(p.received, [
      {
        network: 'mailto',
        from: 'mailto:dana@example.org',
        to: 'mailto:support@example.com',
        text: 'Hello there',
        remoteId: 'mailto:dana@example.org/<d1@example.org>',
        team: { id: 'support' },
        fromName: 'Dana Scully',
        // A conversation it opens is named before it is routed.
        subject: 'My order',
      },
    ]);
    assert.equal(p.subjects.get('c1'), 'My order');
  });

  it("cuts a mail longer than the bridge's text limit, with a note, rather than have it refused", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')], 100);
    await p.deliver(mail({}, 'word '.repeat(200)));
    const text = p.received[0]!.text;
    assert.equal([...text].length <= 100, true);
    assert.match(text, /^word word .*\n\[message cut: \d+ characters in all\]$/s);
  });

  it("marks an auto-reply automatic, and leaves the bridge's own mail and mail from a team mailbox unstored", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    await p.deliver(mail({ 'Auto-Submitted': 'auto-replied', 'Message-ID': '<ooo@example.org>' }));
    await p.deliver(mail({ 'Message-ID': `<m.abc@${DOMAIN}>` }));
    await p.deliver(mail({ From: 'sales@example.com', 'Message-ID': '<loop@example.com>' }));
    assert.deepEqual(
      p.received.map((m) => [m.remoteId, m.automatic]),
      [['mailto:dana@example.org/<ooo@example.org>', true]],
    );
  });

  it("takes a form sender's Reply-To as the customer, and nobody else's (nor a team mailbox)", async () => {
    const p = parts([
      conversation('c1', 'mailto:ivy@example.org'),
      conversation('c2', 'mailto:dana@example.org'),
      conversation('c3', 'mailto:noreply@shop.example.net'),
    ]);
    const form = { From: 'Shop form <NoReply@shop.example.net>', 'Reply-To': 'Ivy Chen <ivy@example.org>' };
    await p.deliver(mail({ ...form, 'Message-ID': '<f1@shop.example.net>' }));
    await p.deliver(mail({ 'Reply-To': 'Victim <victim@example.org>', 'Message-ID': '<d5@example.org>' }));
    await p.deliver(mail({ ...form, 'Reply-To': 'sales@example.com', 'Message-ID': '<f2@shop.example.net>' }));
    assert.deepEqual(
      p.received.map((m) => [m.from, m.fromName ?? null]),
      [
        ['mailto:ivy@example.org', 'Ivy Chen'],
        ['mailto:dana@example.org', 'Dana Scully'],
        ['mailto:noreply@shop.example.net', 'Shop form'],
      ],
    );
  });

  it("files a reply in the conversation it answers, and a stranger's mail with the same headers under the mailbox's team", async () => {
    const p = parts([conversation('c9', 'mailto:dana@example.org', 'sales'), conversation('c1', 'mailto:erin@example.org')]);
    await p.outbound.send({
      message: agentMessage('m-sales', 'c9'),
      to: 'mailto:dana@example.org',
      conversation: conversation('c9', 'mailto:dana@example.org', 'sales'),
    });
    const ours = /^Message-ID: (.*)$/im.exec(p.sent[0]!.raw.toString())![1]!;
    await p.deliver(mail({ 'In-Reply-To': ours, 'Message-ID': '<d2@example.org>' }));
    await p.deliver(mail({ From: 'erin@example.org', 'In-Reply-To': ours, 'Message-ID': '<e1@example.org>' }));
    assert.deepEqual(
      p.received.map((m) => [m.from, m.team]),
      [
        ['mailto:dana@example.org', { id: 'sales', orOpenWith: ['support'] }],
        ['mailto:erin@example.org', { id: 'support' }],
      ],
    );
  });

  it("fails the message whose mail bounced, and takes a refusal as handled but a store's failure as not", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    await p.outbound.send({ message: agentMessage('m-1', 'c1'), to: 'mailto:dana@example.org', conversation: conversation('c1', 'mailto:dana@example.org') });
    const ours = /^Message-ID: (.*)$/im.exec(p.sent[0]!.raw.toString())![1]!;
    await p.deliver(
      [
        'From: MAILER-DAEMON@mx.example.org',
        'To: support@example.com',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn@mx.example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Your mail could not be delivered.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.org',
        '',
        'Final-Recipient: rfc822; dana@example.org',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 <dana@example.org>: User unknown',
        '',
        '--b',
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: ${ours}`,
        '',
        '--b--',
        '',
      ].join('\n'),
    );
    assert.equal(p.receipts.length, 1);
    assert.equal(p.receipts[0]!.messageId, 'm-1');
    assert.equal(p.receipts[0]!.status, 'failed');
    assert.match(p.receipts[0]!.error!, /dana@example\.org.*User unknown/);
    assert.equal(p.received.length, 0);

    p.refuse(Object.assign(new Error('too many messages'), { code: 'rate_limited' }));
    await p.deliver(mail({ 'Message-ID': '<d3@example.org>' }));
    p.refuse(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    await assert.rejects(p.deliver(mail({ 'Message-ID': '<d4@example.org>' })), /database is locked/);
  });
});

describe('email network: bounces from where a mail was forwarded', () => {
  /** A forwarding server's bounce (test/fixtures/mail): it names the address dana@example.org forwards to, not hers. */
  const forwarded = (mailId: string) =>
    readFileSync(new URL('../fixtures/mail/postfix-dsn-forwarded.eml', import.meta.url), 'utf8').replace(/<m\.m-1\.[a-z2-7]+@bridge\.example\.com>/, mailId);
  const sendToDana = async (p: ReturnType<typeof parts>, customer: Address = 'mailto:dana@example.org') => {
    await p.outbound.send({ message: agentMessage('m-1', 'c1'), to: customer, conversation: conversation('c1', customer) });
    return /^Message-ID: (.*)$/im.exec(p.sent[0]!.raw.toString())![1]!;
  };

  it("fails the message when the bounce names only the forwarded address: the MAC holds for one of the conversation's mail parties", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    const ours = await sendToDana(p);
    assert.equal(ours, messageIdFor(SECRET, DOMAIN, 'm-1', 'dana@example.org'));
    await p.deliver(forwarded(ours));
    assert.equal(p.receipts.length, 1);
    assert.deepEqual({ ...p.receipts[0], error: undefined }, { messageId: 'm-1', status: 'failed', error: undefined, code: 'not_found' });
    assert.match(p.receipts[0]!.error!, /dana\.scully@elsewhere\.example.*User unknown/);
    assert.equal(p.received.length, 0);
  });

  it("fails the message with the code the bounce's status gives: a policy refusal is forbidden, not an unknown address", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    const ours = await sendToDana(p);
    await p.deliver(forwarded(ours).replace('Status: 5.1.1', 'Status: 5.7.1').replaceAll('550 5.1.1', '554 5.7.1'));
    assert.deepEqual({ ...p.receipts[0], error: undefined }, { messageId: 'm-1', status: 'failed', error: undefined, code: 'forbidden' });
  });

  it('never takes an id whose MAC holds for none of them: forged, or made for someone outside the conversation', async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    const ours = await sendToDana(p);
    const forged = ours.replace(/\.([a-z2-7])([a-z2-7]+)@/, (_all, first: string, rest: string) => `.${first === 'a' ? 'b' : 'a'}${rest}@`);
    await p.deliver(forwarded(forged), 2);
    await p.deliver(forwarded(messageIdFor(SECRET, DOMAIN, 'm-1', 'eve@example.org')), 3);
    await p.deliver(forwarded(messageIdFor(SECRET, DOMAIN, 'm-unknown', 'dana@example.org')), 4);
    assert.deepEqual(p.receipts, []);
    assert.equal(p.received.length, 0);
  });
});

describe('email network: mail out', () => {
  it("answers in the customer's thread from the team's mailbox, the same mail on every attempt", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    await p.deliver(mail({}));
    const outbound = {
      message: agentMessage('m-2', 'c1'),
      to: 'mailto:Dana@Example.org' as Address,
      conversation: { ...conversation('c1', 'mailto:dana@example.org'), subject: 'My order' },
      fromName: 'Alice',
    };
    const first = await p.outbound.send(outbound);
    const again = await p.outbound.send(outbound);
    assert.equal(first.status, 'sent');
    assert.equal(first.remoteId, again.remoteId);
    const raw = p.sent[0]!.raw.toString();
    assert.equal(p.sent[0]!.from, 'support@example.com');
    assert.deepEqual(p.sent[0]!.to, ['dana@example.org']);
    assert.match(raw, /^From: Alice <support@example\.com>$/m);
    assert.match(raw, /^Subject: Re: My order$/m);
    assert.match(raw, /^In-Reply-To: <d1@example\.org>$/m);
    assert.match(raw, new RegExp(`^Reply-To: ${p.plusAddresses.addressOf('support@example.com', 'c1')!.replace(/[.+]/g, '\\$&')}$`, 'm'));
    assert.doesNotMatch(raw, /Auto-Submitted/);
  });

  it("answers the customer's own mail, not the out-of-office answer stored after it", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    await p.deliver(mail({}));
    await p.deliver(mail({ 'Auto-Submitted': 'auto-replied', 'Message-ID': '<ooo@example.org>', Subject: 'Out of office: My order' }), 2);
    assert.equal(p.received.length, 2);
    await p.outbound.send({ message: agentMessage('m-2', 'c1'), to: 'mailto:dana@example.org', conversation: conversation('c1', 'mailto:dana@example.org') });
    const raw = p.sent[0]!.raw.toString();
    assert.match(raw, /^In-Reply-To: <d1@example\.org>\r$/m);
    assert.doesNotMatch(raw, /ooo@example\.org/);
  });

  it('keeps the thread oldest first when a greeting answers a mail still being stored', async () => {
    const dana: Address = 'mailto:dana@example.org';
    const p = parts([conversation('c1', dana)]);
    p.answerWhileStoring(() => p.outbound.send({ message: agentMessage('m-g', 'c1', 'team:support'), to: dana, conversation: conversation('c1', dana) }));
    await p.deliver(mail({}));
    p.answerWhileStoring(undefined);
    await p.outbound.send({ message: agentMessage('m-2', 'c1'), to: dana, conversation: conversation('c1', dana) });
    const [greeting, answer] = p.sent.map((sent) => sent.raw.toString());
    assert.match(greeting!, /^References: <d1@example\.org>$/m);
    const greetingId = /^Message-ID: (<[^>]+>)$/m.exec(greeting!)?.[1];
    assert.ok(greetingId, greeting);
    // RFC 5322 section 3.6.4: the parent's References, then the parent: the customer's mail first.
    assert.match(answer!, new RegExp(`^References: <d1@example\\.org>\\s+${greetingId.replace(/[.+]/g, '\\$&')}\r$`, 'm'));
    assert.match(answer!, /^Subject: Re: My order\r$/m);
    // Sent within the same second, dated a second apart: a client sorting by date keeps their order.
    const dateOf = (raw: string) => Date.parse(/^Date: (.+)\r$/m.exec(raw)![1]!);
    assert.equal(dateOf(answer!) - dateOf(greeting!), 1000);
  });

  it("sends the team's own messages as automatic answers, from the null sender", async () => {
    const p = parts([conversation('c1', 'mailto:dana@example.org')]);
    await p.deliver(mail({})); // the customer's mail, which they answer
    await p.outbound.send({
      message: agentMessage('m-3', 'c1', 'team:support'),
      to: 'mailto:dana@example.org',
      conversation: conversation('c1', 'mailto:dana@example.org'),
    });
    assert.equal(p.sent[0]!.from, null);
    assert.match(p.sent[0]!.raw.toString(), /^Auto-Submitted: auto-replied$/m);
    assert.match(p.sent[0]!.raw.toString(), /^From: Support <support@example\.com>$/m);
    await assert.rejects(
      p.outbound.send({ message: agentMessage('m-4', 'c1'), to: 'xmpp:dana@example.org', conversation: conversation('c1', 'mailto:dana@example.org') }),
      (error: { retryable?: boolean }) => error.retryable === false,
    );
  });

  it("sends the team's outreach (its first mail to the customer) as a mail of its own, from the mailbox: a bounce comes back", async () => {
    // An outreach's conversation is the customer's (outreach.ts opens it for them), with no mail of theirs yet.
    const outreach = conversation('c2', 'mailto:otto@example.org');
    const p = parts([outreach]);
    await p.outbound.send({ message: agentMessage('m-5', 'c2', 'team:support'), to: 'mailto:otto@example.org', conversation: outreach });
    assert.equal(p.sent[0]!.from, 'support@example.com');
    assert.doesNotMatch(p.sent[0]!.raw.toString(), /^Auto-Submitted:/m);
    assert.doesNotMatch(p.sent[0]!.raw.toString(), /^X-Auto-Response-Suppress:/m);
  });
});

describe('email network: configuration', () => {
  const entry = emailNetworkConfigSchema.parse({
    type: 'email',
    imap: { host: '127.0.0.1', user: 'support@example.com', password: 'pw' },
    smtp: { host: '127.0.0.1' },
    messageIdDomain: DOMAIN,
    teams: SETTINGS.teams,
    plusAddressSecret: SECRET,
  });
  const context = (teams: { id: string; name: string }[]) =>
    ({ config: entry, sink: {} as InboundSink, logger, records: {} as NetworkRecords, teams }) as unknown as Parameters<typeof createEmailNetwork>[0];

  it('refuses to start with a mailbox for a team the desk does not have, naming the entry and the team', async () => {
    assert.throws(
      () => createEmailNetwork(context([{ id: 'support', name: 'Support' }])),
      (error: Error) => error instanceof ConfigError && error.message === 'networks (email).teams.sales@example.com: "sales" is no team of the configuration',
    );
    const network = createEmailNetwork(
      context([
        { id: 'support', name: 'Support' },
        { id: 'sales', name: 'Sales' },
      ]),
    );
    assert.equal(network.scheme, 'mailto');
    await network.stop();
  });
});
