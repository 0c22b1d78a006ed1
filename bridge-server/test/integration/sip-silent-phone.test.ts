// An agent's SIP phone that went silent against a real Kamailio: still registered over UDP and
// published available (a laptop closed, a mobile off the network), it answers nothing, so
// Kamailio answers a MESSAGE to it only when its transaction times out (RFC 3261 timer F, 32 s).
// The context line of each new conversation goes to that phone: the team's next conversations and
// the visitors' openings must not wait for it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, agentAuth, call, connect, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { type UdpPhone, startAvailablePhone } from '../sip-udp-phone.js';

/** A bridge whose team `support` has `members` (alice's phone among them), on a Kamailio where alice's UDP phone is registered and available. */
async function startDesk(members: (alice: string) => unknown[], team: Record<string, unknown> = {}) {
  const kamailio: KamailioServer = await startKamailio({
    users: { alice: 'alicepw', switchboard: 'bridgepw' },
    routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
  });
  const { phone, uri: ALICE } = await startAvailablePhone(kamailio, { user: 'alice', password: 'alicepw' });
  const t = await startBridge({
    teams: [{ id: 'support', members: members(ALICE), sites: [SITE], capacity: 10, ...team }],
    networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
  });
  await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 10_000, 'the bridge to register');
  return {
    t,
    phone,
    ALICE,
    async stop() {
      // Stopped by the test already, unless it did not run.
      await phone.stop().catch(() => undefined);
      await t.stop();
      await kamailio.destroy();
    },
  };
}
type SilentPhoneDesk = Awaited<ReturnType<typeof startDesk>>;

describe("an agent's SIP phone gone silent, against a real Kamailio", () => {
  let desk: SilentPhoneDesk;
  let t: TestBridge;
  let phone: UdpPhone;
  let ALICE: string;
  before(async () => {
    ({ t, phone, ALICE } = desk = await startDesk((alice) => [alice]));
  });
  after(() => desk?.stop());

  it("opens the team's new conversations one after the other, each answered within the ack's time, while the phone answers nothing", async () => {
    // Registered and available, and no longer listening: what reaches it goes unanswered.
    await phone.stop();
    for (const name of ['Ann', 'Ben', 'Cid']) {
      // openVisitor's conversation:open gives up after 5 s: a 32 s wait for the context line, or for the conversations before, fails it.
      const v = await openVisitor(t, { profile: { name }, assignee: ALICE });
      assert.equal(v.conversation.assignee, ALICE);
      v.socket.disconnect();
    }
  });

  it('acks what a visitor writes to the silent agent once stored, not once the phone answers', async () => {
    const v = await openVisitor(t, { profile: { name: 'Dee' }, assignee: ALICE });
    // sendText's message:send gives up after 5 s too.
    const message = await sendText(v, 'hello?');
    assert.equal(message.text, 'hello?');
    v.socket.disconnect();
  });
});

describe('the queue drained to an agent whose SIP phone went silent, against a real Kamailio', () => {
  let desk: SilentPhoneDesk;
  let t: TestBridge;
  let phone: UdpPhone;
  let ALICE: string;
  before(async () => {
    // alice takes one conversation at a time; bob, on the web, signs in later.
    ({ t, phone, ALICE } = desk = await startDesk((alice) => [{ id: 'alice', addresses: [alice], capacity: 1 }, 'web:a_bob']));
  });
  after(() => desk?.stop());

  it('gives the next visitor to another agent at once while the queued conversation handed to the silent phone waits for it', async () => {
    const first = await openVisitor(t, { profile: { name: 'Ann' }, assignee: ALICE });
    await phone.stop();
    // alice is full and bob not signed in: the next one waits in the queue.
    const queued = await openVisitor(t, { profile: { name: 'Ben' } });
    assert.equal(queued.conversation.assignee, undefined);
    // alice has room again: the queue is drained to her, and her context line goes to the silent phone.
    assert.ok((await call(first.socket, 'conversation:close', { conversationId: first.conversationId })).ok);
    await until(async () => (await t.bridge.store.getConversation(queued.conversationId))?.assignee === ALICE, 5000, 'the queued one handed to alice');
    const bob = await connect(t, agentAuth('bob'));
    // openVisitor's conversation:open gives up after 5 s: the team waiting on alice's phone fails it.
    const next = await openVisitor(t, { profile: { name: 'Cid' }, assignee: 'web:a_bob' });
    assert.equal(next.conversation.assignee, 'web:a_bob');
    for (const socket of [first.socket, queued.socket, next.socket, bob.socket]) socket.disconnect();
  });
});

describe('an offer that ran out moving to an agent whose SIP phone went silent, against a real Kamailio', () => {
  let desk: SilentPhoneDesk;
  let t: TestBridge;
  let phone: UdpPhone;
  let ALICE: string;
  before(async () => {
    // bob, on the web, is offered the first conversation; when he lets it run out, it moves to alice.
    ({ t, phone, ALICE } = desk = await startDesk((alice) => ['web:a_bob', alice], { offerTimeoutSeconds: 0.5 }));
  });
  after(() => desk?.stop());

  it("opens the team's next conversation at once while the moved one's context line waits for the silent phone", async () => {
    const bob = await connect(t, agentAuth('bob'));
    await phone.stop();
    const first = await openVisitor(t, { profile: { name: 'Ann' }, assignee: 'web:a_bob' });
    // bob says nothing: the offer runs out and the conversation moves to alice, whose context line goes to the silent phone.
    await until(async () => (await t.bridge.store.getConversation(first.conversationId))?.assignee === ALICE, 5000, 'the offer moved to alice');
    // openVisitor's conversation:open gives up after 5 s: the team waiting on alice's phone fails it.
    const next = await openVisitor(t, { profile: { name: 'Ben' } });
    assert.ok(next.conversation.assignee !== undefined, JSON.stringify(next.conversation));
    for (const socket of [first.socket, next.socket, bob.socket]) socket.disconnect();
  });
});
