// Soak tier (`npm run soak`, not part of `npm test`): a stream of MESSAGEs cut in its middle by a
// Kamailio restart. A MESSAGE the proxy forwarded but whose 200 it never relayed back is only known
// to have failed when the transaction times out (Timer F, 32 s), so this takes about a minute.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, call, connect, next, streamFigures, until } from '../helpers.js';
import { type SipDesk, VISITOR_DOMAIN, startSipDesk } from '../sip-desk.js';
import { pidf } from '../sip-agent.js';

describe('soak: SIP stream through a Kamailio restart', () => {
  let desk: SipDesk;
  before(async () => {
    desk = await startSipDesk({ connectTimeoutSeconds: 5 });
  });
  after(() => desk?.stop());

  it('delivers a stream cut in its middle by a Kamailio restart: every message once, in order', async (context) => {
    const { t, kamailio, alice, ALICE } = desk;
    const { socket, session } = await connect(t, { siteKey: SITE });
    const availability = await call(socket, 'presence:subscribe', { team: 'support' });
    if (!availability.available) await next(socket, 'team:availability', (a) => a.available, 10_000);
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    const uri = `sip:${session.self.slice(4)}@${VISITOR_DOMAIN}`;
    const COUNT = 30;
    const texts = Array.from({ length: COUNT }, (_, i) => `stream ${i}`);
    let stopping: Promise<void> | undefined;
    for (const [i, text] of texts.entries()) {
      const ack = await call(socket, 'message:send', { conversationId, clientId: `stream-${i}`, text });
      assert.ok(ack.ok, JSON.stringify(ack));
      if (i === 9) stopping = kamailio.stop(); // the stream goes on while the server goes down
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await stopping;
    await kamailio.start();
    await alice.ua.reconnect();
    await alice.register();
    await alice.publish(pidf(ALICE, 'open'));
    const arrived = () => alice.inbox.filter((m) => m.request.from.uri.toString() === uri && m.request.body.startsWith('stream ')).map((m) => m.request.body);
    await until(() => texts.every((text) => arrived().includes(text)), 60_000, 'every message of the stream').catch(() => undefined);
    const got = arrived();
    const { arrived: distinct, lost, doubled } = streamFigures(texts, got);
    context.diagnostic(`sip stream through a Kamailio restart: sent ${COUNT}, arrived ${distinct}, lost ${lost}, doubled ${doubled}`);
    assert.equal(lost, 0);
    assert.deepEqual([...new Set(got)], texts, 'in order');
    assert.equal(doubled, 0, `doubled: ${got.filter((text, i) => got.indexOf(text) !== i).join(', ')}`);
    const reply = next(socket, 'message', (m) => m.from === ALICE);
    assert.equal(await alice.send(uri, 'back again'), 200);
    assert.equal((await reply).text, 'back again');
  });
});
