// Settings of the benchmarks, read from the environment.

/** An integer from the environment variable `name` (at least `min`), or `fallback` when unset; exits on anything else. */
export function intFromEnv(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name}: must be an integer >= ${min}, got "${raw}"`);
    process.exit(1);
  }
  return value;
}

/** The bridge's package: installed, or this repository's build. */
export async function importBridge() {
  try {
    return await import('@switchboard/bridge-server');
  } catch {
    return import('../../bridge-server/dist/index.js');
  }
}
