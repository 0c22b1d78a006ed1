// The name a customer's network gives with their message, kept on their party record over a real
// SQLite store: cleaned to one short line, updated when it changes, never over a known party's own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CUSTOMER_NAME_MAX, CustomerNames, customerName } from '../../src/core/customer-names.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const CAROL = 'xmpp:carol@example.org';

async function namesOverStore() {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  return { store, names: new CustomerNames(store) };
}

describe("customers' names", () => {
  it('cleans what the sender typed to one short line, and drops an empty one', () => {
    assert.equal(customerName('  Carol\r\n/close 42\u0000 Smith '), 'Carol /close 42 Smith');
    assert.equal(customerName('x'.repeat(200))?.length, CUSTOMER_NAME_MAX);
    assert.equal(customerName('👍'.repeat(100)), '👍'.repeat(CUSTOMER_NAME_MAX), 'cut by characters, not halfway through one');
    // Nor halfway through what reads as one: a family emoji (four people joined), a letter with its accents.
    assert.equal(customerName(`${'a'.repeat(62)}\u{1F468}\u200D\u{1F469}\u200D\u{1F467}`), 'a'.repeat(62));
    assert.equal(customerName(`${'a'.repeat(62)}e\u0301\u0301x`), 'a'.repeat(62));
    assert.equal(customerName(`${'a'.repeat(61)}e\u0301\u0301x`), `${'a'.repeat(61)}e\u0301\u0301`);
    assert.equal(customerName(' \n '), undefined);
    assert.equal(customerName(undefined), undefined);
  });

  it('records an unverified visitor of the site with the name, and follows a change', async () => {
    const { store, names } = await namesOverStore();
    await names.record(CAROL, 'shop', 'Carol');
    assert.deepEqual(await store.getParty(CAROL), { address: CAROL, siteKey: 'shop', role: 'visitor', name: 'Carol', verified: false });
    await names.record(CAROL, 'shop', 'Carol Smith');
    assert.equal((await store.getParty(CAROL))?.name, 'Carol Smith');
    await names.record(CAROL, 'shop', undefined);
    assert.equal((await store.getParty(CAROL))?.name, 'Carol Smith', 'a message without a name keeps the last one');
    await store.close();
  });

  it('keeps a customer who writes to another site as one party, kept for the first site, with the new name', async () => {
    const { store, names } = await namesOverStore();
    await names.record(CAROL, 'shop', 'Carol');
    await names.record(CAROL, 'blog', 'Carol Smith');
    assert.deepEqual(await store.getParty(CAROL), { address: CAROL, siteKey: 'shop', role: 'visitor', name: 'Carol Smith', verified: false });
    await store.close();
  });

  it("keeps a mail customer's address as their email, with or without a name, and nobody else's", async () => {
    const { store, names } = await namesOverStore();
    await names.record('mailto:dana@example.org', 'shop', undefined);
    assert.deepEqual(await store.getParty('mailto:dana@example.org'), {
      address: 'mailto:dana@example.org',
      siteKey: 'shop',
      role: 'visitor',
      email: 'dana@example.org',
      verified: false,
    });
    await names.record('mailto:dana@example.org', 'shop', 'Dana');
    assert.deepEqual(
      await store.getParty('mailto:dana@example.org'),
      { address: 'mailto:dana@example.org', siteKey: 'shop', role: 'visitor', name: 'Dana', email: 'dana@example.org', verified: false },
      'the name joins the email',
    );
    // A customer of another network has no email from their address, and no record without a name.
    await names.record(CAROL, 'shop', undefined);
    assert.equal(await store.getParty(CAROL), null);
    await names.record(CAROL, 'shop', 'Carol');
    assert.equal((await store.getParty(CAROL))?.email, undefined);
    await store.close();
  });

  it("leaves an agent's or a verified party's own name alone", async () => {
    const { store, names } = await namesOverStore();
    await store.upsertParty({ address: 'xmpp:erin@example.org', siteKey: 'shop', role: 'agent', name: 'Erin', verified: true });
    await names.record('xmpp:erin@example.org', 'shop', 'The boss');
    assert.equal((await store.getParty('xmpp:erin@example.org'))?.name, 'Erin');
    await store.upsertParty({ address: 'mailto:erin@example.org', siteKey: 'shop', role: 'agent', name: 'Erin', verified: true });
    await names.record('mailto:erin@example.org', 'shop', 'The boss');
    assert.deepEqual(await store.getParty('mailto:erin@example.org'), {
      address: 'mailto:erin@example.org',
      siteKey: 'shop',
      role: 'agent',
      name: 'Erin',
      verified: true,
    });
    await store.close();
  });
});
