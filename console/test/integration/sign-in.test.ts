// The console as the bridge serves it at /agent, in Chromium: a password sign-in (CSRF token from
// /agent/api/session, the `sb_agent` cookie on the socket handshake), a wrong password, signing
// out, and no Content-Security-Policy violation (docs/protocol.md, HTTP `/agent`;
// `console` config, `switchboard hash-password`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBridge, parseConfig } from '@switchboard/bridge-server';
import type { Browser, Page } from 'puppeteer-core';
import { cspRefusals, launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const PASSWORD = 'correct horse battery staple';

describe('console sign-in at /agent', () => {
  let dir: string;
  let bridge: Awaited<ReturnType<typeof createBridge>>;
  let url: string;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-console-'));
    const hashed = spawnSync(process.execPath, [join(root, 'bridge-server/dist/cli.js'), 'hash-password'], { input: `${PASSWORD}\n`, encoding: 'utf8' });
    assert.equal(hashed.status, 0, hashed.stderr);
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        store: { type: 'sqlite', path: join(dir, 'bridge.db') },
        sites: [{ key: 'console-site', origins: ['https://shop.example'] }],
        teams: [{ id: 'support', members: [{ id: 'alice', name: 'Alice', addresses: ['web:a_alice'] }] }],
        console: { accounts: [{ site: 'console-site', agent: 'alice', passwordHash: hashed.stdout.trim() }] },
        log: { level: 'silent' },
      },
      'console-sign-in',
      dir,
    );
    bridge = await createBridge(config);
    url = await bridge.start();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await bridge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The console's page, with the CSP refusals it logs collected. */
  const consolePage = async (path = '/agent'): Promise<{ page: Page; refused: string[] }> => {
    const page = await browser.newPage();
    const refused = cspRefusals(page);
    await page.goto(`${url}${path}`);
    await page.waitForSelector('sb-sign-in form.password', { timeout: 15_000 });
    return { page, refused };
  };

  const signIn = async (page: Page, password: string) => {
    await page.type('#username', 'alice');
    await page.type('#password', password);
    await page.click('sb-sign-in button[type="submit"]');
  };

  it('serves the page for /agent and its client routes, with the hashed module beside it', async () => {
    const module = /src="\/agent\/(console-[0-9a-f]+\.js)"/.exec(readFileSync(join(root, 'console/dist/index.html'), 'utf8'))![1]!;
    for (const path of ['/agent', '/agent/', '/agent/conversations/c_1']) {
      const page = await fetch(`${url}${path}`);
      assert.equal(page.status, 200, path);
      assert.match(await page.text(), new RegExp(module), path);
    }
    const script = await fetch(`${url}/agent/${module}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
  });

  it('signs in with a password, connects as that agent, and signs out; no CSP violation', async () => {
    const { page, refused } = await consolePage();
    await signIn(page, PASSWORD);
    await page.waitForFunction(
      () => (document.querySelector('sb-console') as unknown as { client?: { session?: { self: string } } }).client?.session?.self === 'web:a_alice',
      { timeout: 15_000 },
    );
    await page.waitForSelector('sb-inbox');
    // The form went with its focus: a keyboard or screen reader goes on from the inbox's view.
    await page.waitForFunction(() => document.activeElement?.matches('sb-inbox .tabs button[aria-pressed="true"]'), { timeout: 15_000 });
    // A reload keeps the session (the cookie), with no password asked again.
    await page.reload();
    await page.waitForSelector('sb-inbox', { timeout: 15_000 });
    await page.click('button.sign-out');
    await page.waitForSelector('sb-sign-in form.password', { timeout: 15_000 });
    const session = (await page.evaluate(() => fetch('/agent/api/session').then((r) => r.json()))) as { signedIn: boolean };
    assert.equal(session.signedIn, false);
    assert.deepEqual(refused, []);
    await page.close();
  });

  it('says so when the password is wrong', async () => {
    const { page } = await consolePage('/agent/');
    await signIn(page, 'wrong password');
    await page.waitForFunction(() => document.querySelector('sb-sign-in [role="alert"]')?.textContent?.includes('username or password is wrong'), {
      timeout: 15_000,
    });
    assert.equal(await page.$('sb-inbox'), null);
    await page.close();
  });
});

// The site's own sign-in (console.identityUrl, docs/support-desk.md "Signing agents in"): the site's
// backend on its own origin answers the agent's identity with CORS; the console at /agent, on the
// bridge's origin that the site's `origins` do not list, connects with it and downloads the report.
describe('console identity sign-in at /agent', () => {
  const SECRET = 'identity-secret-0123456789abcdef';
  let dir: string;
  let bridge: Awaited<ReturnType<typeof createBridge>>;
  let url: string;
  let backend: Server;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-console-identity-'));
    backend = createServer((req, res) => {
      const hash = createHmac('sha256', SECRET).update('agent:alice').digest('hex');
      res.setHeader('Access-Control-Allow-Origin', url);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ siteKey: 'console-site', identity: { userId: 'alice', name: 'Alice', role: 'agent', hash } }));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        store: { type: 'sqlite', path: join(dir, 'bridge.db') },
        sites: [{ key: 'console-site', origins: ['https://shop.example'], identitySecret: SECRET }],
        teams: [{ id: 'support', members: [{ id: 'alice', name: 'Alice', addresses: ['web:a_alice'] }] }],
        console: { identityUrl: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/switchboard/agent-identity` },
        log: { level: 'silent' },
      },
      'console-identity',
      dir,
    );
    bridge = await createBridge(config);
    url = await bridge.start();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await bridge?.stop();
    await new Promise((resolve) => backend?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs in with the website's account, connects as that agent and downloads the report's CSV; no CSP violation", async () => {
    const page = await browser.newPage();
    const refused = cspRefusals(page);
    await page.goto(`${url}/agent`);
    await page.waitForSelector('sb-sign-in button.identity', { timeout: 15_000 });
    await page.click('sb-sign-in button.identity');
    await page.waitForFunction(
      () => (document.querySelector('sb-console') as unknown as { client?: { session?: { self: string } } }).client?.session?.self === 'web:a_alice',
      { timeout: 15_000 },
    );
    await page.waitForSelector('sb-inbox');

    await page.click('button.reports-toggle');
    await page.waitForSelector('sb-reports a.csv', { timeout: 15_000 });
    const [csv] = await Promise.all([page.waitForResponse((response) => response.url().includes('/agent/api/report.csv')), page.click('sb-reports a.csv')]);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-disposition'] ?? '', /^attachment; filename="report-team-/);
    assert.equal(await page.$('sb-reports [role="alert"]'), null);
    assert.deepEqual(refused, []);
    await page.close();
  });
});
