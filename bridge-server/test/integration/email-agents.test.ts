/**
 * Agents by mail (docs/networks/email.md, "Agents by email") against a real Postfix and Dovecot
 * (test/servers/mail.ts): a web visitor's conversation goes to an agent whose address is
 * `mailto:`; the agent's mailbox gets the context line and each message in one thread per
 * conversation; the agent's reply from a typical client (quoted history, signature) reaches the
 * visitor with only its new text (her out-of-office answer not at all); `/list` mailed to the team's mailbox is answered by mail.
 * Their reply to a conversation that is not theirs (transferred to another team, or another team's
 * that reached them) reaches no one, and they are told so. An XMPP customer (a real Prosody) is
 * answered by an agent by mail the same way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { Message } from '@switchboard/protocol';
import { PlusAddresses } from '../../src/networks/email/mail-threading.js';
import { NOT_YOURS } from '../../src/networks/kit/relay.js';
import { SITE, type TestBridge, agentAuth, call, collect, connect, next, openVisitor, sendText, startBridge, until, untilTeam } from '../helpers.js';
import { send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork, prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, chatWithOriginId, connectAgent, isChatFrom } from '../xmpp-agent.js';

const SUPPORT = 'support@example.test';
const ERIN = 'mailto:erin@example.test';

const bridgeConfig = (mail: MailServer) => ({
  teams: [
    { id: 'support', name: 'Support', members: [ERIN], sites: [SITE], capacity: 10 },
    { id: 'sales', name: 'Sales', members: ['web:a_bob'], sites: [SITE], capacity: 10 },
  ],
  networks: [{ type: 'web', presenceGraceMs: 50 }, emailNetwork(mail)],
});

/** Every mail in erin's mailbox once it holds `count` of them, oldest first. */
async function erinsMail(mail: MailServer, count: number): Promise<ParsedMail[]> {
  const stored = await mail.waitForMessages('erin@example.test', count, { timeoutMs: 15_000 });
  return Promise.all(stored.map((message) => simpleParser(message.source)));
}

/**
 * The context line and the customer's message among mails sent one after the other: the mail server
 * may deliver them in either order, so each is told by its text.
 */
function contextAndMessage(mails: ParsedMail[], text: string): { context: ParsedMail; message: ParsedMail } {
  const message = mails.find((m) => m.text?.trim() === text);
  const context = mails.find((m) => m !== message);
  assert.ok(message && context, `the context line and the message: ${mails.map((m) => m.text).join(' | ')}`);
  return { context, message };
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
    // As docs/networks/email.md says: no name and no Reply-To, for it belongs to no conversation.
    assert.deepEqual([listed!.from?.value[0]?.name, listed!.replyTo], ['', undefined]);
    assert.equal(listed!.headers.get('auto-submitted'), 'auto-replied');
    assert.equal(listed!.inReplyTo, '<list.1@erin.example.test>');
    assert.match(listed!.text ?? '', /^Your open conversations:/);
    assert.match(listed!.text ?? '', new RegExp(`#${ref}`));

    // A command mail that arrives twice (the desk in To and in Cc: two copies, one Message-ID) runs once.
    const note = { from: 'Erin <erin@example.test>', subject: 'note', messageId: '<note.1@erin.example.test>', text: `/note ${ref} called the customer` };
    await send(mail, { ...note, to: SUPPORT });
    await send(mail, { ...note, to: SUPPORT });
    // Then one more command: its answer is the next after the note's.
    await send(mail, { from: 'Erin <erin@example.test>', to: SUPPORT, subject: 'list', messageId: '<list.2@erin.example.test>', text: '/list' });
    const answers = await erinsMail(mail, 5);
    assert.match(answers[3]!.text ?? '', new RegExp(`^Noted on #${ref}`));
    assert.match(answers[4]!.text ?? '', /^Your open conversations:/);
  });

  it('tells an agent whose reply answers a conversation not theirs that it was not delivered, and delivers nothing', async () => {
    const earlier = (await mail.messages('erin@example.test')).length;
    const bob = await connect(t, agentAuth('bob'));

    // Erin's conversation, which she hands to team sales by mail; her reply to its thread afterwards is not hers to give.
    const visitor = await openVisitor(t, { profile: { name: 'Wes' }, assignee: ERIN });
    const atVisitor = collect(visitor.socket, 'message');
    await sendText(visitor, 'Can I change my delivery address?');
    const { context, message } = contextAndMessage((await erinsMail(mail, earlier + 2)).slice(earlier), 'Can I change my delivery address?');
    const ref = /^\[#(\w+)\] /.exec(context.subject ?? '')?.[1];
    const atSales = next(bob.socket, 'conversation', (c) => c.id === visitor.conversationId && c.assignee === 'web:a_bob', 15_000);
    await send(mail, {
      from: 'erin@example.test',
      to: SUPPORT,
      subject: 'transfer',
      messageId: '<transfer.1@erin.example.test>',
      text: `/transfer ${ref} sales`,
    });
    const [transferred] = (await erinsMail(mail, earlier + 3)).slice(earlier + 2);
    assert.equal(transferred!.text?.trim(), `#${ref} is in the queue of team sales.`);
    assert.ok(!(await atSales).participants.includes(ERIN));

    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: addressOf(message.replyTo)!,
      subject: `Re: ${message.subject}`,
      messageId: '<late.1@erin.example.test>',
      inReplyTo: message.messageId!,
      references: [...referencesOf(message), message.messageId!],
      text: 'Yes, I changed it.',
    });
    const [refused] = (await erinsMail(mail, earlier + 4)).slice(earlier + 3);
    assert.equal(refused!.text?.trim(), NOT_YOURS);
    assert.equal(addressOf(refused!.from), SUPPORT);
    assert.equal(refused!.inReplyTo, '<late.1@erin.example.test>');
    assert.equal(refused!.subject, `Re: ${message.subject}`);

    // A conversation of another team she never had, reached through its plus address (a colleague forwarded its mail).
    const other = await openVisitor(t, { profile: { name: 'Xena' }, team: 'sales', assignee: 'web:a_bob' });
    const atOther = collect(other.socket, 'message');
    const plusAddress = new PlusAddresses('a-test-secret-of-at-least-32-characters').addressOf(SUPPORT, other.conversationId)!;
    await send(mail, {
      from: 'erin@example.test',
      to: plusAddress,
      subject: 'About your order',
      messageId: '<stray.1@erin.example.test>',
      text: 'I can help.',
    });
    const [refusedAgain] = (await erinsMail(mail, earlier + 5)).slice(earlier + 4);
    assert.equal(refusedAgain!.text?.trim(), NOT_YOURS);
    assert.equal(refusedAgain!.inReplyTo, '<stray.1@erin.example.test>');

    // Each refusal was mailed after the core refused the mail: nothing of hers was stored or sent on.
    for (const [who, conversationId, seen] of [
      [visitor, visitor.conversationId, atVisitor],
      [other, other.conversationId, atOther],
    ] as const) {
      const history = await call(who.socket, 'history:get', { conversationId });
      assert.deepEqual(
        history.messages.filter((m: Message) => m.from === ERIN),
        [],
      );
      assert.deepEqual(
        seen.filter((m) => m.from === ERIN),
        [],
      );
    }
    assert.equal((await erinsMail(mail, earlier + 5)).length, earlier + 5, 'no mail of the other conversation reached her');
    bob.socket.disconnect();
  });
});

describe("a customer's mail answered by an agent by email, against a real Postfix and Dovecot", () => {
  let mail: MailServer;
  let t: TestBridge;

  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'erin@example.test': 'erinpw' } });
    t = await startBridge(bridgeConfig(mail));
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
    const watcher = await connect(t, { siteKey: SITE });
    await untilTeam(watcher.socket, 'support', (a) => a.available === true, 15_000);
    watcher.socket.disconnect();
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
  });

  it("names the thread after the customer's subject from the agent's first mail, the context line's", async () => {
    await send(mail, {
      from: 'Dana <dana@example.test>',
      to: SUPPORT,
      subject: 'Need help',
      messageId: '<help.1@dana.example.test>',
      text: 'My tent has a hole.',
    });
    const { context, message } = contextAndMessage(await erinsMail(mail, 2), 'My tent has a hole.');
    assert.match(context.subject ?? '', /^\[#\w+\] Need help$/);
    assert.equal(message.subject, context.subject);
  });
});

describe('an XMPP customer answered by an agent by email, against a real Prosody, Postfix and Dovecot', () => {
  const CAROL = 'xmpp:carol@localhost';
  let mail: MailServer;
  let prosody: ProsodyServer;
  let carol: Agent;
  let t: TestBridge;

  before(async () => {
    [mail, prosody] = await Promise.all([
      startMail({ users: { [SUPPORT]: 'supportpw', 'erin@example.test': 'erinpw' } }),
      startProsody({ users: [['carol', 'carolpw']] }),
    ]);
    t = await startBridge({
      teams: [{ id: 'support', name: 'Support', members: [{ id: 'erin', name: 'Erin', addresses: [ERIN] }], sites: [SITE], capacity: 10 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody), emailNetwork(mail)],
    });
    await until(() => ['xmpp', 'mailto'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks online');
    // The agent by mail counts as available once the mailbox is read: the customer's conversation goes to them.
    const watcher = await connect(t, { siteKey: SITE });
    await untilTeam(watcher.socket, 'support', (a) => a.available === true, 15_000);
    watcher.socket.disconnect();
    carol = await connectAgent(prosody.c2sPort, 'carol', 'carolpw');
  });
  after(async () => {
    await carol?.stop();
    await t?.stop();
    await Promise.all([mail?.destroy(), prosody?.destroy()]);
  });

  it("mails the agent the customer's conversation with its context line, and their reply reaches the customer over XMPP", async () => {
    const team = `support@${prosody.componentDomain}`;
    await carol.send(chatWithOriginId(team, 'Are you open on Sunday?', 'c-1'));
    const { context, message } = contextAndMessage(await erinsMail(mail, 2), 'Are you open on Sunday?');
    const ref = /^\[#(\w+)\] /.exec(context.subject ?? '')?.[1];
    assert.ok(ref, `a subject naming the conversation's ref: ${context.subject}`);
    assert.match(context.text ?? '', new RegExp(`^#${ref} .*${CAROL.replace(/\./g, '\\.')}.*, team support\\.`));
    assert.equal(message.text?.trim(), 'Are you open on Sunday?');
    assert.equal(message.subject, context.subject);
    const replyTo = addressOf(message.replyTo)!;
    assert.equal(addressOf(context.replyTo), replyTo);

    await send(mail, {
      from: 'Erin <erin@example.test>',
      to: replyTo,
      subject: `Re: ${message.subject}`,
      messageId: '<sunday.1@erin.example.test>',
      inReplyTo: message.messageId!,
      references: [...referencesOf(message), message.messageId!],
      text: 'Yes, from 10 to 16.\n\nOn Wed, 2 Dec 2026 at 11:00, carol <support@example.test> wrote:\n> Are you open on Sunday?\n\n-- \nErin',
    });
    const answer = await carol.next((s) => isChatFrom(team)(s), 15_000);
    assert.equal(answer.getChildText('body'), 'Yes, from 10 to 16.');
    assert.equal(answer.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Erin');
  });
});
