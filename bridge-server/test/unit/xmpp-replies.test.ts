// Replies in XMPP (XEP-0461): the message answered, and the body without the quote a client adds
// as a fallback (XEP-0428, ranges in code points: XEP-0426).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/component';
import { BotChat } from '../../src/networks/xmpp/bot-chat.js';
import { replyOf } from '../../src/networks/xmpp/stanzas.js';

const reply = (body: string, ...fallbacks: [string, string | undefined, string | undefined][]) =>
  xml(
    'message',
    { type: 'chat' },
    xml('body', {}, body),
    xml('reply', { xmlns: 'urn:xmpp:reply:0', id: 'm_1' }),
    ...fallbacks.map(([kind, start, end]) =>
      xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: kind }, xml('body', { ...(start ? { start } : {}), ...(end ? { end } : {}) })),
    ),
  );

describe('XMPP replies', () => {
  it('leaves out the quote the fallback marks, counted in code points (an emoji is one)', () => {
    const quote = '> [Dana #3fa9c] 🏠 5 Elm St.\n';
    assert.deepEqual(replyOf(reply(`${quote}Thanks!`, ['urn:xmpp:reply:0', '0', String([...quote].length)])), { to: 'm_1', body: 'Thanks!' });
  });

  it("keeps the body whole without a fallback for replies, or with a range that is not the body's", () => {
    const body = '> quoted\nThanks!';
    assert.equal(replyOf(reply(body))?.body, body);
    assert.equal(replyOf(reply(body, ['urn:xmpp:message-correct:0', '0', '9']))?.body, body);
    assert.equal(replyOf(reply(body, ['urn:xmpp:reply:0', '0', '99']))?.body, body);
    assert.equal(replyOf(reply(body, ['urn:xmpp:reply:0', '5', '2']))?.body, body);
    assert.equal(replyOf(reply(body, ['urn:xmpp:reply:0', 'x', '2']))?.body, body);
  });

  it('is no reply without a reply element naming a message', () => {
    assert.equal(replyOf(xml('message', {}, xml('body', {}, 'hi'))), undefined);
    assert.equal(replyOf(xml('message', {}, xml('body', {}, 'hi'), xml('reply', { xmlns: 'urn:xmpp:reply:0' }))), undefined);
  });

  it("finds the conversation of a message the bot sent an agent, by its stanza id or a later part's", () => {
    const chat = new BotChat();
    chat.sent('xmpp:alice@localhost', 'm_1', 'c_1');
    chat.sent('xmpp:alice@localhost', 'm_2', 'c_2');
    assert.equal(chat.conversationOf('xmpp:alice@localhost', 'm_1'), 'c_1');
    assert.equal(chat.conversationOf('xmpp:alice@localhost', 'm_2-3'), 'c_2');
    assert.equal(chat.conversationOf('xmpp:alice@localhost', 'm_9'), undefined);
    assert.equal(chat.conversationOf('xmpp:bob@localhost', 'm_1'), undefined, "another agent's chat");
  });
});
