// Size of the drop-in widget (/widget.js: widget + SDK + lit + socket.io-client), gzip and brotli,
// against the floor of lit + socket.io-client bundled alone with the same settings, in one run.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';

const GOAL_GZIP_BYTES = 20 * 1024;
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

const widget = readFileSync(new URL('../widget/dist/widget.js', import.meta.url));
const floorCode = await floor();
const rows = [
  ['/widget.js (widget + SDK + lit + socket.io-client)', widget.length, gzip(widget), brotli(widget)],
  ['floor: lit + socket.io-client alone', Buffer.byteLength(floorCode), gzip(floorCode), brotli(floorCode)],
];
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log('Widget bundle size');
console.log(['bundle'.padEnd(52), 'minified'.padStart(10), 'gzip'.padStart(10), 'brotli'.padStart(10)].join(''));
for (const [name, raw, gz, br] of rows) console.log([name.padEnd(52), kb(raw).padStart(10), kb(gz).padStart(10), kb(br).padStart(10)].join(''));
const [, , widgetGzip, widgetBrotli] = rows[0];
const [, , floorGzip, floorBrotli] = rows[1];
console.log(`ratio to the floor: gzip ${(widgetGzip / floorGzip).toFixed(2)}x, brotli ${(widgetBrotli / floorBrotli).toFixed(2)}x`);
console.log(`goal: <= ${kb(GOAL_GZIP_BYTES)} gzip total: ${widgetGzip <= GOAL_GZIP_BYTES ? 'met' : 'not met'} (${kb(widgetGzip)})`);
console.log(JSON.stringify({ bench: 'size', widget: { raw: rows[0][1], gzip: widgetGzip, brotli: widgetBrotli }, floor: { raw: rows[1][1], gzip: floorGzip, brotli: floorBrotli }, goalGzip: GOAL_GZIP_BYTES }));
