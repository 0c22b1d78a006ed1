/**
 * A customer copying a colleague (`keepCc`, docs/networks/email.md), against a real Postfix and
 * Dovecot: the greeting and the agent's answers reach the colleague in Cc too, until the
 * customer's latest mail copies them no more.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SITE, type TestBridge, agentAuth, call, connect, next, startBridge, until } from '../helpers.js';
import { mailsOf, send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';
const GREETING = 'Thanks for writing to us: an agent answers shortly.';
const IVY = 'mailto:ivy@example.test';

const addresses = (field: ParsedMail['cc']) => [field ?? []].flat().flatMap((object) => object.value.map((mailbox) => mailbox.address));

/**
 * The mail the team sent `address` (not what Ivy copied them on herself), once there are `count`:
 * the mailbox holds at least as many mails in all, in whatever order Postfix delivered them.
 */
async function fromTeam(mail: MailServer, address: string, count: number, inAll = count): Promise<ParsedMail[]> {
  const all = await mailsOf(mail, address, inAll);
  const sent = all.filter((m) => addresses(m.from).includes(SUPPORT));
  return sent.length >= count ? sent : fromTeam(mail, address, count, all.length + count - sent.length);
}

describe('a customer copying a colleague, with keepCc, against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;
  before(async () => {
    mail = await startMail({
      users: { [SUPPORT]: 'supportpw', 'ivy@example.test': 'ivypw', 'colleague@example.test': 'colleaguepw' },
    });
    t = await startBridge({
      teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100, greeting: GREETING }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, emailNetwork(mail, { keepCc: true })],
    });
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
  });

  it("copies the greeting and the answers to whom the customer's latest mail copied, and stops when it copies them no more", async () => {
    const alice = (await connect(t, agentAuth('alice'))).socket;
    const offered = next(alice, 'conversation', (c) => c.participants.includes(IVY));
    // Ivy copies her colleague, herself and the team's mailbox again.
    await send(mail, {
      from: 'Ivy <ivy@example.test>',
      to: [SUPPORT, 'Colleague <colleague@example.test>'],
      cc: ['support+billing@example.test', 'ivy@example.test'],
      subject: 'Quote request',
      text: 'Please send the quote to my colleague too.',
    });
    const conversation = await offered;

    const [greeting] = await fromTeam(mail, 'colleague@example.test', 1);
    assert.equal(greeting!.text?.trim(), GREETING);
    assert.deepEqual(addresses(greeting!.to), ['ivy@example.test']);
    assert.deepEqual(addresses(greeting!.cc), ['colleague@example.test']);
    await call(alice, 'message:send', { conversationId: conversation.id, clientId: 'q-1', text: 'The quote: 120 EUR.' });
    const [, answer] = await fromTeam(mail, 'colleague@example.test', 2);
    assert.equal(answer!.text?.trim(), 'The quote: 120 EUR.');
    assert.deepEqual(addresses(answer!.cc), ['colleague@example.test']);
    const atIvy = await fromTeam(mail, 'ivy@example.test', 2);
    assert.equal(atIvy[1]!.messageId, answer!.messageId, 'one mail, to both');

    // Ivy answers her colleague no more: the next answer is hers alone.
    await send(mail, {
      from: 'Ivy <ivy@example.test>',
      to: addresses(answer!.replyTo)[0],
      subject: `Re: ${answer!.subject}`,
      inReplyTo: answer!.messageId!,
      references: [answer!.messageId!],
      text: 'Thanks, I take it.',
    });
    await until(
      async () => (await call(alice, 'history:get', { conversationId: conversation.id })).messages.some((m) => m.text === 'Thanks, I take it.'),
      10_000,
      "Ivy's reply stored",
    );
    await call(alice, 'message:send', { conversationId: conversation.id, clientId: 'q-2', text: 'Ordered.' });
    const [, , ordered] = await fromTeam(mail, 'ivy@example.test', 3);
    assert.equal(ordered!.text?.trim(), 'Ordered.');
    assert.equal(ordered!.cc, undefined);
    // Anything sent to the colleague before the marker has arrived by the time the marker has.
    await send(mail, { from: 'ivy@example.test', to: 'colleague@example.test', subject: 'marker', text: 'marker' });
    const atColleague = await mail.waitForMessages('colleague@example.test', (all) => all.some((m) => m.source.includes('Subject: marker')), {
      timeoutMs: 15_000,
    });
    const texts = (await Promise.all(atColleague.map((m) => simpleParser(m.source)))).map((m) => m.text?.trim());
    assert.deepEqual(texts, ['Please send the quote to my colleague too.', GREETING, 'The quote: 120 EUR.', 'marker']);
  });
});
