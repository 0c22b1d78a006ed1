// Reports (docs/support-desk.md, "Reports"): a scripted conversation (the team's greeting, a
// customer message, an agent's answer, the close, a rating) and the figures, on SQLite and on
// Postgres: `report:get`, `GET /v1/reports` (JSON and CSV), the console's CSV, and /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReportResult } from '@switchboard/protocol';
import { hashPassword } from '../../src/console/passwords.js';
import { API_KEY, SITE, type TestBridge, agentAuth, bodyOf, call, connect, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';

const PASSWORD = 'alice-correct-password';
const today = () => new Date().toISOString().slice(0, 10);

async function config(store?: Record<string, unknown>) {
  return {
    ...(store ? { store } : {}),
    teams: [
      {
        id: 'support',
        sites: [SITE],
        capacity: 1000,
        greeting: 'Hello! An agent will answer in a moment.',
        members: [{ id: 'alice', name: 'Alice', addresses: ['web:a_alice'] }, 'web:a_bob'],
      },
    ],
    console: { accounts: [{ site: SITE, agent: 'alice', passwordHash: await hashPassword(PASSWORD) }] },
  };
}

/** Signs alice in at the console; its cookie header. */
async function signIn(url: string): Promise<string> {
  const session = await fetch(`${url}/agent/api/session`);
  const csrf = /sb_csrf=([^;]+)/.exec(session.headers.getSetCookie().join('\n'))![1]!;
  const login = await fetch(`${url}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie: `sb_csrf=${csrf}` },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const agent = /sb_agent=([^;]+)/.exec(login.headers.getSetCookie().join('\n'))![1]!;
  return `sb_agent=${agent}`;
}

function reportsOn(engine: string, start: () => Promise<TestBridge>): void {
  describe(`reports on ${engine}`, () => {
    let t: TestBridge;
    before(async () => {
      t = await start();
    });
    after(() => t.stop());

    it('computes first response, resolution and CSAT from a scripted conversation, the same by socket, API and CSV, and counts them in /metrics', async () => {
      const agent = (await connect(t, agentAuth('alice'))).socket;
      const visitor = await openVisitor(t, { assignee: 'web:a_alice' });
      const asked = await sendText(visitor, 'Where is my order?');
      await sendText(visitor, 'It was due yesterday.');
      const answer = await call(agent, 'message:send', { conversationId: visitor.conversationId, clientId: 'a1', text: 'Let me look.' });
      assert.ok(answer.ok, JSON.stringify(answer));
      await call(agent, 'message:send', { conversationId: visitor.conversationId, clientId: 'a2', text: 'It ships today.' });
      const closed = await call(agent, 'conversation:close', { conversationId: visitor.conversationId });
      assert.ok(closed.ok);
      assert.ok((await call(visitor.socket, 'conversation:rate', { conversationId: visitor.conversationId, rating: 5 })).ok);
      // The comment the widget asks for once rated: sent with the same rating, counted once.
      assert.ok((await call(visitor.socket, 'conversation:rate', { conversationId: visitor.conversationId, rating: 5, comment: 'Quick and kind' })).ok);
      // A second conversation, still open and unanswered: counted, without response or resolution.
      const waiting = await openVisitor(t, { assignee: 'web:a_alice' });
      await sendText(waiting, 'Hello?');

      const firstResponse = Math.round(((Date.parse(answer.message.sentAt) - Date.parse(asked.sentAt)) / 1000) * 10) / 10;
      const query = { from: today(), to: today(), by: 'team' as const };
      let report: ReportResult | undefined;
      await until(
        async () => {
          const ack = await call(agent, 'report:get', query);
          report = ack.ok ? ack : undefined;
          return report?.rows[0]?.firstResponse.count === 1 && report.rows[0].conversations === 2;
        },
        5000,
        'the first response recorded',
      );
      const row = report!.rows[0]!;
      assert.equal(report!.rows.length, 1);
      assert.equal(row.key, 'support');
      assert.deepEqual(row.firstResponse, { count: 1, averageSeconds: firstResponse, medianSeconds: firstResponse });
      assert.equal(row.resolution.count, 1);
      assert.ok(row.resolution.averageSeconds >= 0 && row.resolution.averageSeconds < 60);
      assert.deepEqual(row.csat, { count: 1, average: 5, satisfied: 1 });

      const byAgent = await call(agent, 'report:get', { ...query, by: 'agent' });
      assert.ok(byAgent.ok);
      assert.deepEqual(
        byAgent.rows.map((r) => [r.key, r.conversations]),
        [['alice', 2]],
      );
      const byNetwork = await call(agent, 'report:get', { ...query, by: 'network' });
      assert.ok(byNetwork.ok);
      assert.deepEqual(
        byNetwork.rows.map((r) => [r.key, r.conversations]),
        [['web', 2]],
      );
      const earlier = await call(agent, 'report:get', { from: '2020-01-01', to: '2020-01-31', by: 'team' });
      assert.ok(earlier.ok);
      assert.deepEqual(earlier.rows, []);
      const visitorAsks = await call(visitor.socket, 'report:get', query);
      assert.equal(visitorAsks.error.code, 'forbidden');
      const backwards = await call(agent, 'report:get', { from: today(), to: '2020-01-01', by: 'team' });
      assert.equal(backwards.error.code, 'bad_request');
      assert.match(backwards.error.message, /^to: must not be before from/);

      // The API key's JSON is the same report.
      const api = await fetch(`${t.url}/v1/reports?from=${today()}&to=${today()}&by=team`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(api.status, 200);
      assert.deepEqual(await api.json(), { ok: true, ...report });
      const apiCsv = await fetch(`${t.url}/v1/reports?from=${today()}&to=${today()}&by=team&format=csv`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.match(apiCsv.headers.get('content-type')!, /^text\/csv/);
      const csv = await apiCsv.text();
      assert.equal(
        csv,
        'key,conversations,first_response_count,first_response_average_seconds,first_response_median_seconds,resolution_count,resolution_average_seconds,resolution_median_seconds,csat_count,csat_average,csat_satisfied\r\n' +
          `support,2,1,${firstResponse},${firstResponse},1,${row.resolution.averageSeconds},${row.resolution.medianSeconds},1,5,1\r\n`,
      );
      assert.equal((await fetch(`${t.url}/v1/reports?from=${today()}&to=${today()}&by=team`)).status, 401);
      const badDay = await fetch(`${t.url}/v1/reports?from=2026-02-30&to=${today()}&by=team`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(badDay.status, 400);
      assert.match((await bodyOf<{ error: { message: string } }>(badDay)).error.message, /^from: must be a day/);

      // The console's CSV: the signed-in agent's site, the same rows.
      const cookie = await signIn(t.url);
      const consoleCsv = await fetch(`${t.url}/agent/api/report.csv?from=${today()}&to=${today()}&by=team`, { headers: { cookie } });
      assert.equal(consoleCsv.status, 200);
      assert.match(consoleCsv.headers.get('content-disposition')!, /attachment; filename="report-team-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"/);
      assert.equal(await consoleCsv.text(), csv);
      assert.equal((await fetch(`${t.url}/agent/api/report.csv?from=${today()}&to=${today()}&by=team`)).status, 401);
      // An agent the site's identity signed in (console.identityUrl) has no cookie: its connection's token.
      const { session } = await connect(t, agentAuth('bob'));
      const csvUrl = `${t.url}/agent/api/report.csv?from=${today()}&to=${today()}&by=team`;
      const byToken = await fetch(csvUrl, { headers: { authorization: `Bearer ${session.token}` } });
      assert.equal(byToken.status, 200);
      assert.equal(await byToken.text(), csv);
      // Only an agent's: a visitor's token or an API key reads no report here.
      assert.equal((await fetch(csvUrl, { headers: { authorization: `Bearer ${visitor.session.token}` } })).status, 401);
      assert.equal((await fetch(csvUrl, { headers: { authorization: `Bearer ${API_KEY}` } })).status, 401);

      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(metrics, /^switchboard_first_response_seconds_count\{team="support",network="web"\} 1$/m);
      assert.match(metrics, /^switchboard_resolution_seconds_count\{team="support",network="web"\} 1$/m);
      assert.match(metrics, /^switchboard_csat_ratings_total\{team="support",rating="5"\} 1$/m);
    });
  });
}

reportsOn('SQLite', async () => startBridge(await config()));

describe("the console's report, limited", () => {
  it('answers an agent past limits.burst reports 429 rate_limited with Retry-After, as an API key', async () => {
    const t = await startBridge({ ...(await config()), limits: { ratePerSecond: 0.01, burst: 2 } });
    try {
      const cookie = await signIn(t.url);
      const report = async () => {
        const response = await fetch(`${t.url}/agent/api/report.csv?from=${today()}&to=${today()}&by=team`, { headers: { cookie } });
        const body = await response.text();
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
      };
      assert.equal((await report()).status, 200);
      assert.equal((await report()).status, 200);
      const refused = await report();
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.retryAfter) >= 1, `Retry-After: ${refused.retryAfter}`);
      assert.deepEqual(JSON.parse(refused.body), { error: { code: 'rate_limited', message: 'Too many requests: at most 0.01 per second per agent.' } });
    } finally {
      await t.stop();
    }
  });
});

let postgres: PostgresServer | undefined;
after(async () => {
  await postgres?.destroy();
});
reportsOn('Postgres', async () => {
  postgres = await startPostgres();
  return startBridge(await config({ type: 'postgres', url: await postgres.createDatabase(), poolSize: 4 }));
});
