// An agent's SIP phone that went silent against a real Kamailio: still registered over UDP and
// published available (a laptop closed, a mobile off the network), it answers nothing, so
// Kamailio answers a MESSAGE to it only when its transaction times out (RFC 3261 timer F, 32 s).
// The context line of each new conversation goes to that phone: the team's next conversations and
// the visitors' openings must not wait for it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { type UdpPhone, startAvailablePhone } from '../sip-udp-phone.js';

describe("an agent's SIP phone gone silent, against a real Kamailio", () => {
  let kamailio: KamailioServer;
  let t: TestBridge;
  let phone: UdpPhone;
  let ALICE: string;

  before(async () => {
    kamailio = await startKamailio({ users: { alice: 'alicepw', switchboard: 'bridgepw' }, routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' } });
    ({ phone, uri: ALICE } = await startAvailablePhone(kamailio, { user: 'alice', password: 'alicepw' }));
    t = await startBridge({
      teams: [{ id: 'support', members: [ALICE], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 10_000, 'the bridge to register');
  });
  after(async () => {
    await t?.stop();
    await kamailio?.destroy();
  });

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
