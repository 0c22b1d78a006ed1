// No import cycles in the packages' sources, type-only imports included: each module can be read
// (and changed) after the ones it depends on.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Relative imports and re-exports of every .ts file below `dir`: file -> files it imports. */
function graphOf(dir: string): Map<string, string[]> {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)].map((match) =>
      resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')),
    );
    graph.set(file, imports);
  }
  return graph;
}

function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const path: string[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (file: string) => {
    if (onPath.has(file)) return void cycles.push([...path.slice(path.indexOf(file)), file]);
    if (done.has(file) || !graph.has(file)) return;
    onPath.add(file);
    path.push(file);
    for (const next of graph.get(file)!) visit(next);
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return cycles;
}

describe('import graph', () => {
  for (const pkg of ['protocol', 'sdk', 'widget', 'bridge-server']) {
    it(`has no cycle in ${pkg}/src`, () => {
      const cycles = cyclesOf(graphOf(join(root, pkg, 'src'))).map((cycle) => cycle.map((file) => relative(root, file)).join(' -> '));
      assert.deepEqual(cycles, []);
    });
  }

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    assert.deepEqual(cyclesOf(graph), [['a', 'b', 'c', 'a']]);
  });
});
