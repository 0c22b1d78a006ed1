import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import pino from 'pino';
import { EmailAgents } from '../../src/networks/email/email-agents.js';
import { MailThreads } from '../../src/networks/email/email-thread.js';
import { readMail } from '../../src/networks/email/mail-reading.js';
import type Mail from 'nodemailer/lib/mailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { PlusAddresses, messageIdFor } from '../../src/networks/email/mail-threading.js';
import type { OutgoingMail } from '../../src/networks/email/smtp-sender.js';
import type { InboundMessage, InboundPresence, NetworkConversation, NetworkRecords, OutboundMessage } from '../../src/networks/network.js';
import { NOT_YOURS } from '../../src/networks/kit/relay.js';
import { RefBook } from '../../src/networks/refs.js';
import { ManualClock } from '../manual-clock.js';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const DOMAIN = 'bridge.example.com';
const ERIN: Address = 'mailto:erin@example.org';
const FRED: Address = 'mailto:fred@example.org';
const SETTINGS = { teams: { 'support@example.com': 'support', 'sales@example.com': 'sales' }, messageIdDomain: DOMAIN, html: false };

const conversation = (id: string, team: string, participants: Address[], subject?: string): NetworkConversation => ({
  id,
  team,
  participants,
  state: 'open',
  createdAt: '2026-12-01T10:00:00.000Z',
  lastSeq: 1,
  openedBy: participants[0]!,
  ...(subject !== undefined ? { subject } : {}),
});

const message = (id: string, conversationId: string, text = 'Where is my parcel?'): Message => ({
  id,
  conversationId,
  seq: 1,
  from: 'web:v_dana',
  text,
  sentAt: '2026-12-01T10:00:00.000Z',
});

/** Agents by mail over an in-memory store, a sink that stores what a party of its conversation writes, and an SMTP server that keeps what it takes. */
function agents(
  conversations: NetworkConversation[],
  visitorsGave = new Map<string, Address>(),
  availability: { graceSeconds: number; clock?: ManualClock } = { graceSeconds: 0 },
  /** What the core throws instead of storing (a refusal), when given. */
  refusal?: () => Error,
) {
  const threadsOf = new Map<string, string>();
  const messages = new Map<string, Message>();
  const stored: InboundMessage[] = [];
  const commands: { from: Address; text: string }[] = [];
  const presences: InboundPresence[] = [];
  const sent: (OutgoingMail & { text: string })[] = [];
  /** What the SMTP server answers every mail with instead of taking it, when set. */
  const smtp: { failure?: Error } = {};
  const records: NetworkRecords = {
    state: () => Promise.resolve(null),
    setState: () => Promise.resolve(),
    thread: (id) => Promise.resolve(threadsOf.get(id) ?? null),
    setThread: (id, value) => Promise.resolve(void (value === null ? threadsOf.delete(id) : threadsOf.set(id, value))),
    setSubject: () => Promise.resolve(),
    conversation: (id) => Promise.resolve(conversations.find((c) => c.id === id) ?? null),
    message: (id) => Promise.resolve(messages.get(id) ?? null),
    messageByRemoteId: () => Promise.resolve(null),
  };
  const sink = {
    // The core's rule: a network's message is stored only from a party of its conversation, or
    // from the address its website visitor gave (as theirs).
    message: (input: InboundMessage) => {
      if (refusal) return Promise.reject(refusal());
      const into = conversations.find((c) => c.id === input.conversationId);
      if (!into || (!into.participants.includes(input.from) && visitorsGave.get(into.id) !== input.from)) return Promise.resolve(null);
      stored.push(input);
      return Promise.resolve({ ...message(`m${stored.length + 10}`, into.id, input.text), from: input.from });
    },
    command: (input: { from: Address; text: string }) => (commands.push(input), Promise.resolve(`ran ${input.text}`)),
    isAgent: (address: Address) => address === ERIN || address === FRED,
    presence: (input: InboundPresence) => void presences.push(input),
  };
  const refs = new RefBook();
  const plusAddresses = new PlusAddresses(SECRET);
  const agentsByMail = new EmailAgents({
    sink,
    smtp: {
      send: async (mail) => {
        if (smtp.failure) throw smtp.failure;
        const read = await readMail(Buffer.from(mail.raw));
        sent.push({ ...mail, text: read.text });
        return { accepted: mail.to, response: '250 ok' };
      },
    },
    records,
    threads: new MailThreads(records, { secret: SECRET, domain: DOMAIN }),
    plusAddresses,
    secret: SECRET,
    refs,
    settings: SETTINGS,
    teamName: (id) => (id === 'support' ? 'Support' : undefined),
    logger: pino({ level: 'silent' }),
    ...availability,
  });
  /** An agent's mail, as the inbox hands it over. */
  const receive = async (from: Address, headers: Record<string, string>, body: string) => {
    const all = { From: from.slice('mailto:'.length), To: 'support@example.com', Subject: 'Re: [#x] My order', 'Message-ID': '<r1@example.org>', ...headers };
    const raw = `${Object.entries(all)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n')}\r\nContent-Type: text/plain\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`;
    return agentsByMail.receive(await readMail(Buffer.from(raw)), from);
  };
  const headersOf = (mail: OutgoingMail) => {
    const raw = mail.raw.toString();
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n\s+/g, ' ');
    return (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
  };
  // What the outbox sends is a stored message.
  const network = {
    send: (outbound: OutboundMessage) => (messages.set(outbound.message.id, outbound.message), agentsByMail.send(outbound)),
    notice: agentsByMail.notice.bind(agentsByMail),
    watch: agentsByMail.watch.bind(agentsByMail),
    connected: agentsByMail.connected.bind(agentsByMail),
    stop: agentsByMail.stop.bind(agentsByMail),
  };
  /** An agent's mail as its client composed it (files attached). */
  const receiveComposed = async (from: Address, mail: Mail.Options) =>
    agentsByMail.receive(
      await readMail(await new MailComposer({ from: from.slice('mailto:'.length), to: 'support@example.com', ...mail }).compile().build()),
      from,
    );
  return { network, stored, commands, presences, sent, smtp, refs, plusAddresses, receive, receiveComposed, headersOf };
}

describe('email agents: mail to agents', () => {
  it("mails an agent each message of a conversation in one thread of its own, from the team's mailbox, replies to its plus address", async () => {
    const one = conversation('c1', 'support', ['web:v_dana', ERIN], 'My order');
    const two = conversation('c2', 'support', ['web:v_gus', ERIN]);
    const a = agents([one, two]);
    const first = await a.network.send({ message: message('m1', 'c1'), to: ERIN, conversation: one, fromName: 'Dana' });
    await a.network.send({ message: message('m2', 'c1', 'Any news?'), to: ERIN, conversation: one });
    await a.network.send({ message: message('m3', 'c2'), to: ERIN, conversation: two });

    assert.deepEqual(first, { remoteId: messageIdFor(SECRET, DOMAIN, 'm1', 'erin@example.org'), status: 'sent' });
    const [m1, m2, m3] = a.sent.map((mail) => ({ mail, header: a.headersOf(mail) }));
    // Sent by a person's hand on the visitor's behalf: bounces come back to the mailbox.
    assert.deepEqual([m1!.mail.from, m1!.mail.to], ['support@example.com', ['erin@example.org']]);
    assert.equal(m1!.header('From'), 'Dana <support@example.com>');
    // A writer who gave no name is not the team: a visitor reads "Visitor", a customer of another network their address.
    assert.equal(m2!.header('From'), 'Visitor <support@example.com>');
    await a.network.send({ message: { ...message('m4', 'c1', 'No nick here'), from: 'xmpp:ann@example.org' }, to: ERIN, conversation: one });
    await a.network.send({ message: { ...message('m5', 'c1', 'Hi, thanks for writing.'), from: 'team:support' }, to: ERIN, conversation: one });
    const [m4, m5] = a.sent.slice(3).map((mail) => a.headersOf(mail));
    assert.equal(m4!('From'), '"ann@example.org" <support@example.com>');
    assert.equal(m5!('From'), 'Support <support@example.com>', "the team's own words, under the team's name");
    assert.equal(m1!.header('Subject'), `[#${a.refs.refOf('c1')}] My order`);
    assert.equal(m3!.header('Subject'), `[#${a.refs.refOf('c2')}] Conversation`);
    assert.equal(m1!.header('Reply-To'), a.plusAddresses.addressOf('support@example.com', 'c1'));
    assert.equal(m1!.header('Message-ID'), first.remoteId);
    assert.equal(m1!.header('Auto-Submitted'), undefined);
    assert.equal(m1!.mail.text, 'Where is my parcel?');
    // One thread per conversation and agent: every mail of it refers to the same root, another conversation's to another.
    const root = messageIdFor(SECRET, DOMAIN, 'c1', 'erin@example.org');
    assert.deepEqual([m1!.header('In-Reply-To'), m1!.header('References')], [root, root]);
    assert.deepEqual([m2!.header('In-Reply-To'), m2!.header('References')], [root, root]);
    assert.equal(m3!.header('In-Reply-To'), messageIdFor(SECRET, DOMAIN, 'c2', 'erin@example.org'));
  });

  it("puts the context line in the conversation's thread under the visitor's name, and the desk's other lines on their own, automatic", async () => {
    const one = conversation('c1', 'sales', ['web:v_dana', ERIN], 'Pricing');
    const a = agents([one]);
    await a.network.notice({
      to: ERIN,
      text: `#${a.refs.refOf('c1')} Dana (not verified), team sales. Reply here.`,
      about: { conversation: one, visitor: 'web:v_dana', visitorName: 'Dana' },
    });
    await a.network.notice({ to: ERIN, text: 'Conversation #c1 was closed.' });

    const [context, line] = a.sent.map((mail) => ({ mail, header: a.headersOf(mail) }));
    assert.equal(context!.header('From'), 'Dana <sales@example.com>', "from the mailbox of the conversation's team");
    assert.equal(context!.header('Subject'), `[#${a.refs.refOf('c1')}] Pricing`);
    assert.equal(context!.header('In-Reply-To'), messageIdFor(SECRET, DOMAIN, 'c1', 'erin@example.org'));
    assert.equal(context!.header('Reply-To'), a.plusAddresses.addressOf('sales@example.com', 'c1'));
    assert.equal(context!.mail.from, 'sales@example.com');
    assert.match(context!.mail.text, /^#\w+ Dana \(not verified\), team sales\. Reply here\.$/);

    assert.equal(line!.header('Subject'), 'Support desk');
    assert.equal(line!.header('From'), 'support@example.com');
    assert.equal(line!.header('Auto-Submitted'), 'auto-generated');
    assert.equal(line!.header('In-Reply-To'), undefined);
    assert.equal(line!.mail.from, null, 'no bounce answers an automatic mail');
  });
});

describe('email agents: mail from agents', () => {
  it("leaves a customer's mail to the customers' side and stores an agent's reply, its visible text only, as their answer", async () => {
    const one = conversation('c1', 'support', ['mailto:dana@example.org', ERIN], 'My order');
    const a = agents([one]);
    await a.network.send({ message: message('m1', 'c1'), to: ERIN, conversation: one });
    const sentId = messageIdFor(SECRET, DOMAIN, 'm1', 'erin@example.org');

    assert.equal(await a.receive('mailto:dana@example.org', {}, 'Hello'), false, 'not an agent: a customer');
    const reply = 'It left the warehouse today.\n\nOn Tue, Erin wrote:\n> Where is my parcel?\n';
    assert.equal(await a.receive(ERIN, { 'In-Reply-To': sentId, References: sentId }, reply), true);
    assert.deepEqual(a.stored, [
      {
        network: 'mailto',
        from: ERIN,
        to: 'mailto:support@example.com',
        conversationId: 'c1',
        text: 'It left the warehouse today.',
        remoteId: `${ERIN}/<r1@example.org>`,
      },
    ]);
    assert.equal(a.sent.length, 1, 'a stored answer is not answered');
  });

  it("stores the files of an agent's reply as the answer's files", async () => {
    const one = conversation('c1', 'support', ['mailto:dana@example.org', ERIN], 'My order');
    const a = agents([one]);
    await a.network.send({ message: message('m1', 'c1'), to: ERIN, conversation: one });
    const sentId = messageIdFor(SECRET, DOMAIN, 'm1', 'erin@example.org');
    const label = Buffer.from('%PDF-1.4 return label');
    await a.receiveComposed(ERIN, {
      subject: 'Re: [#x] My order',
      messageId: '<r2@example.org>',
      inReplyTo: sentId,
      text: 'Here is the return label.',
      attachments: [{ filename: 'label.pdf', content: label, contentType: 'application/pdf' }],
    });
    assert.equal(a.stored.length, 1);
    assert.equal(a.stored[0]!.text, 'Here is the return label.');
    assert.deepEqual(
      a.stored[0]!.files?.map((file) => [file.name, file.declaredType, file.content.equals(label)]),
      [['label.pdf', 'application/pdf', true]],
    );
  });

  it('takes a reply to the plus address alone (no thread headers) as an answer in that conversation', async () => {
    const a = agents([conversation('c1', 'support', ['mailto:dana@example.org', ERIN])]);
    const plus = a.plusAddresses.addressOf('support@example.com', 'c1')!;
    assert.equal(await a.receive(ERIN, { To: plus, 'Message-ID': '<r2@example.org>' }, 'On it.'), true);
    assert.deepEqual(
      a.stored.map((input) => [input.conversationId, input.text]),
      [['c1', 'On it.']],
    );
  });

  it("drops an agent's out-of-office answer: neither stored nor answered", async () => {
    const a = agents([conversation('c1', 'support', ['mailto:dana@example.org', ERIN])]);
    const plus = a.plusAddresses.addressOf('support@example.com', 'c1')!;
    assert.equal(await a.receive(ERIN, { To: plus, 'Auto-Submitted': 'auto-replied', Subject: 'Out of office' }, 'I am away until Monday.'), true);
    assert.equal(await a.receive(ERIN, { To: plus, 'X-Autoreply': 'yes', Subject: 'Away' }, 'Away.'), true);
    assert.deepEqual([a.stored, a.sent, a.commands], [[], [], []]);
  });

  it("runs a command an agent mails to the team's mailbox and answers it by mail, in reply to theirs", async () => {
    const a = agents([]);
    assert.equal(await a.receive(ERIN, { Subject: 'list', 'Message-ID': '<cmd@example.org>' }, '/list\n\n-- \nErin'), true);
    assert.deepEqual(a.commands, [{ from: ERIN, text: '/list' }]);
    const [answer] = a.sent;
    const header = a.headersOf(answer!);
    assert.deepEqual([answer!.from, answer!.to, answer!.text], [null, ['erin@example.org'], 'ran /list']);
    assert.deepEqual(
      [header('Subject'), header('In-Reply-To'), header('References'), header('Auto-Submitted')],
      ['Re: list', '<cmd@example.org>', '<cmd@example.org>', 'auto-replied'],
    );
  });

  it('takes a command mailed while the mail server is down as handled: run once, the mailbox moves on, no answer', async () => {
    const a = agents([conversation('c1', 'support', ['web:v_dana', FRED])]);
    a.smtp.failure = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ECONNECTION' });
    assert.equal(await a.receive(ERIN, { Subject: 'note', 'Message-ID': '<cmd@example.org>' }, '/list'), true);
    assert.deepEqual(a.commands, [{ from: ERIN, text: '/list' }]);
    // Nor does an answer to a mail of no conversation, or to one not theirs, hold the mailbox up.
    assert.equal(await a.receive(ERIN, { 'Message-ID': '<plain@example.org>' }, 'Hello?'), true);
    const notTheirs = { To: a.plusAddresses.addressOf('support@example.com', 'c1')!, 'Message-ID': '<other@example.org>' };
    assert.equal(await a.receive(ERIN, notTheirs, 'I will take it.'), true);
    assert.deepEqual([a.sent, a.stored], [[], []]);
  });

  it('tells an agent that a mail answering no conversation and starting with no command was not delivered', async () => {
    const a = agents([]);
    assert.equal(await a.receive(ERIN, { Subject: 'Hi' }, 'Hello desk'), true);
    assert.deepEqual([a.stored, a.commands], [[], []]);
    assert.match(a.sent[0]!.text, /^Your mail answers no conversation of yours, so it was not delivered\./);
  });

  it("never stores an agent's reply to a conversation they may not answer, and tells them by mail why", async () => {
    const theirs = conversation('c1', 'support', ['mailto:dana@example.org', ERIN]);
    // Another team's conversation, and one of their team that was handed to another agent.
    const sales = conversation('c2', 'sales', ['mailto:gus@example.org', FRED]);
    const handedOn = conversation('c3', 'support', ['mailto:hal@example.org', FRED]);
    // A website visitor who typed Erin's address as theirs.
    const posing = conversation('c4', 'support', ['web:v_ida', FRED]);
    const a = agents([theirs, sales, handedOn, posing], new Map([['c4', ERIN]]));
    await a.network.send({ message: message('m1', 'c2'), to: FRED, conversation: sales });
    for (const [id, headers] of [
      ['c2', { To: a.plusAddresses.addressOf('sales@example.com', 'c2')! }],
      ['c3', { To: a.plusAddresses.addressOf('support@example.com', 'c3')! }],
      ['c4', { To: a.plusAddresses.addressOf('support@example.com', 'c4')! }],
      // A mail the bridge sent Fred names its conversation to Fred only: Erin's copy of it names none.
      ['c2', { 'In-Reply-To': messageIdFor(SECRET, DOMAIN, 'm1', 'fred@example.org') }],
    ] as const) {
      a.sent.length = 0;
      assert.equal(await a.receive(ERIN, { ...headers, 'Message-ID': `<not-${id}@example.org>`, Subject: 'Re: yours?' }, 'I will take it.'), true);
      assert.equal(a.sent.length, 1, id);
      assert.equal(a.sent[0]!.to[0], 'erin@example.org');
      if ('In-Reply-To' in headers) assert.match(a.sent[0]!.text, /answers no conversation of yours/);
      else assert.equal(a.sent[0]!.text, NOT_YOURS);
      assert.equal(a.headersOf(a.sent[0]!)('In-Reply-To'), `<not-${id}@example.org>`);
    }
    assert.deepEqual(a.stored, []);
  });

  it('tells an agent why the bridge refused their answer (rate limited), and takes the mail as handled so the mailbox moves on', async () => {
    const refused = () => Object.assign(new Error('Too many messages: wait a minute.'), { code: 'rate_limited' });
    const a = agents([conversation('c1', 'support', ['mailto:dana@example.org', ERIN])], undefined, undefined, refused);
    const plus = a.plusAddresses.addressOf('support@example.com', 'c1')!;
    assert.equal(await a.receive(ERIN, { To: plus, 'Message-ID': '<busy@example.org>' }, 'On it.'), true);
    assert.equal(a.sent[0]!.text, 'Your message was not delivered: Too many messages: wait a minute.');
    assert.equal(a.headersOf(a.sent[0]!)('In-Reply-To'), '<busy@example.org>');
    // Not a refusal (the store failed): the mailbox hands the mail over again later.
    const failing = agents([conversation('c1', 'support', ['mailto:dana@example.org', ERIN])], undefined, undefined, () => new Error('disk I/O error'));
    await assert.rejects(failing.receive(ERIN, { To: plus }, 'On it.'), /disk I\/O error/);
    assert.deepEqual(failing.sent, []);
  });
});

describe('email agents: availability', () => {
  const both = (status: 'available' | 'offline') => [ERIN, FRED].map((address) => ({ address, status }));

  it('shows the team members it carries available while the mailbox is reached, offline when it is lost (no grace period)', () => {
    const a = agents([]);
    a.network.watch([ERIN]);
    assert.deepEqual(a.presences, [], 'nothing known before the mailbox is reached');
    a.network.connected(true);
    a.network.watch([FRED]);
    a.network.connected(true);
    assert.deepEqual(a.presences, both('available'));
    a.network.connected(false);
    assert.deepEqual(a.presences.slice(2), both('offline'));
  });

  it('keeps them available while the mailbox reconnects within the grace period, offline once it was lost for all of it', () => {
    const clock = new ManualClock(new Date('2026-12-02T10:00:00Z'));
    const at = (seconds: number) => clock.set(new Date(Date.parse('2026-12-02T10:00:00Z') + seconds * 1000));
    const a = agents([], undefined, { graceSeconds: 60, clock });
    a.network.watch([ERIN, FRED]);
    a.network.connected(true);
    assert.equal(a.presences.length, 2);

    // A drop of 40 s, in two reports (lost, then connecting again): nobody sees a change.
    a.network.connected(false);
    at(30);
    a.network.connected(false);
    at(40);
    a.network.connected(true);
    at(200);
    assert.equal(a.presences.length, 2, 'a reconnection within the grace period changes nothing');

    // Lost for good: offline 60 s after it was lost, not from a later report.
    a.network.connected(false);
    at(250);
    a.network.connected(false);
    at(259);
    assert.equal(a.presences.length, 2);
    at(260);
    assert.deepEqual(a.presences.slice(2), both('offline'));
    a.network.connected(true);
    assert.deepEqual(a.presences.slice(4), both('available'));
  });

  it('shows a member watched during the grace period available, and leaves nothing pending once stopped', () => {
    const clock = new ManualClock(new Date('2026-12-02T10:00:00Z'));
    const a = agents([], undefined, { graceSeconds: 60, clock });
    a.network.connected(true);
    a.network.connected(false);
    a.network.watch([ERIN]);
    assert.deepEqual(a.presences, [{ address: ERIN, status: 'available' }]);
    a.network.stop();
    clock.set(new Date('2026-12-02T11:00:00Z'));
    assert.equal(a.presences.length, 1);
  });
});
