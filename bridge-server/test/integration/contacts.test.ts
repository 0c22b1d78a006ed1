// Contacts on a real bridge and a real Prosody (docs/customers.md, "Contacts"): an XMPP customer's
// contact proven by their server, a visitor's anonymous conversation linked into their signed-in
// contact on every device, merge and undo through the socket API, /whois and the context line of
// a returning customer, nothing of one site found from another, and the erasure of a whole contact.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Contact, Conversation } from '@switchboard/protocol';
import Database from 'better-sqlite3';
import { OTHER_SITE, SITE, type TestBridge, type V1Socket, agentAuth, baseConfig, call, connect, startBridge, until, userAuth } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, connectAgent, xml } from '../xmpp-agent.js';
import { identityHash } from '../../src/gateway/tokens.js';

const ADMIN_KEY = 'admin-key-of-the-contacts-site-0123456789';
const OTHER_SECRET = 'other-identity-secret-0123456789';
const CAROL = 'xmpp:carol@localhost';
const VOUCHED = 'vouched: its server localhost authenticated it';

/** Every row of every table of the SQLite file, as text. */
function everyRow(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    return tables.flatMap(({ name }) =>
      db
        .prepare(`SELECT * FROM "${name}"`)
        .all()
        .map((row) => `${name}: ${JSON.stringify(row)}`),
    );
  } finally {
    db.close();
  }
}

describe('contacts against a real Prosody', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let erin: Agent;
  let carol: Agent;
  let alice: V1Socket;
  before(async () => {
    prosody = await startProsody({
      users: [
        ['carol', 'carolpw'],
        ['erin', 'erinpw'],
      ],
    });
    const [site, other] = baseConfig('.').sites as Record<string, unknown>[];
    t = await startBridge({
      sites: [{ ...site, adminKeys: [ADMIN_KEY] }, other],
      teams: [
        { id: 'support', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
        { id: 'sales', members: ['xmpp:erin@localhost'], sites: [SITE], capacity: 100 },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    [erin, carol] = await Promise.all([connectAgent(prosody.c2sPort, 'erin', 'erinpw'), connectAgent(prosody.c2sPort, 'carol', 'carolpw')]);
    alice = (await connect(t, agentAuth('alice'))).socket;
  });
  after(async () => {
    await Promise.all([erin?.stop(), carol?.stop()]);
    await t?.stop();
    await prosody?.destroy();
  });

  const sales = () => `sales@${prosody.componentDomain}`;
  const write = (text: string, id: string) =>
    carol.send(xml('message', { type: 'chat', to: sales(), id }, xml('body', {}, text), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id })));
  /** The next context line the XMPP agent gets about carol, and its ref. */
  const contextLine = async (): Promise<{ text: string; ref: string }> => {
    const puppet = `xmpp\\3acarol\\40localhost@${prosody.componentDomain}`;
    const seen = erin.stanzas.length;
    const line = await erin.next(
      (s, i = erin.stanzas.indexOf(s)) =>
        i >= seen && s.is('message') && s.attrs.from?.split('/')[0] === puppet && /^#[0-9a-z]+ /.test(s.getChildText('body') ?? ''),
      15_000,
    );
    const text = line.getChildText('body')!;
    return { text, ref: /^#([0-9a-z]+)/.exec(text)![1]! };
  };
  /** A command from the XMPP agent to the component; resolves with the answer. */
  const ask = async (text: string): Promise<string> => {
    const seen = erin.stanzas.length;
    await erin.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, text)));
    const answer = await erin.next(
      (s, i = erin.stanzas.indexOf(s)) => i >= seen && s.is('message') && s.attrs.from === prosody.componentDomain && s.getChildText('body') !== null,
    );
    return answer.getChildText('body')!;
  };
  const contactOf = async (socket: V1Socket, payload: { address: string } | { contactId: string }): Promise<Contact> => {
    const answer = await call(socket, 'contact:get', payload);
    assert.equal(answer.ok, true, JSON.stringify(answer));
    return answer.contact;
  };

  // Shared by the cases below, in order.
  let carolsFirst: string;
  let carolsContact: Contact;
  let anonymous: { self: string; conversation: Conversation };
  let fromPhone: Conversation;
  let danasContact: Contact;

  it('gives an XMPP customer a contact proven by their server, and tells the agent when they come back', async () => {
    await write('Where is my order?', 'c-1');
    const first = await contextLine();
    assert.equal(first.text, `#${first.ref} ${CAROL} (${VOUCHED}), team sales. Reply here; /whois ${first.ref} for more.`, 'someone new: the line as always');
    carolsContact = await contactOf(alice, { address: CAROL });
    // The JID as the customer may have typed it, in capitals: the same customer.
    assert.equal((await contactOf(alice, { address: 'xmpp:Carol@LocalHost' })).id, carolsContact.id);
    assert.deepEqual(
      carolsContact.addresses.map((a) => [a.address, a.proof]),
      [[CAROL, 'network']],
    );
    assert.equal(carolsContact.conversations.length, 1);
    carolsFirst = carolsContact.conversations[0]!.id;
    assert.ok(carolsFirst.endsWith(first.ref));
    assert.equal(carolsContact.conversations[0]!.address, CAROL);

    assert.match(await ask(`/close ${first.ref}`), /is closed/);
    await write('Me again', 'c-2');
    const second = await contextLine();
    const day = carolsContact.conversations[0]!.createdAt.slice(0, 10);
    assert.equal(
      second.text,
      `#${second.ref} ${CAROL} (${VOUCHED}), team sales. Reply here; /whois ${second.ref} for more. Returning: 1 other conversation, last #${first.ref} on ${day}.`,
    );
    const whois = await ask(`/whois ${second.ref}`);
    assert.match(
      whois,
      new RegExp(
        `\\ncontact: ${carolsContact.id}, 1 address\\n  ${CAROL}: vouched for by its network \\(network\\), \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\n`,
      ),
    );
    assert.match(whois, new RegExp(`\\nother conversations: 1\\n  #${first.ref} xmpp closed ${day} \\d\\d:\\d\\d UTC$`));
    carolsContact = await contactOf(alice, { address: CAROL });
    assert.equal(carolsContact.conversations.length, 2);
  });

  it("links a visitor's anonymous conversation into their signed-in contact, one contact on every device", async () => {
    const before = await connect(t, { siteKey: SITE });
    const opened = (await call(before.socket, 'conversation:open', { team: 'support' })).conversation;
    await call(before.socket, 'message:send', { conversationId: opened.id, clientId: 'b-1', text: 'before signing in' });
    anonymous = { self: before.session.self, conversation: opened };
    before.socket.disconnect();

    // The laptop signs in with the token it had as an anonymous visitor; the phone with the identity alone.
    const laptop = await connect(t, { ...userAuth('dana', { name: 'Dana' }), token: before.session.token });
    const phone = await connect(t, userAuth('dana', { name: 'Dana' }));
    assert.equal(laptop.session.self, 'web:u_dana');
    assert.equal(phone.session.self, 'web:u_dana');
    fromPhone = (await call(phone.socket, 'conversation:open', { team: 'support' })).conversation;
    laptop.socket.disconnect();
    phone.socket.disconnect();

    danasContact = await contactOf(alice, { address: 'web:u_dana' });
    assert.equal(danasContact.name, 'Dana');
    assert.deepEqual(
      danasContact.addresses.map((a) => [a.address, a.proof]).sort(),
      [
        ['web:u_dana', 'identity'],
        [anonymous.self, 'identity'],
      ].sort(),
    );
    assert.deepEqual(
      danasContact.conversations.map((c) => [c.id, c.address]),
      [
        [fromPhone.id, 'web:u_dana'],
        [opened.id, anonymous.self],
      ],
    );
    assert.equal((await contactOf(alice, { address: anonymous.self })).id, danasContact.id, 'the anonymous address finds the same contact');

    // /whois of the phone's conversation, from the web console: the site's own forms of its addresses.
    const whois = await call(alice, 'agent:command', { text: `/whois ${fromPhone.id.slice(-10)}` });
    assert.match(whois.answer, new RegExp(`\\ncontact: ${danasContact.id}, 2 addresses\\n`));
    assert.match(whois.answer, /\n {2}web:u_dana: the site's signed identity \(identity\), /);
    assert.match(whois.answer, new RegExp(`\\n  ${anonymous.self}: the site's signed identity \\(identity\\), `));
    const other = /\nother conversations: 1\n {2}#([0-9a-z]+) web open /.exec(whois.answer);
    assert.ok(other && opened.id.endsWith(other[1]!), whois.answer);
  });

  it('merges two contacts and undoes it through the socket API, their conversations following', async () => {
    const merged = await call(alice, 'contact:merge', { contactId: carolsContact.id, into: danasContact.id });
    assert.equal(merged.ok, true, JSON.stringify(merged));
    assert.equal(merged.contact.id, danasContact.id);
    assert.deepEqual(
      merged.contact.addresses.map((a: { address: string; proof: string }) => [a.address, a.proof]).filter(([a]: string[]) => a === CAROL),
      [[CAROL, 'merge']],
    );
    assert.deepEqual(
      new Set(merged.contact.conversations.map((c: { id: string }) => c.id)),
      new Set([...danasContact.conversations, ...carolsContact.conversations].map((c) => c.id)),
    );
    assert.deepEqual(merged.contact.merges, [{ id: merged.mergeId, addresses: [CAROL], by: 'web:a_alice', at: merged.contact.merges[0]!.at }]);
    assert.equal((await contactOf(alice, { address: CAROL })).id, danasContact.id);
    assert.equal((await call(alice, 'contact:get', { contactId: carolsContact.id })).error?.code, 'not_found');

    const undone = await call(alice, 'contact:unmerge', { mergeId: merged.mergeId });
    assert.equal(undone.ok, true, JSON.stringify(undone));
    const [back, dana] = undone.contacts;
    assert.equal(back!.id, carolsContact.id);
    assert.deepEqual(back!.addresses, carolsContact.addresses, 'back with the proof it had');
    assert.deepEqual(
      back!.conversations.map((c) => c.id),
      carolsContact.conversations.map((c) => c.id),
    );
    assert.deepEqual(
      dana!.conversations.map((c) => c.id),
      danasContact.conversations.map((c) => c.id),
    );
    assert.deepEqual(dana!.merges, []);
    assert.equal((await call(alice, 'contact:unmerge', { mergeId: merged.mergeId })).error?.code, 'not_found');
  });

  it("keeps contacts to the site's agents: visitors are refused, another site's agent finds nothing", async () => {
    const visitor = await connect(t, userAuth('dana'));
    assert.equal((await call(visitor.socket, 'contact:get', { address: 'web:u_dana' })).error?.code, 'forbidden');
    assert.equal((await call(visitor.socket, 'contact:merge', { contactId: carolsContact.id, into: danasContact.id })).error?.code, 'forbidden');

    const merge = await call(alice, 'contact:merge', { contactId: carolsContact.id, into: danasContact.id });
    // The other site signs a "dana" in too, with this site's anonymous token: two people, nothing linked.
    const otherDana = { siteKey: OTHER_SITE, identity: { userId: 'dana', hash: identityHash(OTHER_SECRET, 'visitor', 'dana') } };
    const elsewhere = await connect(t, { ...otherDana, token: visitor.session.token }, { origin: 'http://other.test' });
    elsewhere.socket.disconnect();
    const eve = (await connect(t, agentAuth('eve', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' })).socket;
    for (const payload of [{ address: CAROL }, { address: anonymous.self }, { contactId: danasContact.id }])
      assert.equal((await call(eve, 'contact:get', payload)).error?.code, 'not_found', JSON.stringify(payload));
    const theirDana = await contactOf(eve, { address: 'web:u_dana' });
    assert.notEqual(theirDana.id, danasContact.id);
    assert.deepEqual(
      theirDana.addresses.map((a) => a.address),
      ['web:u_dana'],
    );
    assert.deepEqual(theirDana.conversations, []);
    assert.equal((await call(eve, 'contact:unmerge', { mergeId: merge.mergeId })).error?.code, 'not_found');
    assert.equal((await call(eve, 'contact:merge', { contactId: theirDana.id, into: danasContact.id })).error?.code, 'not_found');
    visitor.socket.disconnect();
    assert.equal((await call(alice, 'contact:unmerge', { mergeId: merge.mergeId })).ok, true);
  });

  it('exports, then erases, a whole contact through the admin API: every address, conversation and message', async () => {
    const exported = await fetch(`${t.url}/v1/parties/${anonymous.self}/export`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(exported.status, 200);
    const held = (await exported.json()) as { contact: { id: string; addresses: { address: string }[] }; conversations: { id: string }[] };
    assert.equal(held.contact.id, danasContact.id);
    assert.deepEqual(held.contact.addresses.map((a) => a.address).sort(), [anonymous.self, 'web:u_dana'].sort());
    assert.deepEqual(held.conversations.map((c) => c.id).sort(), [anonymous.conversation.id, fromPhone.id].sort());
    const response = await fetch(`${t.url}/v1/parties/web:u_dana`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(response.status, 200, await response.clone().text());
    const { erased } = (await response.json()) as { erased: { conversations: number } };
    assert.equal(erased.conversations, 2);
    const rows = everyRow(t.dbPath);
    for (const needle of [anonymous.self, 'u_dana@' + SITE, danasContact.id, fromPhone.id, anonymous.conversation.id, 'before signing in'])
      assert.deepEqual(
        rows.filter((row) => row.includes(needle)),
        [],
        needle,
      );
    assert.equal((await call(alice, 'contact:get', { address: anonymous.self })).error?.code, 'not_found');
    assert.equal((await contactOf(alice, { address: CAROL })).id, carolsContact.id, "someone else's contact stays");
    assert.ok(rows.some((row) => row.includes(carolsFirst)));
  });
});
