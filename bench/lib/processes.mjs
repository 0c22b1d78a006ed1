// Benchmark processes: a bridge in a child process of its own (bridge-child.mjs), and what /proc
// says of a process's CPU and memory (man 5 proc).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** User and system CPU time of a process so far, in microseconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command: state is field 3, utime 14 and stime 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) / CLOCK_TICKS) * 1e6, system: (Number(fields[12]) / CLOCK_TICKS) * 1e6 };
}

/** Resident memory of a process, in MiB (VmRSS). */
export function rssMiB(pid) {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return kib / 1024;
}

/**
 * A bridge child process on `config` (BENCH_PROFILE_DIR: with a CPU profile written there);
 * resolves with the child and its URL once it listens.
 */
export function startBridgeChild(config) {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : [];
    const child = spawn(process.execPath, [...profile, join(here, 'bridge-child.mjs'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const match = /READY (\S+)/.exec(out);
      if (!match) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve({ child, url: match[1] });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`bridge exited before listening (${code ?? signal})`)));
  });
}

/** Stops a child (SIGTERM: the bridge stops cleanly); resolves once it exited. */
export function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
