// How the SIP network answers a MESSAGE it does not deliver (docs/networks/sip.md, "Incoming
// MESSAGEs are answered"), without a proxy: the answer a stand-in request gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { InboundSink } from '../../src/networks/network.js';
import { VisitorDomain } from '../../src/networks/sip/addresses.js';
import type { ImdnNotifications } from '../../src/networks/sip/imdn.js';
import { IncomingMessages } from '../../src/networks/sip/incoming.js';
import type { SipMessenger } from '../../src/networks/sip/outgoing.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { type SipAnswer as Answer, answerOf } from '../sip-stand-in.js';
import type { SipTexts } from '../../src/networks/sip/text-messages.js';

/** The answer to a MESSAGE to `user` under the visitor domain, with the core's `message` given. */
function answerTo(user: string, store: InboundSink['message'], contentType = 'text/plain;charset=UTF-8', body = 'hi'): Promise<Answer | 'accepted'> {
  const sink = { message: store } as InboundSink;
  const incoming = new IncomingMessages({
    sink,
    logger: pino({ level: 'silent' }),
    domain: new VisitorDomain('web.example.org', hosted),
    hosted,
    messenger: {} as SipMessenger,
    texts: {} as SipTexts,
    imdn: {} as ImdnNotifications,
  });
  return answerOf(incoming, { to: `sip:${user}@web.example.org`, from: 'sip:mallory@example.org', contentType, body });
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
});
