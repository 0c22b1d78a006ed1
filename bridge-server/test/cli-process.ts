/** The real bridge CLI (bridge-server/dist/cli.js, built by `npm run build`) as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Readiness, baseConfig, bodyOf, until } from './helpers.js';
import { stopWithTestProcess } from './servers/process.js';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the real CLI and resolves with its URL once it logs that it listens. */
export function runCli(configPath: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, '--config', configPath], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stopWithTestProcess(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`bridge exited with ${code}: ${out}`)));
  });
}

/** Runs the CLI and resolves once its network `scheme` is online (/readyz): the HTTP side listens first. */
export async function runCliOnline(configPath: string, scheme: string): ReturnType<typeof runCli> {
  const run = await runCli(configPath);
  const state = async () => (await bodyOf<Readiness>(await fetch(`${run.url}/readyz`))).networks[scheme]?.state;
  await until(async () => (await state()) === 'online', 20_000, `the ${scheme} network online`);
  return run;
}

/** Resolves with the exit code once the child exits. */
export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

/** `kill -9`, and resolves once the process is gone. */
export async function crash(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
}

/** A configuration file for the CLI in a directory of its own (removed when the test ends), logging what `runCli` reads. */
export function writeCliConfig(t: TestContext, overrides: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ ...baseConfig(dir, overrides), log: { level: 'info' } }));
  return path;
}
