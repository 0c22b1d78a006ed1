// Customers writing to a team's address, through the core's real sink (a test network, no protocol
// server): their conversation with a team is one however their first messages and an agent's
// outreach interleave, and a sender whose address is no address is refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, type Message, saysNothing } from '@switchboard/protocol';
import { API_KEY, OTHER_SITE, SITE, type TestBridge, agentAuth, baseConfig, call, connect, startBridge, until } from '../helpers.js';
import { type LoopNetwork, loopDefinition } from '../loop-network.js';
import { holdingReceiver } from '../webhook-receiver.js';

const ADMIN_KEY = 'admin-key-of-the-test-site-0123456789';

describe("customers writing to a team's address through the inbound sink", () => {
  let t: TestBridge;
  let loop: LoopNetwork;
  before(async () => {
    const { definition, network } = loopDefinition();
    const [site, other] = baseConfig('').sites as Record<string, unknown>[];
    t = await startBridge(
      {
        sites: [{ ...site, adminKeys: [ADMIN_KEY], outreach: { networks: ['loop'], domains: ['ok.example'], rate: { perMinute: 60, burst: 60 } } }, other],
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

  it("reads an address however it is cased, as its network writes it: in an integration's message, an export and an erasure", async () => {
    const customer = 'loop:cara@ok.example';
    await write(customer, 'Please delete my data');
    const post = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'loop:Cara@OK.example', text: 'We got your request', clientId: 'erase-cara' }),
    });
    assert.equal(post.status, 201);
    const { message } = (await post.json()) as { message: Message };
    const conversation = await t.bridge.store.getConversation(message.conversationId);
    assert.ok(conversation?.participants.includes(customer), JSON.stringify(conversation?.participants));
    const { socket } = await connect(t, agentAuth('alice'));
    const opened = await call(socket, 'conversation:open', { to: 'loop:Dora@OK.example' });
    assert.deepEqual(opened.conversation.participants, ['web:a_alice', 'loop:dora@ok.example']);
    socket.disconnect();
    const party = `/v1/parties/${encodeURIComponent('loop:CARA@ok.EXAMPLE')}`;
    const admin = (method: string, path: string) => fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const exported = (await (await admin('GET', `${party}/export`)).json()) as { address: string; conversations: { messages: Message[] }[] };
    assert.equal(exported.address, customer, 'the address as its network writes it');
    assert.deepEqual(exported.conversations.flatMap((c) => c.messages.map((m) => m.text)).sort(), ['Please delete my data', 'We got your request']);
    assert.equal((await admin('DELETE', party)).status, 200);
    assert.equal((await admin('GET', `${party}/export`)).status, 404, 'nothing left of the customer');
  });

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

  it("never stores a customer's message in their conversation after it closed: it goes before the close, or into a new one", async () => {
    for (let i = 0; i < 30; i++) {
      const customer: Address = `loop:cal${i}@ok.example`;
      const first = await write(customer, 'hello');
      // The close starts a few microtasks after the customer's message, as far as into its storing.
      const later = async <T>(turns: number, task: () => Promise<T>) => {
        for (let n = 0; n < turns; n++) await Promise.resolve();
        return task();
      };
      const [closed, written] = await Promise.all([later(i, () => t.bridge.core.conversations.close(first)), write(customer, 'one more thing')]);
      const after = await t.bridge.store.getConversation(first);
      assert.equal(after?.lastSeq, closed.lastSeq, `nothing stored in ${first} once closed (message ${i} went to ${written})`);
    }
  });

  it('refuses a sender whose address holds a line break, a space or a control character (a SIP From unescapes %0D%0A)', async () => {
    for (const from of ['loop:eve\r\nPRIVMSG #ops :hi@ok.example', 'loop:eve smith@ok.example', 'loop:eve\u0000@ok.example']) {
      await assert.rejects(
        loop.sink.message({ network: 'loop', from: from as Address, to: 'team:support', team: { id: 'support' }, text: 'hello' }),
        (error: { code?: string; message?: string }) => error.code === 'bad_request' && /^from: .* is not an address/.test(error.message ?? ''),
        JSON.stringify(from),
      );
    }
  });

  it('refuses a message of blanks or line breaks, opening nothing, and takes a message back by a correction to nothing', async () => {
    const customer: Address = 'loop:fay@ok.example';
    for (const text of ['', '   ', '\r\n', ' \n\t\n ', '\u200b\u200b', '\ufeff \u2060']) {
      await assert.rejects(
        loop.sink.message({ network: 'loop', from: customer, to: 'team:support', team: { id: 'support' }, text }),
        (error: { code?: string; message?: string }) => error.code === 'bad_request' && error.message === 'text: must not be empty or blank',
        JSON.stringify(text),
      );
    }
    assert.equal(await t.bridge.store.findOpenConversation({ siteKey: SITE, openedBy: customer }), null, 'no conversation opened for nothing');
    const conversationId = await write(customer, 'my card is 4242 4242 4242 4242');
    const [original] = (await t.bridge.store.history(conversationId, { limit: 10 })).messages;
    const takenBack = await loop.sink.message({
      network: 'loop',
      from: customer,
      to: 'team:support',
      team: { id: 'support' },
      text: ' \n ',
      corrects: original!.id,
    });
    assert.ok(takenBack && saysNothing(takenBack) && takenBack.corrects === original!.id, `a retraction: ${JSON.stringify(takenBack)}`);
    assert.equal((await t.bridge.store.getMessage(original!.id))?.text, '', 'the original taken back');
  });
});

describe("an API key's outreach: its clientId and the customer it names", () => {
  const OTHER_KEY = 'other-api-key-0123456789abcdef';
  let t: TestBridge;
  before(async () => {
    const { definition } = loopDefinition();
    const [site, other] = baseConfig('').sites as Record<string, unknown>[];
    const outreach = { networks: ['loop'], domains: ['ok.example'], rate: { perMinute: 60, burst: 60 } };
    t = await startBridge(
      {
        sites: [
          { ...site, outreach },
          { ...other, apiKeys: [{ id: 'crm', key: OTHER_KEY }], outreach },
        ],
        teams: [{ id: 'support', members: ['web:a_alice', 'loop:zoe@ok.example'], sites: [SITE, OTHER_SITE], capacity: 100 }],
        // Customers' replies on the loop network are filed under SITE: an outreach from SITE passes, one from OTHER_SITE would not.
        networks: [
          { type: 'web', presenceGraceMs: 50 },
          { type: 'loop', customersSite: SITE },
        ],
      },
      { networkDefinitions: { loop: definition } },
    );
  });
  after(async () => {
    await t?.stop();
  });

  const post = async (key: string, body: object) => {
    const response = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { message?: { text: string; conversationId: string }; error?: { code: string; message: string } },
    };
  };

  it("is idempotent for the same customer, and never answers with a message of another customer or another site's", async () => {
    const first = await post(API_KEY, { to: 'loop:ida@ok.example', team: 'support', text: 'Your invoice is ready', clientId: 'invoice-1' });
    assert.equal(first.status, 201);
    const again = await post(API_KEY, { to: 'loop:ida@ok.example', team: 'support', text: 'Your invoice is ready', clientId: 'invoice-1' });
    assert.equal(again.status, 201);
    assert.equal(again.body.message?.conversationId, first.body.message?.conversationId, 'a retry finds the same message');
    const otherSite = await post(OTHER_KEY, { to: 'loop:jon@ok.example', team: 'support', text: 'Your order shipped', clientId: 'invoice-1' });
    assert.equal(otherSite.status, 400, JSON.stringify(otherSite.body));
    assert.deepEqual(otherSite.body.error, { code: 'bad_request', message: 'clientId: already used for a message in another conversation' });
    assert.doesNotMatch(JSON.stringify(otherSite.body), /invoice is ready/);
    const otherCustomer = await post(API_KEY, { to: 'loop:kim@ok.example', team: 'support', text: 'Your order shipped', clientId: 'invoice-1' });
    assert.equal(otherCustomer.status, 400, JSON.stringify(otherCustomer.body));
    const conversations = await t.bridge.store.listConversations({ siteKey: OTHER_SITE, limit: 10 });
    assert.deepEqual(conversations, [], 'no conversation was started for the refused call');
  });

  it('refuses a customer blocked on the site, whose replies would be dropped, until they are unblocked', async () => {
    const customer = 'loop:lea@ok.example';
    await t.bridge.store.block({ siteKey: SITE, address: customer, by: `web:a_alice@${SITE}` });
    const refused = await post(API_KEY, { to: customer, team: 'support', text: 'Hello Lea' });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.error, {
      code: 'forbidden',
      message: `to: ${customer} is blocked on this site, so their replies would be dropped (/unblock ${customer} first)`,
    });
    await t.bridge.store.unblock(SITE, customer);
    assert.equal((await post(API_KEY, { to: customer, team: 'support', text: 'Hello Lea' })).status, 201);
  });

  it("refuses an agent's address as the customer, as /block does", async () => {
    const refused = await post(API_KEY, { to: 'loop:zoe@ok.example', team: 'support', text: 'Hello' });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error, { code: 'bad_request', message: "to: loop:zoe@ok.example is an agent's address: agents are no customers" });
  });
});

describe("a retraction and the webhooks' queue", () => {
  it("takes what it empties out of the deliveries still waiting: a receiver that was down never gets the message's text", async () => {
    const receiver = await holdingReceiver();
    const { definition, network } = loopDefinition();
    const t = await startBridge(
      { networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }], webhooks: [{ url: receiver.url, secret: 'retraction-webhook-secret-0001' }] },
      { networkDefinitions: { loop: definition } },
    );
    try {
      const customer: Address = 'loop:gil@ok.example';
      const write = (text: string, corrects?: string) =>
        network().sink.message({ network: 'loop', from: customer, to: 'team:support', team: { id: 'support' }, text, ...(corrects ? { corrects } : {}) });
      const original = await write('my card is 4242 4242 4242 4242');
      // The receiver holds the first delivery (the conversation opened): the others wait behind it.
      await until(() => receiver.held.length === 1, 5000, 'the first delivery held');
      const retraction = await write('', original!.id);
      assert.ok(retraction && saysNothing(retraction), 'the retraction stored');
      receiver.release();
      await until(async () => /switchboard_webhooks_pending 0/.test(await (await fetch(`${t.url}/metrics`)).text()), 5000, 'the webhooks to drain');
      const messages = receiver.taken.filter((d) => d.event === 'conversation.message').map((d) => d.data.message);
      assert.deepEqual(
        messages.map((m) => [m.id, m.text, m.corrects]),
        [[retraction.id, '', original!.id]],
        'the retraction told, the message it took back not',
      );
      assert.ok(!receiver.received.some((d) => d.body.includes('4242')), 'the text never went out');
    } finally {
      await t.stop();
      await receiver.close();
    }
  });
});
