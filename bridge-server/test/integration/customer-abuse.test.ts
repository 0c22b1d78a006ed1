// The abuse controls on customers' first contacts through the core's real sink (a test network,
// no protocol server): rates per sender, a team's denied domains, a web agent's /block (told once,
// then quiet) and /unblock, and the counters in /metrics by network and outcome.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { BLOCKED_NOTICE } from '../../src/core/abuse/customer-controls.js';
import { isQuietRefusal } from '../../src/networks/network.js';
import { SITE, type TestBridge, agentAuth, call, connect, startBridge } from '../helpers.js';
import { type LoopNetwork, loopDefinition } from '../loop-network.js';

/** What the sink did with a message: stored (its conversation), refused (null), or the error it threw. */
async function outcomeOf(
  run: () => Promise<{ conversationId: string } | null>,
): Promise<{ conversationId: string } | null | { code: string; message: string; quiet: boolean }> {
  try {
    return await run();
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message, quiet: isQuietRefusal(error) };
  }
}

describe("abuse controls on customers' first contacts through the inbound sink", () => {
  let t: TestBridge;
  let loop: LoopNetwork;
  before(async () => {
    const { definition, network } = loopDefinition();
    t = await startBridge(
      {
        teams: [{ id: 'support', members: ['web:a_alice'], sites: [SITE], capacity: 100, customers: { denyDomains: ['evil.example'] } }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }],
        limits: { ratePerSecond: 1000, burst: 1000, customers: { conversationsPerHour: 1, messagesPerMinute: 3 } },
      },
      { networkDefinitions: { loop: definition } },
    );
    loop = network();
  });
  after(async () => {
    await t?.stop();
  });

  const write = (from: Address, text: string) =>
    outcomeOf(() => loop.sink.message({ network: 'loop', from, to: 'team:support', team: { id: 'support' }, text }));

  it("refuses a sender's messages past the rate, and a new conversation past its own", async () => {
    const dan = 'loop:dan@ok.example';
    for (let i = 0; i < 3; i++) assert.ok(await write(dan, `message ${i}`));
    assert.deepEqual(await write(dan, 'one too many'), { code: 'rate_limited', message: 'Too many messages: at most 3 a minute; wait a little', quiet: false });

    const fay = 'loop:fay@ok.example';
    const first = await write(fay, 'hello');
    assert.ok(first && 'conversationId' in first);
    const alice = await connect(t, agentAuth('alice'));
    await call(alice.socket, 'conversation:close', { conversationId: first.conversationId });
    assert.deepEqual(await write(fay, 'hello again'), {
      code: 'rate_limited',
      message: 'Too many new conversations: at most 1 an hour; try again later',
      quiet: false,
    });
    alice.socket.disconnect();
  });

  it('refuses customers of a domain the team denies', async () => {
    assert.deepEqual(await write('loop:mallory@evil.example', 'hi'), {
      code: 'forbidden',
      message: 'This team takes no messages from evil.example',
      quiet: false,
    });
  });

  it("drops a blocked customer's messages, telling them once, until an agent unblocks them", async () => {
    const gus = 'loop:gus@ok.example';
    const opened = await write(gus, 'hi');
    assert.ok(opened && 'conversationId' in opened);
    const alice = await connect(t, agentAuth('alice'));
    const ref = opened.conversationId.slice(-5);
    const blocked = await call(alice.socket, 'agent:command', { text: `/block ${ref}` });
    assert.match(blocked.answer, new RegExp(`^Blocked ${gus} on ${SITE}:`));
    assert.deepEqual(await write(gus, 'still there?'), { code: 'forbidden', message: BLOCKED_NOTICE, quiet: false });
    assert.deepEqual(await write(gus, 'hello??'), { code: 'forbidden', message: BLOCKED_NOTICE, quiet: true });
    assert.match((await call(alice.socket, 'agent:command', { text: '/blocked' })).answer, new RegExp(`${gus} on ${SITE}, by web:a_alice since`));
    assert.equal((await call(alice.socket, 'agent:command', { text: `/unblock ${gus}` })).answer, `Unblocked ${gus} on ${SITE}.`);
    const back = await write(gus, 'sorry');
    assert.equal(back && 'conversationId' in back ? back.conversationId : null, opened.conversationId, 'back in the conversation left open');
    alice.socket.disconnect();
  });

  it('counts first contacts in /metrics by network and outcome', async () => {
    assert.equal(await loop.sink.message({ network: 'loop', from: 'loop:hal@ok.example', to: 'team:billing', team: { id: 'billing' }, text: 'hi' }), null);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const count = (outcome: string) =>
      Number(new RegExp(`switchboard_first_contacts_total\\{network="loop",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1]);
    assert.deepEqual(Object.fromEntries(['opened', 'continued', 'rate_limited', 'denied_domain', 'blocked', 'refused_no_team'].map((o) => [o, count(o)])), {
      opened: 3,
      continued: 3,
      rate_limited: 2,
      denied_domain: 1,
      blocked: 2,
      refused_no_team: 1,
    });
  });

  it("drops what a blocked address writes where a visitor's conversation continues, as any customer's", async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const { conversation } = await call(visitor.socket, 'conversation:open', { team: 'support' });
    const ivan = 'loop:ivan@ok.example';
    const now = new Date().toISOString();
    await t.bridge.store.saveContinuation({
      conversationId: conversation.id,
      siteKey: SITE,
      visitor: visitor.session.self,
      address: ivan,
      state: 'active',
      proof: 'code',
      provenAt: now,
      updatedAt: now,
    });
    const continued = await write(ivan, 'from my IM');
    assert.equal(continued && 'conversationId' in continued ? continued.conversationId : null, conversation.id, "into the visitor's conversation");
    const alice = await connect(t, agentAuth('alice'));
    assert.match((await call(alice.socket, 'agent:command', { text: `/block ${ivan}` })).answer, new RegExp(`^Blocked ${ivan} on ${SITE}:`));
    assert.deepEqual(await write(ivan, 'let me in'), { code: 'forbidden', message: BLOCKED_NOTICE, quiet: false });
    const { messages } = await call(visitor.socket, 'history:get', { conversationId: conversation.id });
    assert.deepEqual(
      messages.map((m: { text: string }) => m.text),
      ['from my IM'],
    );
    alice.socket.disconnect();
    visitor.socket.disconnect();
  });
});
