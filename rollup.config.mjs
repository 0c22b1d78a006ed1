// Bundles for browsers from the compiled ESM (tsc -b runs first): the widget as one file served as
// /widget.js, and the SDK as an ES module (/sdk.js) and an IIFE exposing window.Switchboard.
// Type declarations come from tsc.
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

const plugins = () => [withoutWebTransport(), nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }), commonjs(), terser({ format: { comments: false } })];

export default [
  {
    // The drop-in widget: lit, the SDK and socket.io-client in one self-registering file.
    input: 'widget/dist/embed.js',
    output: { file: 'widget/dist/widget.js', format: 'iife', sourcemap: true },
    plugins: plugins(),
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
