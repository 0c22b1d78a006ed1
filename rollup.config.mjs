// Bundles for browsers from the compiled ESM (tsc -b runs first): the widget as a small loader
// served as /widget.js, the chat it fetches on intent (/widget/chat-<hash>.js) and a catalogue
// chunk per language other than English (/widget/chat-<language>-<hash>.js), and the SDK as an ES
// module (/sdk.js) and an IIFE exposing window.Switchboard. Each bundle is also written
// precompressed (.br, .gz) for the bridge to serve. Type declarations come from tsc.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const WIDGET_DIST = fileURLToPath(new URL('widget/dist/', import.meta.url));

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

/**
 * How every browser bundle is minified (bench/size.mjs measures its floor with the same): ES2022
 * output (the compiled code's own target), and the members socket.io-client and engine.io-client
 * mark private with a leading underscore renamed (lit's `_$` names are left as they are).
 */
export const terserOptions = {
  ecma: 2022,
  compress: { passes: 3, unsafe_arrows: true },
  mangle: { properties: { regex: /^_[A-Za-z]/ } },
  format: { comments: false },
};

/** The declaration files (tsc's output) of a folder. */
const declarations = (folder) =>
  readdirSync(new URL(folder, import.meta.url))
    .filter((file) => file.endsWith('.d.ts'))
    .map((file) => readFileSync(new URL(`${folder}${file}`, import.meta.url), 'utf8'));

const PRIVATE_MEMBER = /^\s*private (?:(?:readonly|static|get|set)\s+)*([A-Za-z_$][\w$]*)/;
/**
 * Any other member a declaration names: one starting a line (a class's or an interface's), or
 * following `{` or `;` (a type literal on one line), a property or a method; not a parameter.
 */
const DECLARED_MEMBER = /(?:^|[{;])\s*(?:(?:public|protected|static|readonly|abstract|get|set|declare)\s+)*["']?([A-Za-z_$][\w$]*)["']?\??\s*[:(<]/g;

/**
 * The private members of the classes in the chat chunk (the widget's, the SDK's, socket.io-client's
 * and engine.io-client's), as their declarations list them: the chunk holds every use of them, so
 * they can be renamed. A name also declared anywhere else (a public member, a field of the
 * protocol's payloads, socket.io's and engine.io's options and handshake) keeps its name, and
 * terser keeps the DOM's own.
 */
export function privateMembers() {
  const texts = [
    ...declarations('widget/dist/'),
    ...declarations('sdk/dist/'),
    ...declarations('protocol/dist/'),
    ...declarations('node_modules/socket.io-client/build/esm/'),
    ...declarations('node_modules/engine.io-client/build/esm/'),
    ...declarations('node_modules/engine.io-client/build/esm/transports/'),
  ];
  const names = new Set();
  const elsewhere = new Set();
  for (const line of texts.join('\n').split('\n')) {
    const member = PRIVATE_MEMBER.exec(line);
    if (member) names.add(member[1]);
    else for (const [, name] of line.matchAll(DECLARED_MEMBER)) elsewhere.add(name);
  }
  return [...names].filter((name) => !elsewhere.has(name)).sort();
}

/** The chat chunk's minification: its classes' private members renamed too. */
const chatTerserOptions = () => ({
  ...terserOptions,
  mangle: { properties: { regex: new RegExp(`^(?:_[A-Za-z].*|${privateMembers().join('|')})$`) } },
});

/** Resolution and minification shared by every browser bundle (and bench/size.mjs, which may leave minifying out). */
export const browserPlugins = ({ minify = true, minifyWith = terserOptions } = {}) => [
  withoutWebTransport(),
  nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
  commonjs(),
  ...(minify ? [terser(minifyWith)] : []),
];

const SDK_DIST = fileURLToPath(new URL('sdk/dist/', import.meta.url));
const WITHOUT_FETCH_UPLOAD = '\0upload-without-fetch';

/**
 * The chat chunk's own modules in place of others: `catalogues.js` (every language) becomes
 * `catalogues-on-demand.js` (English, the others fetched when needed), socket.io's and
 * engine.io's packet parsers become ones for text packets only (`socket-io-text-parser.js`,
 * `engine-io-text-parser.js`: the v1 API never sends binary data), and the SDK's upload through
 * fetch, for where there is no XMLHttpRequest (Node), is left out: the chat runs in pages.
 */
export const chatChunkModules = () => ({
  name: 'chat-chunk-modules',
  resolveId(source, importer) {
    if (importer?.startsWith(WIDGET_DIST) && source === './catalogues.js') return `${WIDGET_DIST}catalogues-on-demand.js`;
    if (importer?.startsWith(SDK_DIST) && source === './upload-fetch.js') return WITHOUT_FETCH_UPLOAD;
    if (source === 'socket.io-parser') return `${WIDGET_DIST}socket-io-text-parser.js`;
    if (source === 'engine.io-parser') return `${WIDGET_DIST}engine-io-text-parser.js`;
    return null;
  },
  load: (id) => (id === WITHOUT_FETCH_UPLOAD ? `export const uploadWithFetch = () => Promise.reject(new Error('no XMLHttpRequest to upload with'));` : null),
});

/**
 * The text of the widget's lit templates (or the console's: `dist` is the compiled folder) without
 * the source's indentation (terser leaves template literals as they are): in `html` and `svg`
 * templates a run of white space that holds a line break becomes that line break (the same white
 * space to HTML; no template of either keeps white space in a `pre`-like element: the console's
 * message text is a value in one, never template text), and `css` templates also lose the spaces around `{ } ; , :`
 * (after a colon only: before one it can be a descendant combinator). Lines stay where they were
 * in html and svg; in css they move within styles.js, which holds nothing else.
 */
export const compactTemplates = (dist = WIDGET_DIST) => ({
  name: 'compact-templates',
  transform(code, id) {
    if (!id.startsWith(dist) || !/\b(html|svg|css) ?`/.test(code)) return null;
    const quasis = [];
    const visit = (node) => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!node || typeof node.type !== 'string') return;
      if (node.type === 'TaggedTemplateExpression' && node.tag.type === 'Identifier' && ['html', 'svg', 'css'].includes(node.tag.name)) {
        for (const quasi of node.quasi.quasis) quasis.push({ start: quasi.start, end: quasi.end, css: node.tag.name === 'css' });
      }
      for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value);
    };
    visit(this.parse(code));
    let compacted = code;
    for (const { start, end, css } of quasis.sort((a, b) => b.start - a.start)) {
      let text = compacted.slice(start, end).replace(/[ \t]*\n\s*/g, '\n');
      if (css) text = text.replace(/\s*([{};,])\s*/g, '$1').replace(/:\s+/g, ':');
      compacted = compacted.slice(0, start) + text + compacted.slice(end);
    }
    return { code: compacted, map: null };
  },
});

const CHUNKS = 'widget/dist/chunks';

/** Languages with a catalogue chunk of their own: every catalogue but English, which the chat carries. */
const LANGUAGES = readdirSync(new URL('widget/src/locales/', import.meta.url))
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((language) => language !== 'en')
  .sort();

/** What each build of a hashed chunk wrote: `chat` -> `chat-<hash>.js`, `chat-fr` -> `chat-fr-<hash>.js`. */
const written = {};

/** A hashed chunk's kind: its name without the hash. */
const kindOf = (file) => file.replace(/-[\w-]{8}\.js(\.map|\.br|\.gz)?$/, '');

/** Remembers a hashed chunk's name for the loader, and leaves only the previous build's chunk of its kind beside it. */
const hashedChunkWritten = (kind) => ({
  name: 'hashed-chunk-written',
  buildStart() {
    mkdirSync(CHUNKS, { recursive: true });
  },
  writeBundle(_options, bundle) {
    const current = Object.values(bundle).find((file) => file.type === 'chunk' && file.isEntry).fileName;
    written[kind] = current;
    const sameKind = (file) => file.endsWith('.js') && kindOf(file) === kind;
    // A page may still hold the previous loader (cached for five minutes): its chunks stay one more
    // build; older ones go.
    const keep = new Set([
      current,
      ...readdirSync(CHUNKS)
        .filter((file) => sameKind(file) && file !== current)
        .sort((a, b) => statSync(`${CHUNKS}/${b}`).mtimeMs - statSync(`${CHUNKS}/${a}`).mtimeMs)
        .slice(0, 1),
    ]);
    for (const file of readdirSync(CHUNKS)) {
      if (kindOf(file) === kind && !keep.has(file.replace(/\.(map|br|gz)$/, ''))) rmSync(`${CHUNKS}/${file}`);
    }
  },
});

/** The loader names the chat chunk and the catalogue chunks (content-hashed, so cached for good). */
const chunkNames = () => ({
  name: 'chunk-names',
  transform(code, id) {
    if (!id.endsWith('loader.js')) return null;
    if (!written.chat) throw new Error('no chat chunk: it is built before the loader');
    const locales = Object.fromEntries(LANGUAGES.map((language) => [language, written[`chat-${language}`]]));
    return code.replace('__SWITCHBOARD_CHAT_CHUNK__', written.chat).replace(`'__SWITCHBOARD_LOCALE_CHUNKS__'`, JSON.stringify(locales));
  },
});

/** A language's catalogue chunk: registers the catalogue on the page (locale-chunks.ts). */
const localeEntry = (language) => {
  const entry = `\0locale-${language}`;
  return {
    name: 'locale-entry',
    resolveId: (id) => (id === entry ? entry : null),
    load: (id) =>
      id === entry
        ? `import { registerCatalogue } from '${WIDGET_DIST}locale-chunks.js';
           import { ${language} } from '${WIDGET_DIST}locales/${language}.js';
           registerCatalogue('${language}', ${language});`
        : null,
  };
};

const CONSOLE_DIST = 'console/dist';
const CONSOLE_LIB = fileURLToPath(new URL('console/lib/', import.meta.url));

/**
 * The agent console's page: console/src/index.html naming the module just written
 * (`console-<hash>.js`, cached for good) by its absolute path under `/agent/`, where the bridge
 * serves the console: the page's policy has `base-uri 'none'` (no `<base>`), and client routes
 * (`/agent/conversations/...`) would resolve a relative name elsewhere. The module resolves its API
 * (`api/`) against its own URL. Each build starts from an empty console/dist.
 */
const consolePage = () => ({
  name: 'console-page',
  buildStart() {
    rmSync(CONSOLE_DIST, { recursive: true, force: true });
  },
  writeBundle(_options, bundle) {
    const module = Object.values(bundle).find((file) => file.type === 'chunk' && file.isEntry).fileName;
    const page = readFileSync(new URL('console/src/index.html', import.meta.url), 'utf8').replace('__CONSOLE_MODULE__', module);
    writeFileSync(`${CONSOLE_DIST}/index.html`, page);
  },
});

const hashed = { dir: CHUNKS, format: 'iife', sourcemap: true, hashCharacters: 'hex' };

export default [
  // The catalogues of the languages other than English, each fetched only by pages in that language.
  ...LANGUAGES.map((language) => ({
    input: `\0locale-${language}`,
    output: { ...hashed, entryFileNames: `chat-${language}-[hash].js` },
    plugins: [localeEntry(language), ...browserPlugins(), precompressed(), hashedChunkWritten(`chat-${language}`)],
  })),
  {
    // The chat: lit, the SDK, socket.io-client and the component, fetched by the loader on intent.
    input: 'widget/dist/embed.js',
    output: { ...hashed, entryFileNames: 'chat-[hash].js' },
    plugins: [chatChunkModules(), compactTemplates(), ...browserPlugins({ minifyWith: chatTerserOptions() }), precompressed(), hashedChunkWritten('chat')],
  },
  {
    // The drop-in widget's first load: the launcher and window.Switchboard, nothing else.
    input: 'widget/dist/loader.js',
    output: { file: 'widget/dist/widget.js', format: 'iife', sourcemap: true },
    plugins: [chunkNames(), ...browserPlugins(), precompressed()],
  },
  {
    // The agent console, served at /agent: one ES module (lit, the SDK, socket.io-client, the console) and its page.
    input: 'console/lib/main.js',
    output: { dir: CONSOLE_DIST, format: 'es', entryFileNames: 'console-[hash].js', sourcemap: true, hashCharacters: 'hex' },
    plugins: [consolePage(), chatChunkModules(), compactTemplates(CONSOLE_LIB), ...browserPlugins(), precompressed()],
  },
  {
    input: 'sdk/dist/index.js',
    output: { file: 'sdk/dist/switchboard.esm.js', format: 'es', sourcemap: true },
    plugins: [...browserPlugins(), precompressed()],
  },
  {
    input: 'sdk/dist/index.js',
    // `extend`: added to a `window.Switchboard` the page has already (the widget's API), not in its place.
    output: { file: 'sdk/dist/switchboard.iife.js', format: 'iife', name: 'Switchboard', extend: true, sourcemap: true },
    plugins: [...browserPlugins(), precompressed()],
  },
];
