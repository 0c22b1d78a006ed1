// Waits for the machine to be quiet before a benchmark starts: what the last one started (servers
// shutting down, a child still exiting, the kernel reclaiming thousands of sockets) would otherwise
// be measured as the next one's noise. Reads the whole machine's CPU time from /proc/stat (man 5 proc).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Busy and total CPU ticks of all CPUs so far (the first line of /proc/stat). */
function cpuTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait are fields 4 and 5.
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** The share of the machine's CPU that was busy over `ms`, 0 to 1. */
async function busyShare(ms) {
  const before = cpuTicks();
  await sleep(ms);
  const after = cpuTicks();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/**
 * Resolves once the machine was less than `busyAtMost` busy over one `sampleMs` window, or after
 * `timeoutMs` whatever it is; with how long it waited and the last busy share seen.
 */
export async function machineQuiet({ busyAtMost = 0.1, sampleMs = 500, timeoutMs = 15_000 } = {}) {
  const started = Date.now();
  let busy = 1;
  while (Date.now() - started < timeoutMs) {
    busy = await busyShare(sampleMs);
    if (busy <= busyAtMost) return { waitedMs: Date.now() - started, busy, quiet: true };
  }
  return { waitedMs: Date.now() - started, busy, quiet: false };
}
