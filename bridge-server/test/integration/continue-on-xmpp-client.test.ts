// "Continue on my IM" with the bridge in XMPP client mode (docs/customers.md), against a real
// Prosody: the bot's own JID is the team's address there, so the code, the agent's replies and the
// stop line come from the bot, and what the visitor writes to the bot lands in their conversation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBridge, agentAuth, call, connect, next, openVisitor, until } from '../helpers.js';
import { continuationBridge } from '../continuation-desk.js';
import { prosodyClientNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, chatWithOriginId, connectAgent, isChatFrom } from '../xmpp-agent.js';

const BOT = 'deskbot@localhost';
const CODE_TEXT = /^(\d{6}) is your code to continue your chat with Acme Shop here\./;

describe("continuing a website conversation on XMPP through the bot's JID (client mode) against a real Prosody", () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let dana: Agent;
  before(async () => {
    prosody = await startProsody({
      users: [
        ['deskbot', 'deskbotpw'],
        ['dana', 'danapw'],
      ],
    });
    const bot = prosodyClientNetwork(prosody, { username: 'deskbot', password: 'deskbotpw' }, { customers: { team: 'support' } });
    t = await continuationBridge({ networks: ['xmpp'] }, [bot]);
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
    dana = await connectAgent(prosody.c2sPort, 'dana', 'danapw');
  });
  after(async () => {
    await dana?.stop();
    await t?.stop();
    await prosody?.destroy();
  });

  it("proves the address with the code from the bot, then the bot carries the agent's replies and the visitor's answers", async () => {
    const alice = (await connect(t, agentAuth('alice'))).socket;
    const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
    const fromBot = isChatFrom(BOT);
    const codeMessage = dana.next((s) => fromBot(s) && CODE_TEXT.test(s.getChildText('body') ?? ''));
    const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: 'xmpp:dana@localhost' });
    assert.ok(started.ok, JSON.stringify(started));
    const code = CODE_TEXT.exec((await codeMessage).getChildText('body')!)![1]!;
    const verified = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
    assert.equal(verified.ok && verified.continuation.state, 'active');

    const reply = dana.next((s) => fromBot(s) && s.getChildText('body') === 'Your parcel left today');
    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'c-1', text: 'Your parcel left today' });
    await reply;

    const atVisitor = next(visitor.socket, 'message', (m) => m.text === 'Thanks, from my phone');
    await dana.send(chatWithOriginId(BOT, 'Thanks, from my phone', 'dana-c1'));
    const fromPhone = await atVisitor;
    assert.deepEqual([fromPhone.from, fromPhone.sentFrom, fromPhone.conversationId], [visitor.self, 'xmpp:dana@localhost', visitor.conversationId]);

    const stopLine = dana.next((s) => fromBot(s) && /^Stopped: your chat with Acme Shop/.test(s.getChildText('body') ?? ''));
    await dana.send(chatWithOriginId(BOT, '/stop', 'dana-c2'));
    await stopLine;
    // Answered once handled: `/stop` is not a message of the conversation.
    const { messages } = await call(alice, 'history:get', { conversationId: visitor.conversationId });
    assert.deepEqual(
      messages.filter((m) => m.sentFrom !== undefined).map((m) => m.text),
      ['Thanks, from my phone'],
    );
  });
});
