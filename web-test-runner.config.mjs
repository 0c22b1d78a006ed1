// Browser tier: the SDK, the widget and the agent console in real Chromium, against a real bridge that this
// config starts for the run (its URL and a demo agent identity are served at /__bridge).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { rollup } from 'rollup';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { createBridge, identityHash, parseConfig } from '@switchboard/bridge-server';
import { countReporter } from './scripts/wtr-count-reporter.mjs';
import { continuationBridgePlugin } from './widget/test/browser/continuation-bridge.mjs';
import { xmppFilesBridgePlugin } from './widget/test/browser/xmpp-files-bridge.mjs';

const SECRET = 'browser-identity-secret-0123456789';

/** Starts a bridge that allows the test page's origin, and tells the page where it is. */
function bridgePlugin() {
  let bridge;
  let url;
  let dir;
  return {
    name: 'switchboard-bridge',
    async serverStart({ config }) {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-wtr-'));
      const pageOrigins = [`http://${config.hostname}:${config.port}`, `http://localhost:${config.port}`];
      const bridgeConfig = parseConfig(
        {
          server: { host: '127.0.0.1', port: 0, drainSeconds: 1 },
          store: { type: 'sqlite', path: join(dir, 'bridge.db') },
          sites: [
            // Files as a site may limit them (widget/test/browser/files.test.ts): images, plain text and PDF, 256 KiB each.
            {
              key: 'browser-site',
              origins: pageOrigins,
              identitySecret: SECRET,
              files: { types: ['image/*', 'text/plain', 'application/pdf'], maxFileBytes: 256 * 1024 },
            },
            { key: 'locked-site', origins: ['https://elsewhere.test'] },
          ],
          // Canned replies for the console's `/` completion (console/test/browser).
          teams: [
            {
              id: 'support',
              members: ['web:a_agent'],
              capacity: 1000,
              canned: { thanks: 'Thanks for your patience!', shipping: 'Orders ship within 2 days.' },
            },
            // One agent with room for one conversation: the next waits in the queue (widget/test/browser/widget.test.ts).
            { id: 'queue', members: ['web:a_queuer'], capacity: 1 },
            // Offers with a deadline the console counts down (console/test/browser/conversation.test.ts).
            { id: 'offers', members: ['web:a_agent'], capacity: 1000, offerTimeoutSeconds: 600 },
          ],
          networks: [{ type: 'web', presenceGraceMs: 100 }],
          limits: { ratePerSecond: 1000, burst: 1000 },
          log: { level: 'silent' },
        },
        'web-test-runner',
        dir,
      );
      bridge = await createBridge(bridgeConfig);
      url = await bridge.start();
    },
    async serverStop() {
      await bridge?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    async serve(context) {
      const agent = { userId: 'agent', name: 'Agent', role: 'agent', hash: identityHash(SECRET, 'agent', 'agent') };
      // The console's identity sign-in: what a site's backend answers its signed-in agent, and a
      // console session offering that way only (console/test/browser/panels.test.ts).
      if (context.path === '/__console/identity') return { body: JSON.stringify({ siteKey: 'browser-site', identity: agent }), type: 'application/json' };
      if (context.path === '/__console/api/session')
        return {
          body: JSON.stringify({ signedIn: false, csrfToken: 'unused', methods: ['identity'], identityUrl: '/__console/identity' }),
          type: 'application/json',
        };
      // A subject as the email network keeps it from a customer's first mail (console/test/browser/conversation.test.ts).
      if (context.path === '/__bridge/subject') {
        const { conversation, subject } = Object.fromEntries(new URL(context.url, 'http://page').searchParams);
        await bridge.store.setConversationSubject(conversation, subject);
        return { body: '{}', type: 'application/json' };
      }
      // A user of the website's own, for a test that needs one nobody else signed in as (widget/test/browser/widget.test.ts).
      if (context.path === '/__bridge/visitor') {
        const userId = new URL(context.url, 'http://page').searchParams.get('userId') ?? '';
        return { body: JSON.stringify({ userId, hash: identityHash(SECRET, 'visitor', userId) }), type: 'application/json' };
      }
      if (context.path !== '/__bridge') return undefined;
      // What a website's backend hands its logged-in user for the widget's identify().
      const user = { userId: 'user-7', name: 'Uma', email: 'uma@example.com', hash: identityHash(SECRET, 'visitor', 'user-7') };
      const queuer = { userId: 'queuer', name: 'Quinn', role: 'agent', hash: identityHash(SECRET, 'agent', 'queuer') };
      return { body: JSON.stringify({ url, siteKey: 'browser-site', lockedSiteKey: 'locked-site', agent, user, queuer }), type: 'application/json' };
    },
  };
}

/**
 * React ships CommonJS only, and React apps are bundled: /__react.js is React 19 bundled as an ES
 * module (production build), as a bundler would ship it.
 */
function reactBundlePlugin() {
  let code;
  return {
    name: 'react-bundle',
    async serve(context) {
      if (context.path !== '/__react.js') return undefined;
      code ??= await (async () => {
        const entry = '\0react-entry';
        const bundle = await rollup({
          input: entry,
          plugins: [
            {
              name: 'react-entry',
              resolveId: (id) => (id === entry ? entry : null),
              load: (id) =>
                id === entry
                  ? "import * as React from 'react'; import { createRoot } from 'react-dom/client'; import { flushSync } from 'react-dom'; export { React, createRoot, flushSync };"
                  : null,
            },
            {
              name: 'node-env',
              transform: (source) => (source.includes('process.env.NODE_ENV') ? source.replaceAll('process.env.NODE_ENV', '"production"') : null),
            },
            nodeResolve({ browser: true }),
            commonjs(),
          ],
          onwarn: () => {},
        });
        const { output } = await bundle.generate({ format: 'es' });
        await bundle.close();
        return output[0].code;
      })();
      return { body: code, type: 'js' };
    },
  };
}

export default {
  files: process.env.WTR_FILES
    ? [process.env.WTR_FILES]
    : ['sdk/test/browser/**/*.test.ts', 'widget/test/browser/**/*.test.ts', 'console/test/browser/**/*.test.ts'],
  hostname: '127.0.0.1',
  nodeResolve: { browser: true, exportConditions: ['browser', 'production'] },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), reactBundlePlugin(), bridgePlugin(), continuationBridgePlugin(), xmppFilesBridgePlugin()],
  concurrency: 1,
  testFramework: { config: { timeout: 30000 } },
  reporters: [defaultReporter(), countReporter()],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [
          '--headless=new',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--disable-quic',
        ],
      },
    }),
  ],
};
