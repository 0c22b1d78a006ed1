// Bundles for browsers from the compiled ESM (tsc -b runs first): the widget as a small loader
// served as /widget.js and the chat it fetches on intent (/widget/chat-<hash>.js), and the SDK as
// an ES module (/sdk.js) and an IIFE exposing window.Switchboard. Each bundle is also written
// precompressed (.br, .gz) for the bridge to serve. Type declarations come from tsc.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/**
 * The SDK connects with WebSocket, falling back to long-polling; engine.io's WebTransport transport
 * is never chosen, so the bundles carry a stub in its place (the import stays satisfied).
 */
const withoutWebTransport = () => ({
  name: 'without-webtransport',
  load: (id) => (/engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]webtransport\.js$/.test(id) ? 'export class WT {}' : null),
});

/** Writes `<file>.br` and `<file>.gz` beside each JavaScript file of the output. */
const precompressed = () => ({
  name: 'precompressed',
  writeBundle(options, bundle) {
    const dir = options.dir ?? options.file.slice(0, options.file.lastIndexOf('/'));
    for (const name of Object.keys(bundle).filter((file) => file.endsWith('.js'))) {
      const code = readFileSync(`${dir}/${name}`);
      writeFileSync(`${dir}/${name}.br`, brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      writeFileSync(`${dir}/${name}.gz`, gzipSync(code, { level: 9 }));
    }
  },
});

const plugins = () => [
  withoutWebTransport(),
  nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
  commonjs(),
  terser({ format: { comments: false } }),
  precompressed(),
];

const CHUNKS = 'widget/dist/chunks';

/** The chat chunk the build before the loader's wrote (its content-hashed name). */
let chatChunk;

/** Remembers the chat chunk's name for the loader, and leaves only the previous build's chunk beside it. */
const chatChunkWritten = () => ({
  name: 'chat-chunk-written',
  buildStart() {
    mkdirSync(CHUNKS, { recursive: true });
  },
  writeBundle(_options, bundle) {
    chatChunk = Object.keys(bundle).find((file) => /^chat-[\w-]+\.js$/.test(file));
    // A page may still hold the previous loader (cached for five minutes): its chunk stays one more
    // build; older ones go.
    const keep = new Set([
      chatChunk,
      ...readdirSync(CHUNKS)
        .filter((file) => /^chat-[\w-]+\.js$/.test(file) && file !== chatChunk)
        .sort((a, b) => statSync(`${CHUNKS}/${b}`).mtimeMs - statSync(`${CHUNKS}/${a}`).mtimeMs)
        .slice(0, 1),
    ]);
    for (const file of readdirSync(CHUNKS)) if (!keep.has(file.replace(/\.(map|br|gz)$/, ''))) rmSync(`${CHUNKS}/${file}`);
  },
});

/** The loader names the chat chunk (content-hashed, so cached for good). */
const chatChunkName = () => ({
  name: 'chat-chunk-name',
  transform(code, id) {
    if (!id.endsWith('loader.js')) return null;
    if (!chatChunk) throw new Error('no chat chunk: it is built before the loader');
    return code.replace('__SWITCHBOARD_CHAT_CHUNK__', chatChunk);
  },
});

export default [
  {
    // The chat: lit, the SDK, socket.io-client and the component, fetched by the loader on intent.
    input: 'widget/dist/embed.js',
    output: { dir: CHUNKS, entryFileNames: 'chat-[hash].js', format: 'iife', sourcemap: true },
    plugins: [...plugins(), chatChunkWritten()],
  },
  {
    // The drop-in widget's first load: the launcher and window.Switchboard, nothing else.
    input: 'widget/dist/loader.js',
    output: { file: 'widget/dist/widget.js', format: 'iife', sourcemap: true },
    plugins: [chatChunkName(), ...plugins()],
  },
  {
    input: 'sdk/dist/index.js',
    output: { file: 'sdk/dist/switchboard.esm.js', format: 'es', sourcemap: true },
    plugins: plugins(),
  },
  {
    input: 'sdk/dist/index.js',
    output: { file: 'sdk/dist/switchboard.iife.js', format: 'iife', name: 'Switchboard', sourcemap: true },
    plugins: plugins(),
  },
];
