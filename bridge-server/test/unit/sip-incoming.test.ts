// How the SIP network answers a MESSAGE it does not deliver (docs/networks/sip.md, "Incoming
// MESSAGEs are answered"), without a proxy: the answer a stand-in request gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Message } from '@switchboard/protocol';
import type { InboundSink } from '../../src/networks/network.js';
import { VisitorDomain } from '../../src/networks/sip/addresses.js';
import type { ImdnNotifications } from '../../src/networks/sip/imdn.js';
import { IncomingMessages } from '../../src/networks/sip/incoming.js';
import type { SipMessenger } from '../../src/networks/sip/outgoing.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { until } from '../helpers.js';
import { type SipAnswer as Answer, answerOf } from '../sip-stand-in.js';
import type { SipTexts } from '../../src/networks/sip/text-messages.js';

/** The network's incoming MESSAGEs, with the core's `message` given. */
function incomingWith(store: InboundSink['message'], others: Partial<ConstructorParameters<typeof IncomingMessages>[0]> = {}): IncomingMessages {
  return new IncomingMessages({
    sink: { message: store } as InboundSink,
    logger: pino({ level: 'silent' }),
    domain: new VisitorDomain('web.example.org', hosted),
    hosted,
    messenger: {} as SipMessenger,
    texts: {} as SipTexts,
    imdn: {} as ImdnNotifications,
    ...others,
  });
}

/** The answer to a MESSAGE to `user` under the visitor domain, with the core's `message` given. */
function answerTo(user: string, store: InboundSink['message'], contentType = 'text/plain;charset=UTF-8', body = 'hi'): Promise<Answer | 'accepted'> {
  return answerOf(incomingWith(store), { to: `sip:${user}@web.example.org`, from: 'sip:mallory@example.org', contentType, body });
}

const noConversation = () => Promise.resolve(null);

describe('SIP incoming MESSAGE answers', () => {
  it("answers an agent's command to the bridge's URI with 200 only once it ran, then sends its answer", async () => {
    const steps: string[] = [];
    let ran!: (answer: string) => void;
    const incoming = new IncomingMessages({
      sink: { command: () => (steps.push('command'), new Promise<string>((resolve) => (ran = resolve))) } as unknown as InboundSink,
      logger: pino({ level: 'silent' }),
      domain: new VisitorDomain('web.example.org', hosted),
      hosted,
      messenger: {} as SipMessenger,
      texts: { send: ({ text }: { text: string }) => (steps.push(`answer: ${text}`), Promise.resolve()) },
      imdn: {} as ImdnNotifications,
    });
    const answered = answerOf(incoming, { to: 'sip:switchboard@web.example.org', from: 'sip:alice@example.org', body: '/close 1a2b3' }).then((answer) => {
      steps.push(answer === 'accepted' ? answer : `refused ${answer.statusCode}`);
      return answer;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(steps, ['command'], 'no 200 while the command runs');
    ran('#1a2b3 is closed.');
    assert.equal(await answered, 'accepted');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(steps, ['command', 'accepted', 'answer: #1a2b3 is closed.']);
  });

  it('says a visitor is not in a conversation with the sender, and anyone else is not either, each in its own words (403)', async () => {
    const visitor = (await answerTo('v_3fa9c', noConversation)) as Answer;
    assert.equal(visitor.statusCode, 403);
    assert.equal(visitor.reasonPhrase, 'Not In A Conversation With This Visitor');
    assert.deepEqual(visitor.extraHeaders, ['Warning: 399 web.example.org "This visitor is not in a conversation with you."']);
    for (const user of ['xmpp%3Acarl%40example.org', 'a_alice']) {
      const other = (await answerTo(user, noConversation)) as Answer;
      assert.equal(other.statusCode, 403, user);
      assert.equal(other.reasonPhrase, 'Not In A Conversation With This User', user);
      assert.deepEqual(other.extraHeaders, ['Warning: 399 web.example.org "No conversation joins you and this user."'], user);
    }
  });

  it('answers 404 for a URI that is no one, 400 for unreadable CPIM or a text the bridge cannot take, 415 for another body', async () => {
    assert.deepEqual(await answerTo('nobody', noConversation), { statusCode: 404, reasonPhrase: 'No Such Visitor' });
    assert.deepEqual(await answerTo('v_1', noConversation, 'message/cpim', 'no blank line'), { statusCode: 400, reasonPhrase: 'Bad CPIM' });
    const refused = () => Promise.reject(Object.assign(new Error('the text has an unpaired surrogate'), { code: 'bad_request' }));
    assert.deepEqual(await answerTo('v_1', refused), {
      statusCode: 400,
      reasonPhrase: 'Bad Request',
      extraHeaders: ['Warning: 399 web.example.org "the text has an unpaired surrogate"'],
    });
    assert.equal(((await answerTo('v_1', noConversation, 'application/sdp')) as Answer).statusCode, 415);
  });

  it("stores one sender's MESSAGEs in the order they came, whatever each takes to read", async () => {
    const stored: string[] = [];
    const incoming = incomingWith((input) => {
      stored.push(input.text);
      input.onQueued?.();
      return Promise.resolve({ id: `m${stored.length}` } as Message);
    });
    // A multipart body takes longer to read than a text: the text that came after it waits its turn.
    const multipart = ['--b', 'Content-Type: text/plain', '', 'first', '--b--', ''].join('\r\n');
    const first = answerOf(incoming, {
      to: 'sip:v_1@web.example.org',
      from: 'sip:alice@example.org',
      contentType: 'multipart/mixed;boundary=b',
      body: multipart,
      cseq: 1,
    });
    const second = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'second', cseq: 2 });
    assert.deepEqual(await Promise.all([first, second]), ['accepted', 'accepted']);
    assert.deepEqual(stored, ['first', 'second']);
  });

  it('lets the MESSAGEs being stored get their answer when the network stops, and refuses those that come meanwhile (480, saying why)', async () => {
    /** The commits of the writes asked for, in order: each message is stored once its commit is called. */
    const commits: (() => void)[] = [];
    const incoming = incomingWith((input) => new Promise((resolve) => commits.push(() => resolve({ id: 'm1', text: input.text } as Message))));
    const storing = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'being stored' });
    await until(() => commits.length === 1, 5000, 'the write of the message');
    let settled = false;
    // Alice's next MESSAGE waits behind the one being stored: it is refused as the stop begins, not a turn later.
    const waiting = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'waiting its turn', cseq: 4 });
    const settling = incoming.settle(5_000).then(() => (settled = true));
    assert.equal(((await waiting) as Answer).statusCode, 480, 'refused while the first is still being stored');
    const late = await answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:bob@example.org', body: 'read while stopping', cseq: 2 });
    assert.deepEqual(late, {
      statusCode: 480,
      reasonPhrase: 'Bridge Stopping',
      extraHeaders: ['Retry-After: 5', 'Warning: 399 web.example.org "Not delivered: the bridge is stopping this connection; send it again in a moment."'],
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'the stop waits for the message being stored');
    commits[0]!();
    assert.equal(await storing, 'accepted', 'its 200 goes out before the connection closes');
    await settling;
    // Started again (the node got the network back): MESSAGEs are taken again.
    incoming.open();
    const again = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'after the start', cseq: 3 });
    await until(() => commits.length === 2, 5000, 'the write of the message after the start');
    commits[1]!();
    assert.equal(await again, 'accepted');
  });

  it("takes a MESSAGE's bytes as it comes, not when its turn comes: the transport keeps the last few bodies only", async () => {
    const takes: number[] = [];
    const commits: (() => void)[] = [];
    const incoming = incomingWith((input) => new Promise((resolve) => commits.push(() => resolve({ id: `m${commits.length}`, text: input.text } as Message))), {
      rawBodies: { take: (_callId, cseq) => (takes.push(cseq), undefined) },
    });
    const first = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'a picture', cseq: 1 });
    const second = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'another', cseq: 2 });
    await until(() => commits.length === 1, 5000, 'the first being stored');
    assert.deepEqual(takes, [1, 2], 'both bodies taken while the first is still being stored');
    commits[0]!();
    await until(() => commits.length === 2, 5000, 'the second being stored');
    commits[1]!();
    assert.deepEqual(await Promise.all([first, second]), ['accepted', 'accepted']);
  });

  it("takes an agent's next MESSAGE once their command ran, not once its answer reached them", async () => {
    const steps: string[] = [];
    const incoming = new IncomingMessages({
      sink: {
        command: () => Promise.resolve('#1a2b3 is closed.'),
        message: (input: { text: string }) => (steps.push(`stored: ${input.text}`), Promise.resolve({ id: 'm1' } as Message)),
      } as unknown as InboundSink,
      logger: pino({ level: 'silent' }),
      domain: new VisitorDomain('web.example.org', hosted),
      hosted,
      messenger: {} as SipMessenger,
      // The answer to the command never gets through (a phone gone silent takes 32 s to say so).
      texts: { send: () => (steps.push('answer sent'), new Promise<void>(() => undefined)) },
      imdn: {} as ImdnNotifications,
    });
    void answerOf(incoming, { to: 'sip:switchboard@web.example.org', from: 'sip:alice@example.org', body: '/close 1a2b3', cseq: 1 });
    const next = answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', body: 'the next message', cseq: 2 });
    assert.equal(await next, 'accepted');
    assert.deepEqual(steps, ['answer sent', 'stored: the next message']);
  });
});
