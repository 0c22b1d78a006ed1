// Bundles the SDK for browsers from its compiled ESM (tsc -b runs first): an ES module served as
// /sdk.js and an IIFE exposing window.Switchboard. Type declarations come from tsc.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const plugins = () => [nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }), commonjs(), terser({ format: { comments: false } })];

export default [
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
