/**
 * An agent's lines to an email customer as one mail (docs/networks/email.md, "One mail for a burst
 * of lines"), against a real Postfix and Dovecot: lines written within `burstSeconds` of the first
 * go as one mail, its paragraphs in order, each line reported sent; a line written after it is
 * mailed goes in the next mail; the greeting the desk writes itself goes at once; a bounce of a
 * burst mail fails every line it carried.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, call, collect, connect, next, startBridge, until } from '../helpers.js';
import { mailsOf, send } from '../mail-client.js';
import { type MailServer, startMail } from '../servers/mail.js';
import { emailNetwork } from '../servers/networks.js';

const SUPPORT = 'support@example.test';
const GREETING = 'Thanks for writing to us: an agent answers shortly.';
const LINES = ['Hi Dana, thanks for waiting.', 'Let me look up order 4711.', 'It left our warehouse yesterday: tracking 1Z999.'];

describe('an agent writing line by line to an email customer, against a real Postfix and Dovecot', () => {
  let mail: MailServer;
  let t: TestBridge;

  before(async () => {
    mail = await startMail({ users: { [SUPPORT]: 'supportpw', 'dana@example.test': 'danapw' } });
    t = await startBridge({
      teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100, greeting: GREETING }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, emailNetwork(mail, { burstSeconds: 1 })],
    });
    await until(() => t.bridge.registry.get('mailto')?.status().state === 'online', 15_000, 'the email network online');
  });
  after(async () => {
    await t?.stop();
    await mail?.destroy();
  });

  it('mails the lines written within burstSeconds of the first as one mail, each reported sent, and a later line in the next', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const opened = next(alice.socket, 'conversation', (c) => c.participants.includes('mailto:dana@example.test'));
    await send(mail, { from: 'Dana Scully <dana@example.test>', to: SUPPORT, subject: 'Where is my order?', text: 'Order 4711 has not arrived.' });
    const conversation: Conversation = await opened;
    const [greeting] = await mailsOf(mail, 'dana@example.test', 1);
    assert.equal(greeting!.text?.trim(), GREETING, 'the greeting goes at once, alone');

    const statuses = collect(alice.socket, 'message:status');
    const ids: string[] = [];
    for (const [index, text] of LINES.entries()) {
      ids.push((await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: `line-${index}`, text })).message.id);
    }
    const [, burst] = await mailsOf(mail, 'dana@example.test', 2);
    assert.equal(burst!.text?.trim(), LINES.join('\n\n'));
    assert.equal(burst!.from?.value[0]?.name, 'alice');
    assert.equal(burst!.subject, 'Re: Where is my order?');
    await until(() => ids.every((id) => statuses.some((s) => s.id === id && s.status === 'sent')), 10_000, 'every line sent');

    await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'later', text: 'Anything else I can do?' });
    const mails = await mailsOf(mail, 'dana@example.test', 3);
    assert.equal(mails[2]!.text?.trim(), 'Anything else I can do?');
    assert.equal(mails.length, 3, 'a greeting, the burst, the later line');
    alice.socket.disconnect();
  });

  it('fails every line of a burst mail that bounced, not only its first', async () => {
    const GHOST = 'mailto:ghost@example.test'; // an address the mail server does not have
    const alice = await connect(t, agentAuth('alice'));
    const opened = next(alice.socket, 'conversation', (c) => c.participants.includes(GHOST));
    await send(mail, { from: 'ghost@example.test', to: SUPPORT, subject: 'Hello', text: 'Are you there?' });
    const conversation: Conversation = await opened;
    const statuses = collect(alice.socket, 'message:status');
    const ids: string[] = [];
    for (const [index, text] of ['We are.', 'How can we help?'].entries()) {
      ids.push((await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: `ghost-${index}`, text })).message.id);
    }
    await until(() => ids.every((id) => statuses.some((s) => s.id === id && s.status === 'failed')), 30_000, 'both lines failed by the bounce');
    for (const id of ids) assert.match(statuses.find((s) => s.id === id && s.status === 'failed')!.error!.message, /ghost@example\.test/);
    alice.socket.disconnect();
  });
});
