// The console under another console.path than /agent, in Chromium: its module and API found there,
// the demo's one-click buttons named by the bridge (`demoAgents`), and no Content-Security-Policy
// violation (docs/protocol.md, HTTP "The agent console").
import { mkdtempSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBridge, identityHash, parseConfig } from '@switchboard/bridge-server';
import type { Browser } from 'puppeteer-core';
import { cspRefusals, launchChromium } from './chromium.js';

const SITE = 'path-site';
const SECRET = 'path-site-identity-secret-0123456789';

describe('console under /support/desk', () => {
  let dir: string;
  let bridge: Awaited<ReturnType<typeof createBridge>>;
  let url: string;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-console-path-'));
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        store: { type: 'sqlite', path: join(dir, 'bridge.db') },
        sites: [{ key: SITE, origins: ['https://shop.example'], identitySecret: SECRET }],
        teams: [{ id: 'support', members: [{ id: 'zoe', name: 'Zoe', addresses: ['web:a_zoe'] }] }],
        console: { path: '/support/desk', demoSignIn: true },
        log: { level: 'silent' },
      },
      'console-path',
      dir,
    );
    bridge = await createBridge(config, {
      // What the demo's server does for its one-click sign-in (demo/server.mjs).
      routes(app) {
        app.get('/demo/agent-identity', (req, res) => {
          const userId = typeof req.query.user === 'string' ? req.query.user : '';
          res.json({ siteKey: SITE, identity: { userId, name: userId, role: 'agent', hash: identityHash(SECRET, 'agent', userId) } });
        });
      },
    });
    url = await bridge.start();
    // The identity handshake comes from the console's page: the bridge's own origin (as demo/server.mjs allows it).
    config.sites[0]!.origins.push(new URL(url).origin);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await bridge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads at a client route there, signs in with the bridge's demo agent, and connects; no CSP violation", async () => {
    const page = await browser.newPage();
    const refused = cspRefusals(page);
    await page.goto(`${url}/support/desk/conversations/c_1`);
    await page.waitForSelector('sb-sign-in .demo button[data-agent="zoe"]', { timeout: 15_000 });
    assert.deepEqual(await page.$$eval('sb-sign-in button.demo-agent', (buttons) => buttons.map((b) => b.dataset.agent)), ['zoe']);
    await page.click('sb-sign-in button.demo-agent');
    await page.waitForFunction(
      () => (document.querySelector('sb-console') as unknown as { client?: { session?: { self: string } } }).client?.session?.self === 'web:a_zoe',
      { timeout: 15_000 },
    );
    await page.waitForSelector('sb-inbox');
    assert.deepEqual(refused, []);
    await page.close();
  });
});
