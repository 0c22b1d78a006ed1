// "Continue on my IM" on SIP (docs/customers.md), against a real Kamailio: a website visitor (the
// SDK-level socket) proves a SIP address with the code the test's own SIP.js user agent receives
// from the team's URI, then the conversation reaches that user agent and takes what it writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import type { Message as SipMessage } from 'sip.js';
import { type TestBridge, type V1Socket, agentAuth, call, collect, connect, next, openVisitor, sendText, until } from '../helpers.js';
import { continuationBridge, quietFor } from '../continuation-desk.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { type SipAgent, connectSipAgent } from '../sip-agent.js';

const TEAM = `sip:support@${VISITOR_DOMAIN}`;
const CODE_TEXT =
  /^(\d{6}) is your code to continue your chat with Acme Shop here\. If you did not ask for it, ignore this message: without the code, the chat does not come here\.$/;
const ACTIVE_TEXT = 'Your chat with Acme Shop continues here: replies come here too. Send /stop to stop.';

const fromTeam = (m: SipMessage) => m.request.from.uri.toString() === TEAM;
/** The bodies a user agent received from the team's URI, in order. */
const bodiesFrom = (agent: SipAgent) => agent.inbox.filter(fromTeam).map((m) => m.request.body);

describe('continuing a website conversation on SIP against a real Kamailio', () => {
  let kamailio: KamailioServer;
  let t: TestBridge;
  let alice: V1Socket;
  const agents: SipAgent[] = [];
  before(async () => {
    kamailio = await startKamailio({
      users: { dana: 'danapw', eve: 'evepw', switchboard: 'bridgepw' },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    t = await continuationBridge({ networks: ['sip'], maxAttempts: 2 }, [kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })]);
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 15_000, 'SIP online');
    alice = (await connect(t, agentAuth('alice'))).socket;
  });
  after(async () => {
    for (const agent of agents) await agent.stop();
    await t?.stop();
    await kamailio?.destroy();
  });

  const userAgent = async (user: string) => {
    const agent = await connectSipAgent(kamailio.wsUrl, kamailio.domain, user, `${user}pw`);
    agents.push(agent);
    return agent;
  };

  it("proves the address with the code from the team URI; replies reach both; the SIP messages are the visitor's; /stop stops", async () => {
    const dana = await userAgent('dana');
    const DANA = `sip:dana@${kamailio.domain}`;
    const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
    const atVisitor = collect(visitor.socket, 'message');
    await sendText(visitor, 'Can I change my address?');

    const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: DANA });
    assert.ok(started.ok, JSON.stringify(started));
    assert.deepEqual([started.continuation.state, started.continuation.attemptsLeft], ['pending', 2]);
    const proof = await dana.next(fromTeam, 15_000);
    const code = CODE_TEXT.exec(proof.request.body)?.[1];
    assert.ok(code, `the proof message: ${proof.request.body}`);

    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 's-0', text: 'Pending: web only' });
    await until(() => atVisitor.some((m) => m.text === 'Pending: web only'));
    const wrong = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code: code === '000000' ? '000001' : '000000' });
    assert.deepEqual(wrong.error, { code: 'forbidden', message: 'code: wrong code; 1 attempt left' });
    const verified = await call(visitor.socket, 'continuation:verify', { conversationId: visitor.conversationId, code });
    assert.equal(verified.continuation.state, 'active');
    await dana.next((m) => fromTeam(m) && m.request.body === ACTIVE_TEXT, 15_000);

    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 's-1', text: 'Yes, tell me the new one' });
    await until(() => atVisitor.some((m) => m.text === 'Yes, tell me the new one'));
    await dana.next((m) => fromTeam(m) && m.request.body === 'Yes, tell me the new one', 15_000);

    const fromPhone = next(visitor.socket, 'message', (m) => m.text === '12 Rue de la Paix');
    assert.equal(await dana.send(TEAM, '12 Rue de la Paix'), 200);
    const stored = await fromPhone;
    assert.deepEqual([stored.from, stored.sentFrom], [visitor.self, DANA]);
    const { messages } = await call(visitor.socket, 'history:get', { conversationId: visitor.conversationId });
    assert.deepEqual(
      messages.slice(-4).map((m: Message) => m.text),
      ['Can I change my address?', 'Pending: web only', 'Yes, tell me the new one', '12 Rue de la Paix'],
    );

    const stopped = next(visitor.socket, 'continuation', (c) => c.state === 'stopped');
    assert.equal(await dana.send(TEAM, '/stop'), 200, 'taken');
    assert.equal((await stopped).reason, 'remote');
    await dana.next((m) => fromTeam(m) && /^Stopped: your chat with Acme Shop/.test(m.request.body), 15_000);
    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 's-2', text: 'After the stop' });
    await until(() => atVisitor.some((m) => m.text === 'After the stop'));
    await quietFor(500);
    assert.deepEqual(
      bodiesFrom(dana).slice(1),
      [ACTIVE_TEXT, 'Yes, tell me the new one', 'Stopped: your chat with Acme Shop continues on the web page only; nothing more will be sent here.'],
      'nothing but these reached the address',
    );
    assert.ok(!bodiesFrom(dana).includes('Pending: web only') && !bodiesFrom(dana).includes('After the stop'));
  });

  it('sends nothing but the code to an address never proven, and a stop from the widget ends it', async () => {
    const eve = await userAgent('eve');
    const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
    const started = await call(visitor.socket, 'continuation:start', { conversationId: visitor.conversationId, address: `sip:eve@${kamailio.domain}` });
    assert.ok(started.ok, JSON.stringify(started));
    await eve.next(fromTeam, 15_000);
    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'e-1', text: 'Not for eve' });
    const stopped = await call(visitor.socket, 'continuation:stop', { conversationId: visitor.conversationId });
    assert.deepEqual([stopped.continuation.state, stopped.continuation.reason], ['stopped', 'visitor']);
    await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'e-2', text: 'Still not for eve' });
    await quietFor(500);
    assert.equal(bodiesFrom(eve).length, 1);
    assert.match(bodiesFrom(eve)[0]!, CODE_TEXT);
  });
});
