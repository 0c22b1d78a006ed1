// Size of the drop-in widget, gzip and brotli: the loader (/widget.js, what a page pays before any
// intent), the chat chunk it fetches (widget + SDK + lit + socket.io-client) and the catalogue
// chunk of a page's language other than English, against the floor of lit + socket.io-client
// bundled alone with the same settings, in one run; beside them the agent console's module (served at
// /agent, fetched by agents only). Then where the chat chunk's bytes go, and how
// a real bridge serves the loader and the chat: the bytes it sends for each Accept-Encoding.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { minify } from 'terser';
import { browserPlugins, chatChunkModules, compactTemplates, terserOptions } from '../rollup.config.mjs';
import { recordGoals } from './lib/goals.mjs';

/** What a page pays before the visitor shows intent. */
const GOAL_FIRST_LOAD_GZIP = 5 * 1024;
/** Loader and chat together (and a page's catalogue, when not English). */
const GOAL_GZIP_BYTES = 26 * 1024;
/** Modules listed by name in the breakdown. */
const TOP_MODULES = 15;
const root = fileURLToPath(new URL('..', import.meta.url));

const gzip = (code) => gzipSync(code, { level: 9 }).length;
const brotli = (code) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** Bundles an in-memory entry (or a file) as one IIFE; `minify: false` keeps each module's code apart for the breakdown. */
async function bundleOf(input, source, { minify: minified = true, plugins = [] } = {}) {
  const bundle = await rollup({
    input,
    plugins: [
      ...(source ? [{ name: 'entry', resolveId: (id) => (id === input ? input : null), load: (id) => (id === input ? source : null) }] : []),
      ...plugins,
      ...browserPlugins({ minify: minified }),
    ],
    onwarn: () => {},
  });
  const { output } = await bundle.generate({ format: 'iife' });
  await bundle.close();
  return output[0];
}

/** lit + socket.io-client, each fully used, as one minified IIFE: the least a Lit widget on socket.io weighs. */
async function floor() {
  const chunk = await bundleOf(
    '\0floor-entry',
    `import { LitElement, html, css, svg, nothing } from 'lit';
     import { property, state, query } from 'lit/decorators.js';
     import { io } from 'socket.io-client';
     window.__floor = { LitElement, html, css, svg, nothing, property, state, query, io };`,
  );
  return Buffer.from(chunk.code);
}

/** Where a module comes from: its package, or its workspace package (`@switchboard/widget`). */
function packageOf(id) {
  const inModules = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(id);
  if (inModules) return inModules[1].replace('\\', '/');
  const workspace = /[\\/](protocol|sdk|widget)[\\/]dist[\\/]/.exec(id);
  return workspace ? `@switchboard/${workspace[1]}` : id.replace('\0', '');
}

/**
 * The chat chunk's modules as tree-shaking leaves them, each minified on its own; the chunk's real
 * gzip size is shared out in proportion to their minified sizes (an estimate: gzip works on the whole).
 */
async function breakdown(chatGzip) {
  const chunk = await bundleOf('widget/dist/embed.js', null, { minify: false, plugins: [chatChunkModules(), compactTemplates()] });
  const modules = [];
  for (const [id, module] of Object.entries(chunk.modules)) {
    if (!module.code) continue;
    const { code = '' } = await minify(module.code, { ...terserOptions, module: false, toplevel: false });
    modules.push({
      name: id.startsWith(root) ? id.slice(root.length).replace(/^node_modules[\\/]/, '') : id.replace('\0', ''),
      pkg: packageOf(id),
      rendered: module.renderedLength,
      minified: code.length,
    });
  }
  const total = modules.reduce((sum, module) => sum + module.minified, 0);
  const share = (minified) => (minified / total) * chatGzip;
  const packages = new Map();
  for (const module of modules) {
    const entry = packages.get(module.pkg) ?? { rendered: 0, minified: 0, count: 0 };
    entry.rendered += module.rendered;
    entry.minified += module.minified;
    entry.count += 1;
    packages.set(module.pkg, entry);
  }
  const byMinified = (a, b) => b[1].minified - a[1].minified;
  const line = (name, rendered, minified) =>
    [
      name.padEnd(60),
      kb(rendered).padStart(10),
      kb(minified).padStart(10),
      kb(share(minified)).padStart(10),
      `${((minified / total) * 100).toFixed(1)}%`.padStart(8),
    ].join('');
  console.log(`\nWhere the chat chunk's bytes go (${modules.length} modules after tree-shaking)`);
  console.log(['package'.padEnd(60), 'rendered'.padStart(10), 'minified'.padStart(10), 'gzip est.'.padStart(10), 'share'.padStart(8)].join(''));
  for (const [name, entry] of [...packages].sort(byMinified)) console.log(line(`${name} (${entry.count})`, entry.rendered, entry.minified));
  console.log(['module (top ' + TOP_MODULES + ')'].join('').padEnd(60));
  for (const module of modules.sort((a, b) => b.minified - a.minified).slice(0, TOP_MODULES)) console.log(line(module.name, module.rendered, module.minified));
  return [...packages].sort(byMinified).map(([name, entry]) => ({ name, minified: entry.minified, gzipEstimate: Math.round(share(entry.minified)) }));
}

/** A GET with exactly these headers (fetch would undo the encoding): status, headers and the bytes sent. */
function fetchRaw(url, headers) {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(chunks).length }));
    }).on('error', reject);
  });
}

/**
 * The loader and the chat chunk from a real bridge (its dist, on 127.0.0.1), asked as a browser
 * asks (`br`), as an older one (`gzip`) and with no encoding: the bytes sent for both, and whether
 * each compressed answer says its encoding, varies on Accept-Encoding and has an ETag.
 */
async function served(paths) {
  const { createBridge, parseConfig } = await import('../bridge-server/dist/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-size-'));
  const bridge = await createBridge(
    parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        store: { type: 'sqlite', path: join(dir, 'bench.db') },
        sites: [{ key: 'bench-site', origins: ['*'] }],
        log: { level: 'silent' },
      },
      'bench',
      dir,
    ),
  );
  try {
    const url = await bridge.start();
    const ask = async (acceptEncoding) => {
      const answers = await Promise.all(paths.map((path) => fetchRaw(`${url}${path}`, { 'accept-encoding': acceptEncoding })));
      const expected = acceptEncoding === 'identity' ? undefined : acceptEncoding.split(',')[0];
      return {
        bytes: answers.reduce((sum, answer) => sum + answer.bytes, 0),
        encodings: [...new Set(answers.map((answer) => answer.headers['content-encoding'] ?? 'none'))].join('/'),
        right: answers.every(
          (answer) =>
            answer.status === 200 &&
            answer.headers['content-encoding'] === expected &&
            /accept-encoding/i.test(String(answer.headers.vary)) &&
            Boolean(answer.headers.etag),
        ),
      };
    };
    return { br: await ask('br'), gzip: await ask('gzip'), identity: await ask('identity') };
  } finally {
    await bridge.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const loader = readFileSync(new URL('../widget/dist/widget.js', import.meta.url));
const chunkDir = new URL('../widget/dist/chunks/', import.meta.url);
// The chunks this loader names (the previous build's may still stand beside them).
const named = loader.toString().match(/chat-[\w-]+\.js/g) ?? [];
const chatName = named.find((name) => /^chat-[0-9a-f]+\.js$/.test(name));
const chat = readFileSync(new URL(chatName, chunkDir));
const locales = named
  .filter((name) => name !== chatName)
  .map((name) => ({ language: /^chat-(.+)-[0-9a-f]+\.js$/.exec(name)[1], code: readFileSync(new URL(name, chunkDir)) }))
  .sort((a, b) => a.language.localeCompare(b.language));
const consoleDir = new URL('../console/dist/', import.meta.url);
const consoleName = readdirSync(consoleDir).find((file) => /^console-[0-9a-f]+\.js$/.test(file));
const consoleCode = readFileSync(new URL(consoleName, consoleDir));
const stray = readdirSync(chunkDir).filter((file) => file.endsWith('.js') && !named.includes(file));
const floorCode = await floor();

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const verdict = (ok) => (ok ? 'met' : 'not met');
const sizes = (...codes) => ({
  raw: codes.reduce((sum, code) => sum + code.length, 0),
  gzip: codes.reduce((sum, code) => sum + gzip(code), 0),
  brotli: codes.reduce((sum, code) => sum + brotli(code), 0),
});
const rows = [
  { name: '/widget.js (the loader: launcher + API queue)', ...sizes(loader), goal: GOAL_FIRST_LOAD_GZIP },
  { name: '/widget/chat-*.js (widget + SDK + lit + socket.io)', ...sizes(chat) },
  ...locales.map(({ language, code }) => ({ name: `/widget/chat-${language}-*.js (${language} catalogue, on demand)`, ...sizes(code) })),
  { name: 'everything (loader + chat), English page', ...sizes(loader, chat), goal: GOAL_GZIP_BYTES },
  ...locales.map(({ language, code }) => ({
    name: `everything, ${language} page (loader + chat + ${language})`,
    ...sizes(loader, chat, code),
    goal: GOAL_GZIP_BYTES,
  })),
  { name: '/agent/console-*.js (console+SDK+lit+socket.io, en/fr/ar)', ...sizes(consoleCode) },
  { name: 'floor: lit + socket.io-client alone', ...sizes(floorCode) },
];
console.log('Widget bundle size');
console.log(['bundle'.padEnd(60), 'minified'.padStart(10), 'gzip'.padStart(10), 'brotli'.padStart(10), '  goal (gzip)'].join(''));
for (const { name, raw, gzip: gz, brotli: br, goal } of rows) {
  const target = goal === undefined ? '  -' : `  <= ${kb(goal)}: ${verdict(gz <= goal)}`;
  console.log([name.padEnd(60), kb(raw).padStart(10), kb(gz).padStart(10), kb(br).padStart(10), target].join(''));
}
const first = rows[0];
const everything = rows.find((row) => row.name.startsWith('everything (loader + chat)'));
const floorRow = rows.at(-1);
console.log(
  `ratio of everything to the floor: gzip ${(everything.gzip / floorRow.gzip).toFixed(2)}x, brotli ${(everything.brotli / floorRow.brotli).toFixed(2)}x`,
);
const consoleRow = rows.at(-2);
console.log(
  `console against the widget's chat chunk: gzip ${(consoleRow.gzip / rows[1].gzip).toFixed(2)}x; against the floor: gzip ${(consoleRow.gzip / floorRow.gzip).toFixed(2)}x, brotli ${(consoleRow.brotli / floorRow.brotli).toFixed(2)}x`,
);
console.log(`goal: first load <= ${kb(GOAL_FIRST_LOAD_GZIP)} gzip: ${verdict(first.gzip <= GOAL_FIRST_LOAD_GZIP)} (${kb(first.gzip)})`);
const worst = rows.filter((row) => row.name.startsWith('everything')).reduce((a, b) => (b.gzip > a.gzip ? b : a));
console.log(
  `goal: everything <= ${kb(GOAL_GZIP_BYTES)} gzip: ${verdict(worst.gzip <= GOAL_GZIP_BYTES)} (${kb(everything.gzip)} for an English page, ${kb(worst.gzip)} at most)`,
);
recordGoals('size', [
  {
    figure: '/widget.js, gzip: first load (the loader)',
    now: kb(first.gzip),
    peer: `lit + socket.io-client alone: ${kb(floorRow.gzip)}`,
    goal: `<= ${kb(GOAL_FIRST_LOAD_GZIP)}`,
    met: first.gzip <= GOAL_FIRST_LOAD_GZIP,
  },
  {
    figure: 'widget, gzip: everything (loader + chat + catalogue)',
    now: `${kb(worst.gzip)} (${(worst.gzip / floorRow.gzip).toFixed(2)}x floor)`,
    peer: `lit + socket.io-client alone: ${kb(floorRow.gzip)}`,
    goal: `<= ${kb(GOAL_GZIP_BYTES)}`,
    met: worst.gzip <= GOAL_GZIP_BYTES,
  },
]);
if (stray.length > 0) console.log(`kept for pages holding the previous loader: ${stray.join(', ')}`);
const encoding = await served(['/widget.js', `/widget/${chatName}`]);
const servedWell = encoding.br.right && encoding.gzip.right;
console.log(`\nServed by a bridge: /widget.js + /widget/${chatName}`);
for (const [name, { bytes, encodings }] of Object.entries(encoding)) {
  console.log(`  Accept-Encoding ${name.padEnd(8)} ${String(bytes).padStart(7)} bytes sent (Content-Encoding ${encodings})`);
}
console.log(`goal: brotli/gzip served with Content-Encoding, Vary: Accept-Encoding and an ETag: ${verdict(servedWell)}`);
recordGoals('size', [
  {
    figure: 'served encoding: bytes sent for /widget.js + chat chunk',
    now: `br: ${encoding.br.bytes} B, gzip: ${encoding.gzip.bytes} B (of ${encoding.identity.bytes})`,
    peer: `uncompressed: ${encoding.identity.bytes} B`,
    goal: 'brotli/gzip served (Content-Encoding, Vary, ETag)',
    met: servedWell,
  },
]);
const packages = await breakdown(rows[1].gzip);
console.log(
  JSON.stringify({
    bench: 'size',
    loader: { raw: first.raw, gzip: first.gzip, brotli: first.brotli },
    chat: { raw: rows[1].raw, gzip: rows[1].gzip, brotli: rows[1].brotli },
    locales: Object.fromEntries(locales.map(({ language, code }) => [language, sizes(code)])),
    console: { raw: consoleRow.raw, gzip: consoleRow.gzip, brotli: consoleRow.brotli },
    floor: { raw: floorRow.raw, gzip: floorRow.gzip, brotli: floorRow.brotli },
    goals: { firstLoadGzip: GOAL_FIRST_LOAD_GZIP, totalGzip: GOAL_GZIP_BYTES },
    served: encoding,
    packages,
  }),
);
