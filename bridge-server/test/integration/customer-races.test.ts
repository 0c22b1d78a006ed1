// A customer's conversation with a team is one, however their first messages and an agent's
// outreach interleave: through the core's real sink (a test network, no protocol server) and the
// agents' socket API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, baseConfig, call, connect, startBridge } from '../helpers.js';
import { type LoopNetwork, loopDefinition } from '../loop-network.js';

describe("a customer's first contacts racing each other and outreach", () => {
  let t: TestBridge;
  let loop: LoopNetwork;
  before(async () => {
    const { definition, network } = loopDefinition();
    const [site, other] = baseConfig('').sites as Record<string, unknown>[];
    t = await startBridge(
      {
        sites: [{ ...site, outreach: { networks: ['loop'], domains: ['ok.example'], rate: { perMinute: 60, burst: 60 } } }, other],
        networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }],
      },
      { networkDefinitions: { loop: definition } },
    );
    loop = network();
  });
  after(async () => {
    await t?.stop();
  });

  const write = async (from: Address, text: string) => {
    const stored = await loop.sink.message({ network: 'loop', from, to: 'team:support', team: { id: 'support' }, text });
    assert.ok(stored, `${text} stored`);
    return stored.conversationId;
  };

  it('puts two first messages written at the same time in one conversation', async () => {
    const customer = 'loop:ann@ok.example';
    const ids = await Promise.all([write(customer, 'hello'), write(customer, 'anyone there?'), write(customer, 'hello?')]);
    assert.equal(new Set(ids).size, 1, `one conversation, not ${ids.join(', ')}`);
  });

  it("puts an agent's outreach and the customer's first message written at the same time in one conversation", async () => {
    const customer = 'loop:bea@ok.example';
    const alice = { address: `web:a_alice@${SITE}`, role: 'agent', siteKey: SITE } as const;
    const [reached, written] = await Promise.all([
      t.bridge.core.outreach.open(alice, { to: customer, team: 'support', text: 'We have news for you' }),
      write(customer, 'Hello, I have a question'),
    ]);
    assert.equal(reached.conversation.id, written);
    const { socket } = await connect(t, agentAuth('alice'));
    const open = await call(socket, 'conversation:list', { state: 'open' });
    assert.equal(open.conversations.filter((c) => c.participants.includes(customer)).length, 1);
    socket.disconnect();
  });
});
