// Files the docs name (tests that hold a promise, configs to copy) exist: docs that point at a file
// that moved would send a reader nowhere.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const docs = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.md'))
    .map((file) => join(root, 'docs', file)),
];
/** A path in backticks with a folder and a source or config extension. */
const PATH = /`((?:[\w.-]+\/)+[\w.-]+\.(?:ts|mjs|js|json|md|cfg|lua|conf))`/g;
/** Where a path in the docs may be rooted: the repository or one of its packages. */
const ROOTS = ['', 'bridge-server/', 'widget/', 'sdk/', 'demo/', 'protocol/'];

describe('files named in the docs', () => {
  for (const doc of docs) {
    it(`exist, for ${doc.slice(root.length)}`, () => {
      const text = readFileSync(doc, 'utf8');
      const missing = [...text.matchAll(PATH)]
        .map((match) => match[1]!)
        .filter((path) => !path.includes('...') && !path.startsWith('/') && !ROOTS.some((base) => existsSync(join(root, base, path))));
      assert.deepEqual([...new Set(missing)], []);
    });
  }
});
