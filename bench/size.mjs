// Size of the drop-in widget, gzip and brotli: the loader (/widget.js, what a page pays before any
// intent) and the chat chunk it fetches (widget + SDK + lit + socket.io-client), against the floor
// of lit + socket.io-client bundled alone with the same settings, in one run.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';

/** What a page pays before the visitor shows intent. */
const GOAL_FIRST_LOAD_GZIP = 5 * 1024;
/** Loader and chat together. */
const GOAL_GZIP_BYTES = 26 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));

const gzip = (code) => gzipSync(code, { level: 9 }).length;
const brotli = (code) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** lit + socket.io-client, each fully used, as one minified IIFE: the least a Lit widget on socket.io weighs. */
async function floor() {
  const entry = '\0floor-entry';
  const bundle = await rollup({
    input: entry,
    plugins: [
      {
        name: 'floor-entry',
        resolveId: (id) => (id === entry ? entry : null),
        load: (id) =>
          id === entry
            ? `import { LitElement, html, css, svg, nothing } from 'lit';
               import { property, state, query } from 'lit/decorators.js';
               import { io } from 'socket.io-client';
               window.__floor = { LitElement, html, css, svg, nothing, property, state, query, io };`
            : null,
      },
      nodeResolve({ browser: true, rootDir: root, exportConditions: ['browser', 'import', 'default'] }),
      commonjs(),
      terser({ format: { comments: false } }),
    ],
    onwarn: () => {},
  });
  const { output } = await bundle.generate({ format: 'iife' });
  await bundle.close();
  return output[0].code;
}

const loader = readFileSync(new URL('../widget/dist/widget.js', import.meta.url));
const chunkDir = new URL('../widget/dist/chunks/', import.meta.url);
// The chunk this loader names (the previous build's may still stand beside it).
const chat = readFileSync(new URL(/chat-[\w-]+\.js/.exec(loader.toString())[0], chunkDir));
const floorCode = await floor();
const row = (name, code) => [name, code.length, gzip(code), brotli(code)];
const rows = [
  row('/widget.js (the loader: launcher + API queue)', loader),
  row('/widget/chat-*.js (widget + SDK + lit + socket.io)', chat),
  ['everything (loader + chat)', loader.length + chat.length, gzip(loader) + gzip(chat), brotli(loader) + brotli(chat)],
  row('floor: lit + socket.io-client alone', Buffer.from(floorCode)),
];
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log('Widget bundle size');
console.log(['bundle'.padEnd(52), 'minified'.padStart(10), 'gzip'.padStart(10), 'brotli'.padStart(10)].join(''));
for (const [name, raw, gz, br] of rows) console.log([name.padEnd(52), kb(raw).padStart(10), kb(gz).padStart(10), kb(br).padStart(10)].join(''));
const [, , firstGzip] = rows[0];
const [, , totalGzip, totalBrotli] = rows[2];
const [, , floorGzip, floorBrotli] = rows[3];
const verdict = (ok) => (ok ? 'met' : 'not met');
console.log(`ratio of everything to the floor: gzip ${(totalGzip / floorGzip).toFixed(2)}x, brotli ${(totalBrotli / floorBrotli).toFixed(2)}x`);
console.log(`goal: first load <= ${kb(GOAL_FIRST_LOAD_GZIP)} gzip: ${verdict(firstGzip <= GOAL_FIRST_LOAD_GZIP)} (${kb(firstGzip)})`);
console.log(`goal: everything <= ${kb(GOAL_GZIP_BYTES)} gzip: ${verdict(totalGzip <= GOAL_GZIP_BYTES)} (${kb(totalGzip)})`);
console.log(
  JSON.stringify({
    bench: 'size',
    loader: { raw: rows[0][1], gzip: firstGzip, brotli: rows[0][3] },
    chat: { raw: rows[1][1], gzip: rows[1][2], brotli: rows[1][3] },
    floor: { raw: rows[3][1], gzip: floorGzip, brotli: floorBrotli },
    goals: { firstLoadGzip: GOAL_FIRST_LOAD_GZIP, totalGzip: GOAL_GZIP_BYTES },
  }),
);
