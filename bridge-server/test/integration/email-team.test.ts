/**
 * A team answering a customer by mail from two networks (docs/networks/email.md) against a real
 * Postfix and Dovecot (test/servers/mail.ts) and a real ngircd: the customer's mail to the team's
 * mailbox goes to an IRC agent, who answers from IRC; a web agent answers too; the customer gets
 * both answers by mail in one thread, and their reply reaches the IRC agent in the same conversation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation } from '@switchboard/protocol';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SITE, type TestBridge, agentAuth, call, collect, connect, startBridge, until, untilTeam } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { SUPPORT_MAILBOX, emailNetwork, ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const SUPPORT = SUPPORT_MAILBOX.address;
const DANA = 'mailto:dana@example.test';
const ERIN = 'irc:erin@test';

async function danasMail(mail: MailServer, count: number): Promise<ParsedMail[]> {
  const stored = await mail.waitForMessages('dana@example.test', count, { timeoutMs: 15_000 });
  return Promise.all(stored.map((message) => simpleParser(message.source)));
}

const addressOf = (field: ParsedMail['from']) => field?.value[0]?.address;
const referencesOf = (parsed: ParsedMail) => [parsed.references ?? []].flat();

describe('a mail customer answered by an IRC agent and a web agent, against a real Postfix, Dovecot and ngircd', () => {
  let mail: MailServer;
  let ngircd: NgircdServer;
  let erin: IrcAgent;
  let t: TestBridge;

  before(async () => {
    [mail, ngircd] = await Promise.all([startMail({ users: { [SUPPORT]: SUPPORT_MAILBOX.password, 'dana@example.test': 'danapw' } }), startNgircd()]);
    erin = await connectIrcAgent(ngircd.port, 'erin');
    t = await startBridge({
      teams: [{ id: 'support', name: 'Support', members: [{ id: 'erin', name: 'Erin', addresses: [ERIN] }, 'web:a_bob'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 }), emailNetwork(mail)],
    });
    await until(() => ['irc', 'mailto'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks online');
    // The IRC agent is seen online (the only one: the web agent is not connected yet), so the mail goes to them.
    const watcher = await connect(t, { siteKey: SITE });
    await untilTeam(watcher.socket, 'support', (a) => (a.online ?? 0) >= 1, 15_000);
    watcher.socket.disconnect();
  });
  after(async () => {
    await erin?.quit();
    await t?.stop();
    await Promise.all([mail?.destroy(), ngircd?.destroy()]);
  });

  it("mails both answers in the thread under each agent's name, and the reply reaches the IRC agent in the same conversation", async () => {
    await send(mail, {
      from: 'Dana Scully <dana@example.test>',
      to: SUPPORT,
      subject: 'My order has not arrived',
      messageId: '<first.42@client.example.test>',
      text: 'Hello, my order 42 has not arrived yet.',
    });
    // The IRC agent gets it from the customer's puppet, after the context line naming the conversation.
    const got = await erin.next((m) => m.message === 'Hello, my order 42 has not arrived yet.', 15_000);
    assert.equal(got.target, 'erin');
    const context = erin.messages.find((m) => m.nick === got.nick && m.message.includes('team support'));
    assert.ok(context, `a context line from ${got.nick}: ${JSON.stringify(erin.messages.map((m) => m.message))}`);
    const ref = /^#(\w+) /.exec(context.message)?.[1];
    assert.ok(ref, context.message);
    // The customer named as the mail names them, and said to be unverified: anyone can write any From.
    assert.match(context.message, new RegExp(`^#${ref} "Dana Scully" mailto:dana@example\\.test \\(not vouched: .*\\), team support\\. Reply here;`));

    // The IRC agent's answer: by mail from the team's mailbox under the agent's name, replying to the customer's mail.
    erin.say(got.nick, 'Let me look into it.');
    const [first] = await danasMail(mail, 1);
    assert.equal(first!.text?.trim(), 'Let me look into it.');
    assert.equal(addressOf(first!.from), SUPPORT);
    assert.equal(first!.from?.value[0]?.name, 'Erin');
    assert.equal(first!.subject, 'Re: My order has not arrived');
    assert.equal(first!.inReplyTo, '<first.42@client.example.test>');
    assert.deepEqual(referencesOf(first!), ['<first.42@client.example.test>']);
    const replyTo = addressOf(first!.replyTo)!;
    assert.match(replyTo, /^support\+[a-z0-9_]+-[a-z2-7]{16}@example\.test$/);

    // A web agent of the team answers in the same conversation: the next mail of the thread.
    const bob = await connect(t, agentAuth('bob'));
    const { conversations } = await call(bob.socket, 'conversation:list', {});
    const conversation = conversations.find((c: Conversation) => c.participants.includes(DANA))!;
    assert.equal(conversation.assignee, ERIN);
    assert.ok(conversation.id.toLowerCase().endsWith(ref), `#${ref} names ${conversation.id}`);
    const atBob = collect(bob.socket, 'message');
    await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: 'b-1', text: 'It ships today.' });
    const [, second] = await danasMail(mail, 2);
    assert.equal(second!.text?.trim(), 'It ships today.');
    assert.equal(addressOf(second!.from), SUPPORT);
    assert.equal(second!.from?.value[0]?.name, 'bob');
    assert.equal(second!.subject, 'Re: My order has not arrived');
    assert.equal(second!.inReplyTo, '<first.42@client.example.test>', "still the customer's latest mail");
    assert.deepEqual(referencesOf(second!), ['<first.42@client.example.test>', first!.messageId]);
    assert.equal(addressOf(second!.replyTo), replyTo);

    // The customer replies to the web agent's mail: the same conversation, at both agents.
    await send(mail, {
      from: 'Dana Scully <dana@example.test>',
      to: replyTo,
      subject: `Re: ${second!.subject}`,
      messageId: '<second.42@client.example.test>',
      inReplyTo: second!.messageId!,
      references: [...referencesOf(second!), second!.messageId!],
      text: 'Great, thank you!\n\nOn Wed, 2 Dec 2026 at 10:00, bob <support@example.test> wrote:\n> It ships today.',
    });
    const reply = await erin.next((m) => m.message === 'Great, thank you!', 15_000);
    assert.equal(reply.nick, got.nick, "from the customer's puppet, as before");
    await until(() => atBob.some((m) => m.from === DANA && m.text === 'Great, thank you!'), 10_000, 'the reply at the web agent');
    assert.equal(atBob.find((m) => m.from === DANA)!.conversationId, conversation.id);
    const { conversations: after } = await call(bob.socket, 'conversation:list', {});
    assert.deepEqual(
      after.filter((c: Conversation) => c.participants.includes(DANA)).map((c: Conversation) => c.id),
      [conversation.id],
    );
    bob.socket.disconnect();
  });
});
