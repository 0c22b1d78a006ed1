// The `switchboard-bridge` command as npm installs it (node_modules/.bin, linked at install time,
// before the first build), running the built CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const COMMAND = fileURLToPath(new URL('../../../node_modules/.bin/switchboard-bridge', import.meta.url));

describe('the switchboard-bridge command', () => {
  it('is installed by npm and runs the CLI: --help prints the usage and exits 0', async () => {
    const child = spawn(COMMAND, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    assert.equal(code, 0);
    assert.match(out, /^Usage: switchboard-bridge --config FILE\n/);
  });
});
