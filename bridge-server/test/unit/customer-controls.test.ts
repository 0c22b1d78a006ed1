// Abuse controls on customers writing to a team's address from their own networks: an agent's
// block (told once), the team's allow and deny lists of domains, and per-sender rates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { type TeamConfig, configSchema } from '../../src/config.js';
import { BLOCKED_NOTICE, CustomerControls } from '../../src/core/abuse/customer-controls.js';
import { CustomerRefusal } from '../../src/core/abuse/outcomes.js';
import { isQuietRefusal } from '../../src/networks/network.js';
import type { BlockRecord } from '../../src/store/store.js';

const team = (customers?: Record<string, unknown>): TeamConfig =>
  configSchema.parse({ sites: [{ key: 'shop' }], store: { type: 'sqlite', path: ':memory:' }, teams: [{ id: 'support', ...(customers ? { customers } : {}) }] })
    .teams[0]!;

/** Controls over blocks held in memory, on a clock the test moves. */
function controls(limits = { conversationsPerHour: 2, messagesPerMinute: 3 }) {
  const blocked = new Map<string, boolean>();
  let now = 0;
  const store = {
    blockOf: (siteKey: string, address: Address): Promise<BlockRecord | null> =>
      Promise.resolve(
        blocked.has(`${siteKey} ${address}`) ? { siteKey, address, by: 'xmpp:erin@example.org', at: '', told: blocked.get(`${siteKey} ${address}`)! } : null,
      ),
    markBlockTold: (siteKey: string, address: Address) => {
      const told = blocked.get(`${siteKey} ${address}`);
      if (told !== false) return Promise.resolve(false);
      blocked.set(`${siteKey} ${address}`, true);
      return Promise.resolve(true);
    },
  };
  const gate = new CustomerControls({ store, limits, now: () => now });
  return { gate, block: (siteKey: string, address: string) => blocked.set(`${siteKey} ${address}`, false), advance: (ms: number) => (now += ms) };
}

/** The refusal `run` throws, or undefined when it lets the message through. */
async function refusal(run: () => unknown): Promise<CustomerRefusal | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (error instanceof CustomerRefusal) return error;
    throw error;
  }
}

describe("abuse controls on customers' messages to a team", () => {
  it('refuses a blocked customer once saying so, then quietly, on the site of the block only', async () => {
    const { gate, block } = controls();
    block('shop', 'xmpp:mallory@evil.example');
    const first = await refusal(() => gate.admit('xmpp:mallory@evil.example', team(), 'shop'));
    assert.equal(first?.code, 'forbidden');
    assert.equal(first?.outcome, 'blocked');
    assert.equal(first?.message, BLOCKED_NOTICE);
    assert.equal(isQuietRefusal(first), false);
    const second = await refusal(() => gate.admit('xmpp:mallory@evil.example', team(), 'shop'));
    assert.equal(second?.outcome, 'blocked');
    assert.equal(isQuietRefusal(second), true);
    assert.equal(await refusal(() => gate.admit('xmpp:mallory@evil.example', team(), 'blog')), undefined);
    assert.equal(await gate.isBlocked('xmpp:mallory@evil.example', 'shop'), true);
  });

  it('takes only the domains a team allows, never those it denies (deny wins), *.domain for subdomains', async () => {
    const { gate } = controls({ conversationsPerHour: 100, messagesPerMinute: 100 });
    const lists = team({ allowDomains: ['example.org', '*.partner.test'], denyDomains: ['bad.partner.test'] });
    for (const ok of ['xmpp:carol@example.org', 'sip:dan@pbx.partner.test', 'xmpp:eve@EXAMPLE.org'])
      assert.equal(await refusal(() => gate.admit(ok as Address, lists, 'shop')), undefined, ok);
    for (const [denied, domain] of [
      ['xmpp:carol@example.com', 'example.com'],
      ['sip:dan@partner.test', 'partner.test'],
      ['sip:mallory@bad.partner.test', 'bad.partner.test'],
    ] as const) {
      const refused = await refusal(() => gate.admit(denied, lists, 'shop'));
      assert.equal(refused?.outcome, 'denied_domain', denied);
      assert.equal(refused?.code, 'forbidden');
      assert.equal(refused?.message, `This team takes no messages from ${domain}`);
    }
    const denyOnly = team({ denyDomains: ['*.evil.example', 'evil.example'] });
    assert.equal((await refusal(() => gate.admit('xmpp:m@evil.example', denyOnly, 'shop')))?.outcome, 'denied_domain');
    assert.equal((await refusal(() => gate.admit('xmpp:m@a.evil.example', denyOnly, 'shop')))?.outcome, 'denied_domain');
    assert.equal(await refusal(() => gate.admit('xmpp:m@good.example', denyOnly, 'shop')), undefined);
    // IRC: the domain is the IRC network's id (irc:nick@network).
    assert.equal((await refusal(() => gate.admit('irc:mallory@evilnet', team({ denyDomains: ['evilnet'] }), 'shop')))?.outcome, 'denied_domain');
  });

  it("limits each sender's messages and new conversations, per sender, and lets them through again in time", async () => {
    const { gate, advance } = controls({ conversationsPerHour: 2, messagesPerMinute: 3 });
    const carol = 'xmpp:carol@example.org';
    for (let i = 0; i < 3; i++) assert.equal(await refusal(() => gate.admit(carol, team(), 'shop')), undefined);
    const tooMany = await refusal(() => gate.admit(carol, team(), 'shop'));
    assert.equal(tooMany?.code, 'rate_limited');
    assert.equal(tooMany?.outcome, 'rate_limited');
    assert.equal(tooMany?.message, 'Too many messages: at most 3 a minute; wait a little');
    assert.equal(await refusal(() => gate.admit('xmpp:dave@example.org', team(), 'shop')), undefined, 'another sender has a rate of its own');
    advance(20_000); // one message every 20 s
    assert.equal(await refusal(() => gate.admit(carol, team(), 'shop')), undefined);

    gate.mayOpen(carol);
    gate.mayOpen(carol);
    const third = await refusal(() => gate.mayOpen(carol));
    assert.equal(third?.outcome, 'rate_limited');
    assert.equal(third?.message, 'Too many new conversations: at most 2 an hour; try again later');
    advance(30 * 60_000); // one conversation every 30 min
    assert.equal(await refusal(() => gate.mayOpen(carol)), undefined);
  });

  it('defaults to 10 new conversations an hour and 30 messages a minute per customer', () => {
    const config = configSchema.parse({ sites: [{ key: 'shop' }], store: { type: 'sqlite', path: ':memory:' } });
    assert.deepEqual(config.limits.customers, { conversationsPerHour: 10, messagesPerMinute: 30 });
  });
});
