// `/block`, `/unblock`, `/blocked`, `/whois` and `/history`'s names as agents type them, over a real SQLite store: a
// customer named by a conversation's ref or by address, blocked on the sites of the agent's teams.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { configSchema } from '../../src/config.js';
import { DESK_COMMAND_NAMES } from '../../src/core/desk/command-names.js';
import { AgentCommands, type CommandDeps } from '../../src/core/desk/commands.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import type { CustomerIdentity } from '../../src/networks/network.js';
import { readTypedAddress } from '../../src/core/typed-address.js';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import type { Network } from '../../src/networks/network.js';
import { RefBook } from '../../src/networks/refs.js';
import { NetworkRegistry } from '../../src/networks/registry.js';
import { webHostedParties } from '../../src/networks/web/hosted.js';
import { normalizeXmppAddress } from '../../src/networks/xmpp/addresses.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ERIN = 'xmpp:erin@example.org';
const MALLORY = 'xmpp:mallory@evil.example';

/** The networks an agent types customers' addresses for: XMPP, and IRC on the network `libera`. */
const registry = new NetworkRegistry();
const irc = new IrcAddresses('libera', webHostedParties);
registry.add({ scheme: 'xmpp', normalizeAddress: normalizeXmppAddress } as unknown as Network);
registry.add({ scheme: 'irc', normalizeAddress: (typed: string) => irc.normalize(typed) } as unknown as Network);

describe('block commands and /whois', () => {
  let dir: string;
  let store: SqliteStore;
  let commands: AgentCommands;
  const refs = new RefBook();
  const identities = new Map<Address, CustomerIdentity>([[MALLORY, { vouched: true, how: 'the XMPP servers authenticated it' }]]);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-blocks-'));
    store = new SqliteStore({ path: join(dir, 'store.db') });
    await store.open();
    const config = configSchema.parse({
      sites: [{ key: 'shop' }, { key: 'blog' }, { key: 'other' }],
      store: { type: 'sqlite', path: ':memory:' },
      teams: [
        { id: 'support', sites: ['shop', 'blog'], members: [ERIN, 'web:a_alice'] },
        { id: 'elsewhere', sites: ['other'], members: ['xmpp:zed@example.org'] },
      ],
    });
    const deps = {
      store,
      teams: new TeamDirectory(config.teams, ['shop', 'blog', 'other']),
      refs,
      hosted: { isHosted: (address: Address) => address.startsWith('web:'), isVisitor: (address: Address) => address.startsWith('web:v_') },
      identityOf: (address: Address) => Promise.resolve(identities.get(address)),
      readAddress: (typed: string) => readTypedAddress(typed, registry, webHostedParties),
    } satisfies Partial<CommandDeps>;
    commands = new AgentCommands(deps as unknown as CommandDeps);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const conversationOf = (openedBy: Address, siteKey = 'shop') => store.createConversation({ siteKey, openedBy, participants: [openedBy], team: 'support' });

  it("knows every command name the desk refuses in a customer's chat, and no other", async () => {
    for (const name of DESK_COMMAND_NAMES) {
      // Some need more of the desk than this test gives them: known all the same.
      const answer = await commands.run(ERIN, `/${name}`).catch(() => 'known');
      assert.doesNotMatch(answer, /^Unknown command/, name);
    }
    assert.match(await commands.run(ERIN, '/shrug'), /^Unknown command "\/shrug"/);
  });

  it('says a customer by email is not told (no refusal is mailed back)', async () => {
    const mailer = await conversationOf('mailto:spam@example.org');
    assert.match(await commands.run(ERIN, `/block #${refs.refOf(mailer.id)}`), /^Blocked mailto:spam@example\.org on shop: .* \(they are not told\)\./);
  });

  it("blocks a conversation's customer on its site, once, and lists and lifts the block", async () => {
    const c = await conversationOf(MALLORY);
    const ref = refs.refOf(c.id);
    assert.equal(
      await commands.run(ERIN, `/block #${ref}`),
      `Blocked ${MALLORY} on shop: their messages to the teams are dropped (they are told once). /unblock ${MALLORY} undoes it.`,
    );
    assert.equal(await commands.run(ERIN, `/block ${ref}`), `${MALLORY} was already blocked on shop.`);
    assert.equal((await store.blockOf('shop', MALLORY))?.by, ERIN);
    assert.equal(await store.blockOf('blog', MALLORY), null, "only the conversation's site");
    assert.match(
      await commands.run(ERIN, '/blocked'),
      new RegExp(`^Blocked customers:\\n  ${MALLORY} on shop, by ${ERIN} since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`),
    );
    assert.equal(await commands.run(ERIN, `/unblock ${ref}`), `Unblocked ${MALLORY} on shop.`);
    assert.equal(await commands.run(ERIN, `/unblock ${ref}`), `${MALLORY} is not blocked on shop.`);
    assert.equal(await commands.run(ERIN, '/blocked'), 'No one is blocked.');
  });

  it("blocks an address on every site of the agent's teams (a web agent: its own site), written in any case", async () => {
    assert.match(await commands.run(ERIN, '/block xmpp:Mallory@Evil.Example'), new RegExp(`^Blocked ${MALLORY} on shop, blog:`));
    assert.ok(await store.blockOf('blog', MALLORY));
    assert.equal(await store.blockOf('other', MALLORY), null, "not on the sites of other agents' teams");
    assert.equal(await commands.run(ERIN, `/unblock ${MALLORY}`), `Unblocked ${MALLORY} on shop, blog.`);
    assert.match(await commands.run('web:a_alice@blog', `/block ${MALLORY}`, 'blog'), new RegExp(`^Blocked ${MALLORY} on blog:`));
    assert.equal(await store.blockOf('shop', MALLORY), null);
  });

  it('warns when an address blocked by hand never wrote to those sites (it may be spelt otherwise), and not when it did', async () => {
    const stranger = 'xmpp:stranger@example.net';
    assert.equal(
      await commands.run(ERIN, `/block ${stranger}`),
      `Blocked ${stranger} on shop, blog: their messages to the teams are dropped (they are told once). /unblock ${stranger} undoes it. ` +
        `No customer has written from ${stranger} yet: if that is not how their messages carry it (a SIP user's case counts), /block the ref of their conversation instead.`,
    );
    const c = await conversationOf(MALLORY, 'blog');
    await store.appendMessage({ conversationId: c.id, from: MALLORY, text: 'spam', outbox: [], status: 'sent' });
    assert.equal(
      await commands.run(ERIN, `/block ${MALLORY}`),
      `Blocked ${MALLORY} on shop, blog: their messages to the teams are dropped (they are told once). /unblock ${MALLORY} undoes it.`,
    );
  });

  it("blocks an address as the customer's messages carry it, whatever spelling the agent types", async () => {
    assert.match(await commands.run(ERIN, '/block irc:Dave'), /^Blocked irc:dave@libera on shop, blog:/);
    assert.ok(await store.blockOf('shop', 'irc:dave@libera'));
    assert.equal(await commands.run(ERIN, '/unblock IRC:dave'), 'Unblocked irc:dave@libera on shop, blog.');
    assert.equal(
      await commands.run(ERIN, '/block xmpp:mallory@evil.example/phone'),
      'Usage: /block ID|ADDRESS ("xmpp:mallory@evil.example/phone" is not a valid xmpp address.)',
    );
    assert.deepEqual(await store.blocks('shop'), []);
  });

  it('blocks neither website visitors nor agents, and says how to write an ID', async () => {
    const visitor = await conversationOf('web:v_1');
    assert.equal(
      await commands.run(ERIN, `/block ${refs.refOf(visitor.id)}`),
      'web:v_1 is not writing from a network of their own: only customers on XMPP, SIP, IRC or email can be blocked.',
    );
    assert.equal(await commands.run(ERIN, '/block xmpp:zed@example.org'), 'xmpp:zed@example.org is an agent: agents cannot be blocked.');
    assert.equal(await commands.run(ERIN, '/block'), 'Usage: /block ID|ADDRESS');
    assert.equal(await commands.run(ERIN, '/block xmpp:'), 'Usage: /block ID|ADDRESS (xmpp: is not an address)');
    assert.equal(await commands.run(ERIN, '/block 99999'), 'No conversation of your teams has the ref #99999.');
    assert.deepEqual(await store.blocks('shop'), []);
  });

  it('names the conversation a ref was shown for, open or closed, without searching; one of another team or site by its ref not at all', async () => {
    const closed = await conversationOf(MALLORY);
    await store.setConversationState(closed.id, 'closed');
    const theirs = await store.createConversation({ siteKey: 'other', openedBy: 'xmpp:eve@x.test', participants: ['xmpp:eve@x.test'], team: 'elsewhere' });
    const searched: unknown[] = [];
    const list = store.listConversations.bind(store);
    store.listConversations = (query) => (searched.push(query), list(query));
    assert.match(await commands.run(ERIN, `/whois ${refs.refOf(closed.id)}`), new RegExp(`network: xmpp \\(${MALLORY}\\)`));
    assert.deepEqual(searched, [], 'read by its id');
    assert.equal(await commands.run(ERIN, `/whois ${refs.refOf(theirs.id)}`), `No conversation of your teams has the ref #${refs.refOf(theirs.id)}.`);
  });

  it('names a conversation by its whole id, as the API gives it (with its c_), or any longer end of it', async () => {
    const c = await conversationOf(MALLORY);
    for (const written of [c.id, c.id.toUpperCase(), `#${c.id}`, c.id.slice(-12)])
      assert.match(await commands.run(ERIN, `/whois ${written}`), new RegExp(`network: xmpp \\(${MALLORY}\\)`), written);
  });

  it("tells in /whois the customer's network, address and whether the network vouches for it", async () => {
    const c = await conversationOf(MALLORY);
    const whois = await commands.run(ERIN, `/whois ${refs.refOf(c.id)}`);
    assert.match(whois, new RegExp(`network: xmpp \\(${MALLORY}\\)\\nvouched: yes, the XMPP servers authenticated it$`));
    const visitor = await conversationOf('web:v_2');
    assert.doesNotMatch(await commands.run(ERIN, `/whois ${refs.refOf(visitor.id)}`), /vouched/, 'a website visitor is verified by the site, or not');
  });

  it('names in /history whoever has no name: an agent by the user part of their address, a website visitor "Visitor", a customer by address', async () => {
    const say = async (conversationId: string, from: Address, text: string) =>
      store.appendMessage({ conversationId, from, text, status: 'accepted', outbox: [] });
    const visitor = await conversationOf('web:v_3');
    await say(visitor.id, 'web:v_3', 'Hello?');
    await say(visitor.id, ERIN, 'Hi!');
    await say(visitor.id, 'web:a_Alice@shop', 'Me too.');
    assert.match(await commands.run(ERIN, `/history ${refs.refOf(visitor.id)}`), /\] Visitor: Hello\?\n.*\] erin: Hi!\n.*\] Alice: Me too\.$/);
    const customer = await conversationOf(MALLORY);
    await say(customer.id, MALLORY, 'Open up.');
    assert.match(await commands.run(ERIN, `/history ${refs.refOf(customer.id)}`), new RegExp(`\\] ${MALLORY}: Open up\\.$`));
    await store.upsertParty({ address: 'web:v_3', role: 'visitor', siteKey: 'shop', name: 'Vera', verified: false });
    assert.match(await commands.run(ERIN, `/history ${refs.refOf(visitor.id)}`), /\] Vera: Hello\?/, 'a name given wins');
  });
});
