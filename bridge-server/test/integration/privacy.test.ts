// A site's ownership of its customers' data on a real bridge and SQLite file: one customer's
// export and erasure through the HTTP API with an admin key, and the retention sweep.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Conversation, ErrorBody, Message, PartyInfo } from '@switchboard/protocol';
import Database from 'better-sqlite3';
import { holdingReceiver } from '../webhook-receiver.js';
import { API_KEY, SITE, type TestBridge, agentAuth, baseConfig, call, connect, startBridge, until, userAuth } from '../helpers.js';

const ADMIN_KEY = 'admin-key-of-the-test-site-0123456789';
const OTHER_ADMIN_KEY = 'admin-key-of-the-other-site-0123456789';

function sites(extra: Record<string, unknown> = {}) {
  const [site, other] = baseConfig('.').sites as Record<string, unknown>[];
  return [
    { ...site, adminKeys: [ADMIN_KEY], ...extra },
    { ...other, adminKeys: [OTHER_ADMIN_KEY] },
  ];
}

/** What the admin API answers, as a test reads it: an export, or `error`. */
interface AdminAnswer {
  address: string;
  site: string;
  party: PartyInfo;
  conversations: (Conversation & { messages: Message[] })[];
  error: ErrorBody;
}

async function admin(t: TestBridge, method: string, path: string, key: string | null = ADMIN_KEY) {
  const response = await fetch(`${t.url}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: response.status, body: (await response.json()) as AdminAnswer };
}

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

describe('data administration', () => {
  let t: TestBridge;
  let receiver: Awaited<ReturnType<typeof holdingReceiver>>;
  before(async () => {
    receiver = await holdingReceiver();
    t = await startBridge({ sites: sites(), webhooks: [{ url: receiver.url, secret: 'privacy-test-webhook-secret' }] });
  });
  after(async () => {
    await t.stop();
    await receiver.close();
  });

  it('exports, then erases, everything of one customer, and nothing of anyone else', async () => {
    const { socket: carol, session } = await connect(t, userAuth('carol', { name: 'Carol Privacy', email: 'carol.privacy@example.test' }));
    const address = session.self;
    const { socket: alice } = await connect(t, agentAuth('alice'));
    const { socket: dave } = await connect(t, userAuth('dave'));
    const mine = (await call(carol, 'conversation:open', { team: 'support' })).conversation;
    await call(carol, 'profile:update', { pageUrl: 'https://shop.test/carols-page' });
    const texts = ['carol-secret-one', 'carol-secret-two', 'carol-secret-three'];
    const sent: Message[] = [];
    for (const [i, text] of texts.entries()) sent.push((await call(carol, 'message:send', { conversationId: mine.id, clientId: `c${i}`, text })).message);
    const reply = (await call(alice, 'message:send', { conversationId: mine.id, clientId: 'a0', text: 'agent reply to carol' })).message;
    const theirs = (await call(dave, 'conversation:open', { team: 'support' })).conversation;
    const kept = (await call(dave, 'message:send', { conversationId: theirs.id, clientId: 'd0', text: 'dave stays' })).message;
    await t.bridge.core.usage.flush();
    const today = new Date().toISOString().slice(0, 10);
    const usage = async () =>
      (await (await fetch(`${t.url}/v1/usage?from=${today}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { usage: unknown[] };
    const usageBefore = await usage();
    // Webhook deliveries about her wait in the store (the receiver holds the first one).
    await until(() => receiver.held.length === 1, 5000, 'the first webhook delivery');

    // Export: the party, its conversation and every message in it.
    const exported = await admin(t, 'GET', `/v1/parties/${encodeURIComponent(address)}/export`);
    assert.equal(exported.status, 200);
    assert.equal(exported.body.address, address);
    assert.equal(exported.body.site, SITE);
    assert.equal(exported.body.party.email, 'carol.privacy@example.test');
    assert.equal(exported.body.party.pageUrl, 'https://shop.test/carols-page');
    assert.deepEqual(
      exported.body.conversations.map((c: Conversation) => c.id),
      [mine.id],
    );
    assert.deepEqual(
      exported.body.conversations[0]!.messages.map((m: Message) => m.id),
      [...sent, reply].map((m) => m.id),
    );

    // Errors are the contract's, as JSON.
    assert.deepEqual((await admin(t, 'GET', `/v1/parties/${address}/export`, null)).body.error.code, 'unauthorized');
    assert.equal((await admin(t, 'GET', `/v1/parties/${address}/export`, API_KEY)).status, 401);
    const otherSite = await admin(t, 'DELETE', `/v1/parties/${address}`, OTHER_ADMIN_KEY);
    assert.equal(otherSite.status, 404);
    assert.equal(otherSite.body.error.code, 'not_found');
    const malformed = await admin(t, 'GET', `/v1/parties/${encodeURIComponent('no address')}/export`);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'bad_request');

    // Erasure.
    const erased = await admin(t, 'DELETE', `/v1/parties/${encodeURIComponent(address)}`);
    assert.equal(erased.status, 200);
    assert.deepEqual(erased.body, { ok: true, erased: { conversations: 1, messages: 4, parties: 1 } });
    assert.equal((await admin(t, 'GET', `/v1/parties/${address}/export`)).status, 404);
    assert.equal((await admin(t, 'DELETE', `/v1/parties/${address}`)).status, 404);

    // Nothing of hers in any table, nor in the file's bytes (erased cells are overwritten)...
    const forbidden = [address, mine.id, 'carol.privacy@example.test', 'Carol Privacy', 'carols-page', ...texts, 'agent reply to carol'];
    for (const path of [t.dbPath, `${t.dbPath}-wal`]) {
      let bytes: string;
      try {
        bytes = readFileSync(path).toString('latin1');
      } catch {
        continue;
      }
      for (const needle of texts) assert.ok(!bytes.includes(needle), `${needle} is still in ${path}`);
    }
    const rows = everyRow(t.dbPath);
    for (const needle of forbidden)
      assert.deepEqual(
        rows.filter((row) => row.includes(needle)),
        [],
        needle,
      );
    // ... nor in the metrics; while the others' data and the aggregate usage stay.
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const needle of forbidden) assert.ok(!metrics.includes(needle), needle);
    assert.ok(rows.some((row) => row.includes(kept.id)));
    assert.ok(rows.some((row) => row.includes('dave stays')));
    const history = await call(dave, 'history:get', { conversationId: theirs.id, limit: 10 });
    assert.deepEqual(
      history.messages.map((m: Message) => m.id),
      [kept.id],
    );
    assert.deepEqual(await usage(), usageBefore);
    // The deliveries that waited about her are not sent after the erasure; the others are.
    receiver.release();
    await until(async () => /switchboard_webhooks_pending 0/.test(await (await fetch(`${t.url}/metrics`)).text()), 5000, 'the webhooks to drain');
    for (const needle of forbidden)
      assert.deepEqual(
        receiver.taken.filter((d) => d.body.includes(needle)),
        [],
        needle,
      );
    assert.ok(receiver.taken.some((d) => d.body.includes('dave stays')));
  });
});

describe('retention', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-retention-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes conversations idle longer than the site keeps them, and their parties, at start-up', async () => {
    const first = await startBridge({ sites: sites({ retentionDays: 30 }) }, { dir });
    const { socket: erin, session: erinSession } = await connect(first, userAuth('erin'));
    const { socket: frank, session: frankSession } = await connect(first, userAuth('frank'));
    const old = (await call(erin, 'conversation:open', { team: 'support' })).conversation;
    await call(erin, 'message:send', { conversationId: old.id, clientId: 'e0', text: 'erin long ago' });
    const recent = (await call(frank, 'conversation:open', { team: 'support' })).conversation;
    await call(frank, 'message:send', { conversationId: recent.id, clientId: 'f0', text: 'frank recently' });
    await first.stop();

    // Erin's conversation (and Erin) last did anything 40 days ago.
    const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60_000).toISOString();
    const db = new Database(first.dbPath);
    db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(longAgo, old.id);
    // The store keys a site's web identities with the site (docs/protocol.md, "Addresses").
    db.prepare('UPDATE parties SET updated_at = ? WHERE address = ?').run(longAgo, `${erinSession.self}@${SITE}`);
    db.close();

    const second = await startBridge({ sites: sites({ retentionDays: 30 }) }, { dir });
    try {
      const rows = everyRow(second.dbPath);
      for (const needle of [old.id, 'erin long ago', erinSession.self])
        assert.deepEqual(
          rows.filter((row) => row.includes(needle)),
          [],
          needle,
        );
      for (const needle of [recent.id, 'frank recently', frankSession.self])
        assert.ok(
          rows.some((row) => row.includes(needle)),
          needle,
        );
    } finally {
      await second.stop();
    }
  });
});
