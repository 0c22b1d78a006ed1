// The contact book on a real (SQLite) store: contacts made when needed, proven addresses linked
// once, merges undone, the desk's text about a contact, and nothing of another site ever found.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Address, Proof } from '@switchboard/protocol';
import pino from 'pino';
import type { Actor } from '../../src/core/actor.js';
import { BridgeError } from '../../src/core/errors.js';
import { ContactBook } from '../../src/core/contacts/contact-book.js';
import { returningNote, whoisLines } from '../../src/core/contacts/contact-text.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const bob: Actor = { address: 'web:a_bob@shop', role: 'agent', siteKey: 'shop' };
const eve: Actor = { address: 'web:a_eve@blog', role: 'agent', siteKey: 'blog' };
const visitor: Actor = { address: 'web:v_1', role: 'visitor', siteKey: 'shop' };

/** The proofs a network would give: the tests' XMPP server vouches, everything else wrote. */
const proofOf = (address: Address): Promise<Proof> =>
  Promise.resolve(address.startsWith('web:v_') ? 'session' : address.startsWith('web:u_') ? 'identity' : address.startsWith('xmpp:') ? 'network' : 'wrote');

/** Conversations are ordered by when they were made: the next one is made a millisecond later at least. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function refused(promise: Promise<unknown>, code: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BridgeError, String(error));
    assert.equal(error.code, code, error.message);
    return error.message;
  }
  assert.fail(`expected ${code}`);
}

describe('contact book', () => {
  let store: SqliteStore;
  let book: ContactBook;
  let minute: number;

  beforeEach(async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.open();
    minute = 0;
    book = new ContactBook({
      store,
      proofOf,
      isDesk: (address) => address.startsWith('web:a_') || address === 'xmpp:agent@example.com',
      now: () => new Date(Date.UTC(2026, 11, 1, 10, minute++)),
      logger: pino({ level: 'silent' }),
    });
  });
  afterEach(() => store.close());

  const open = (openedBy: Address, siteKey = 'shop') => store.createConversation({ siteKey, openedBy, participants: [openedBy], team: 'support' });

  it('makes a contact of one address the site met, with the proof its network gives, and finds no one it did not meet', async () => {
    const conversation = await open('xmpp:carol@example.com');
    const contact = await book.get(bob, { address: 'xmpp:carol@example.com' });
    assert.equal(contact.addresses.length, 1);
    assert.equal(contact.addresses[0]!.proof, 'network');
    assert.deepEqual(
      contact.conversations.map((c) => [c.id, c.address, c.state]),
      [[conversation.id, 'xmpp:carol@example.com', 'open']],
    );
    assert.equal((await book.get(bob, { contactId: contact.id })).id, contact.id);
    assert.equal((await book.get(bob, { address: 'xmpp:carol@example.com' })).id, contact.id, 'made once');
    await refused(book.get(bob, { address: 'sip:nobody@example.com' }), 'not_found');
    // The desk's own addresses are met in every conversation, and are no customer's.
    const answered = await store.addParticipant(conversation.id, 'xmpp:agent@example.com');
    await store.addParticipant(answered.id, bob.address);
    await refused(book.get(bob, { address: 'xmpp:agent@example.com' }), 'not_found');
    await refused(book.get(bob, { address: bob.address }), 'not_found');
  });

  it("never finds another site's customer, contact or merge", async () => {
    await open('xmpp:carol@example.com');
    const shops = await book.get(bob, { address: 'xmpp:carol@example.com' });
    await refused(book.get(eve, { address: 'xmpp:carol@example.com' }), 'not_found');
    await refused(book.get(eve, { contactId: shops.id }), 'not_found');
    await open('sip:carol@example.com');
    const other = await book.get(bob, { address: 'sip:carol@example.com' });
    await refused(book.merge(eve, other.id, shops.id), 'not_found');
    const { mergeId } = await book.merge(bob, other.id, shops.id);
    await refused(book.unmerge(eve, mergeId), 'not_found');
    // A link on the other site makes that site's own contact; the shop's stays as it was.
    await book.link({ siteKey: 'blog', party: 'web:v_9', address: 'xmpp:carol@example.com', proof: 'code' });
    assert.deepEqual(
      (await book.get(bob, { contactId: shops.id })).addresses.map((a) => a.address),
      ['xmpp:carol@example.com', 'sip:carol@example.com'],
    );
  });

  it("links a proven address into the party's contact once, however often it is told", async () => {
    const first = await open('web:v_1');
    await book.link({ siteKey: 'shop', party: 'web:v_1', address: 'xmpp:dana@example.org', proof: 'code' });
    await book.link({ siteKey: 'shop', party: 'web:v_1', address: 'xmpp:dana@example.org', proof: 'code' });
    await nextMillisecond();
    const later = await open('xmpp:dana@example.org');
    const contact = await book.get(bob, { address: 'xmpp:dana@example.org' });
    assert.deepEqual(
      contact.addresses.map((a) => [a.address, a.proof, a.provenAt]),
      [
        ['web:v_1', 'session', '2026-12-01T10:00:00.000Z'],
        ['xmpp:dana@example.org', 'code', '2026-12-01T10:00:00.000Z'],
      ],
    );
    assert.deepEqual(
      contact.conversations.map((c) => [c.id, c.address]),
      [
        [later.id, 'xmpp:dana@example.org'],
        [first.id, 'web:v_1'],
      ],
    );
    assert.equal((await book.get(bob, { address: 'web:v_1' })).id, contact.id);
  });

  it('merges two contacts and undoes it, each address back with its proof', async () => {
    await open('web:v_1');
    await open('sip:dana@example.com');
    const web = await book.get(bob, { address: 'web:v_1' });
    const sip = await book.get(bob, { address: 'sip:dana@example.com' });
    const { contact, mergeId } = await book.merge(bob, sip.id, web.id);
    assert.equal(contact.id, web.id);
    assert.deepEqual(
      contact.addresses.map((a) => [a.address, a.proof]),
      [
        ['web:v_1', 'session'],
        ['sip:dana@example.com', 'merge'],
      ],
    );
    assert.equal(contact.conversations.length, 2);
    assert.deepEqual(
      contact.merges.map((m) => [m.id, m.addresses, m.by]),
      [[mergeId, ['sip:dana@example.com'], 'web:a_bob@shop']],
    );
    await refused(book.get(bob, { contactId: sip.id }), 'not_found');
    await refused(book.merge(bob, sip.id, web.id), 'not_found');
    const contacts = await book.unmerge(bob, mergeId);
    assert.deepEqual(
      contacts.map((c) => [c.id, c.addresses.map((a) => `${a.address} ${a.proof}`), c.conversations.length, c.merges.length]),
      [
        [sip.id, ['sip:dana@example.com wrote'], 1, 0],
        [web.id, ['web:v_1 session'], 1, 0],
      ],
    );
    await refused(book.unmerge(bob, mergeId), 'not_found');
  });

  it('answers visitors forbidden', async () => {
    await open('web:v_1');
    await refused(book.get(visitor, { address: 'web:v_1' }), 'forbidden');
    await refused(book.merge(visitor, 'k_1', 'k_2'), 'forbidden');
    await refused(book.unmerge(visitor, 'm_1'), 'forbidden');
  });

  it("tells the desk of a returning customer's other addresses and conversations, and nothing of someone new", async () => {
    const refOf = (id: string) => id.slice(-5);
    const first = await open('web:v_1');
    assert.equal(returningNote(await book.about(first), 'web:v_1', refOf), '', 'someone new');
    await store.setConversationState(first.id, 'closed');
    await book.link({ siteKey: 'shop', party: 'web:v_1', address: 'xmpp:dana@example.org', proof: 'code' });
    const second = await open('xmpp:dana@example.org');
    const about = await book.about(second);
    assert.equal(
      returningNote(about, 'xmpp:dana@example.org', refOf),
      ` Returning: also web:v_1; 1 other conversation, last #${refOf(first.id)} on ${first.createdAt.slice(0, 10)}.`,
    );
    assert.deepEqual(whoisLines(about!, refOf), [
      `contact: ${about!.contact.id}, 2 addresses`,
      '  web:v_1: widget session (session), 2026-12-01 10:00 UTC',
      '  xmpp:dana@example.org: code typed in the widget (code), 2026-12-01 10:01 UTC',
      'other conversations: 1',
      `  #${refOf(first.id)} web closed ${first.createdAt.slice(0, 10)} ${first.createdAt.slice(11, 16)} UTC`,
    ]);
  });
});
