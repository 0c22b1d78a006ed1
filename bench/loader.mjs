#!/usr/bin/env node
/**
 * What the drop-in widget's loader (/widget.js) costs a page, in headless Chromium: the same page
 * with and without the one-tag embed, served by a real bridge on 127.0.0.1, each run a first visit
 * (a fresh browser context). For the page with the widget: the bytes transferred before its
 * launcher paints (Chrome DevTools Protocol network events), the loader's main-thread time (the
 * Performance domain's TaskDuration and ScriptDuration, against the page without the widget) and
 * the time from navigation start to the launcher painted (against the page's own first
 * contentful paint). Medians of BENCH_LOADER_RUNS runs, the two pages alternating. A report, not a
 * test: exits 0 whatever the figures (1 only if the benchmark cannot run).
 *
 * Run from the repository root once everything is built: `node bench/loader.mjs`. See bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { recordGoals } from './lib/goals.mjs';

const RUNS = Number(process.env.BENCH_LOADER_RUNS ?? 10);
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
/** How long a page is left after its launcher painted (or its load event) before its main-thread time is read. */
const SETTLE_MS = 500;
/** The loader's first load, as the size bench's goal: bytes on the wire, headers included. */
const GOAL_BYTES = 5 * 1024;
const SITE_KEY = 'bench-site';

if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`BENCH_LOADER_RUNS: must be an integer >= 1, got "${process.env.BENCH_LOADER_RUNS}"`);
  process.exit(1);
}

/** A plain article page, about the size of a small site's page; the embed is its only script. */
const page = (embed) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Order help</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>
<body>
<h1>Where is my order?</h1>
${Array.from({ length: 12 }, (_, i) => `<p>Paragraph ${i + 1}: orders leave the warehouse within two working days. The tracking link in the confirmation email shows where a parcel is; a parcel that has not moved for five days may be held at a depot, and our team can ask the carrier for you.</p>`).join('\n')}
${embed ? `<script src="/widget.js" data-site-key="${SITE_KEY}" async></script>` : ''}
</body>
</html>
`;

/**
 * Runs in each page before its own scripts (the CDP's script for new documents, which the page's
 * CSP does not govern): once the loader's launcher is in the DOM, the time of the frame that
 * paints it (a task posted from requestAnimationFrame runs after that frame's paint).
 */
function watchLauncher() {
  const launcher = () => document.querySelector('switchboard-chat > div')?.shadowRoot?.querySelector('button');
  window.__launcherPainted = new Promise((resolve) => {
    const painted = () =>
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now());
        channel.port2.postMessage(null);
      });
    const observer = new MutationObserver(() => {
      if (!launcher()) return;
      observer.disconnect();
      painted();
    });
    observer.observe(document, { childList: true, subtree: true });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function startBridge(dir) {
  const { createBridge, parseConfig } = await import('../bridge-server/dist/index.js');
  writeFileSync(join(dir, 'with.html'), page(true));
  writeFileSync(join(dir, 'without.html'), page(false));
  const bridge = await createBridge(
    parseConfig(
      {
        server: { host: '127.0.0.1', port: 0, static: dir },
        store: { type: 'sqlite', path: join(dir, 'bench.db') },
        sites: [{ key: SITE_KEY, origins: ['*'] }],
        log: { level: 'silent' },
      },
      'bench',
      dir,
    ),
  );
  return { bridge, url: await bridge.start() };
}

/**
 * One first visit of a page. Every response's bytes on the wire (CDP `encodedDataLength`) and when
 * it finished, mapped onto the page's clock (the document request's wall time against its
 * monotonic timestamp); the launcher's paint time (or the first contentful paint without the
 * widget); then, once the page has settled, its main-thread time so far.
 */
async function visit(browser, url, withWidget) {
  const context = await browser.createBrowserContext();
  try {
    const tab = await context.newPage();
    const cdp = await tab.createCDPSession();
    const requests = new Map();
    let clockOffsetMs;
    cdp.on('Network.requestWillBeSent', ({ requestId, request, timestamp, wallTime, type }) => {
      if (clockOffsetMs === undefined && type === 'Document') clockOffsetMs = wallTime * 1000 - timestamp * 1000;
      requests.set(requestId, { url: request.url, bytes: 0, finished: Infinity });
    });
    cdp.on('Network.loadingFinished', ({ requestId, timestamp, encodedDataLength }) => {
      const entry = requests.get(requestId);
      if (entry) Object.assign(entry, { bytes: encodedDataLength, finished: timestamp * 1000 });
    });
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await tab.evaluateOnNewDocument(watchLauncher);
    await tab.goto(`${url}/${withWidget ? 'with' : 'without'}.html`, { waitUntil: 'load' });
    const { paintedAt, timeOrigin } = await tab.evaluate(async (waitForLauncher) => {
      const paintedAt = waitForLauncher
        ? await window.__launcherPainted
        : (performance.getEntriesByName('first-contentful-paint')[0]?.startTime ??
          (await new Promise((resolve) =>
            new PerformanceObserver((list) => resolve(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true }),
          )));
      return { paintedAt, timeOrigin: performance.timeOrigin };
    }, withWidget);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const { metrics } = await cdp.send('Performance.getMetrics');
    const metric = (name) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
    // The page's wall clock at the paint, on the network events' monotonic clock.
    const paintedMonotonic = timeOrigin + paintedAt - clockOffsetMs;
    const before = [...requests.values()].filter((request) => request.finished <= paintedMonotonic);
    return {
      paintedAt,
      taskMs: metric('TaskDuration'),
      scriptMs: metric('ScriptDuration'),
      requests: before,
    };
  } finally {
    await context.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-loader-bench-'));
let bridge;
let browser;
try {
  const started = await startBridge(dir);
  bridge = started.bridge;
  const { url } = started;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  process.stderr.write(`loader bench: ${await browser.version()}, ${RUNS} runs per page\n`);
  // Warm-up (the bridge's first answers, Chromium's first process): not counted.
  await visit(browser, url, true);
  await visit(browser, url, false);
  const runs = { with: [], without: [] };
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 ? [false, true] : [true, false];
    for (const withWidget of order) runs[withWidget ? 'with' : 'without'].push(await visit(browser, url, withWidget));
  }
  // The page's own requests (its document, a favicon) are those the page without the widget makes too.
  const pageOwn = (request) => !/\/widget(\.js|\/)/.test(new URL(request.url).pathname);
  const sum = (requests) => requests.reduce((total, request) => total + request.bytes, 0);
  const widgetBytes = median(runs.with.map((run) => sum(run.requests.filter((request) => !pageOwn(request)))));
  const widgetFiles = [...new Set(runs.with.flatMap((run) => run.requests.filter((request) => !pageOwn(request)).map((r) => new URL(r.url).pathname)))];
  const pageBytes = median(runs.without.map((run) => sum(run.requests)));
  const taskWith = median(runs.with.map((run) => run.taskMs));
  const taskWithout = median(runs.without.map((run) => run.taskMs));
  const scriptWith = median(runs.with.map((run) => run.scriptMs));
  const scriptWithout = median(runs.without.map((run) => run.scriptMs));
  const painted = median(runs.with.map((run) => run.paintedAt));
  const contentful = median(runs.without.map((run) => run.paintedAt));
  const ms = (value) => `${value.toFixed(1)} ms`;
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

  console.log(`Loader on a page, headless Chromium (${await browser.version()}), median of ${RUNS} first visits per page`);
  console.log(['figure'.padEnd(44), 'page without widget'.padStart(22), 'page with widget'.padStart(20), 'widget adds'.padStart(14)].join(''));
  console.log(
    [
      'bytes before the launcher paints'.padEnd(44),
      `${pageBytes} B`.padStart(22),
      `${pageBytes + widgetBytes} B`.padStart(20),
      `${widgetBytes} B`.padStart(14),
    ].join(''),
  );
  console.log(['main-thread tasks'.padEnd(44), ms(taskWithout).padStart(22), ms(taskWith).padStart(20), ms(taskWith - taskWithout).padStart(14)].join(''));
  console.log(
    ['  of which script'.padEnd(44), ms(scriptWithout).padStart(22), ms(scriptWith).padStart(20), ms(scriptWith - scriptWithout).padStart(14)].join(''),
  );
  console.log(['first contentful paint / launcher painted'.padEnd(44), ms(contentful).padStart(22), ms(painted).padStart(20), ''.padStart(14)].join(''));
  console.log(`the widget's transfers before its launcher paints: ${widgetFiles.join(', ')}`);
  console.log(
    `goal: the widget's bytes before its launcher paints <= ${kb(GOAL_BYTES)}: ${widgetBytes <= GOAL_BYTES ? 'met' : 'not met'} (${kb(widgetBytes)})`,
  );
  recordGoals('loader', [
    {
      figure: 'loader: bytes before the launcher paints',
      now: `${kb(widgetBytes)} (${widgetFiles.join(', ')}, headers included)`,
      peer: `page without the widget: ${kb(pageBytes)}`,
      goal: `<= ${kb(GOAL_BYTES)} gzip`,
      met: widgetBytes <= GOAL_BYTES,
    },
    {
      figure: 'loader: main-thread time',
      now: `+${ms(taskWith - taskWithout)} tasks (+${ms(scriptWith - scriptWithout)} script)`,
      peer: `page without the widget: ${ms(taskWithout)} tasks`,
      goal: '',
      met: null,
    },
    {
      figure: 'loader: time to launcher painted',
      now: `${ms(painted)} from navigation start`,
      peer: `page without the widget, first contentful paint: ${ms(contentful)}`,
      goal: '',
      met: null,
    },
  ]);
  console.log(
    JSON.stringify({
      bench: 'loader',
      runs: RUNS,
      widgetBytesBeforePaint: widgetBytes,
      pageBytes,
      taskMs: { with: taskWith, without: taskWithout },
      scriptMs: { with: scriptWith, without: scriptWithout },
      launcherPaintedMs: painted,
      firstContentfulPaintMs: contentful,
    }),
  );
} catch (error) {
  console.error('loader bench could not run:', error);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await bridge?.stop();
  rmSync(dir, { recursive: true, force: true });
}
