// Benchmark settings from the environment.

/** An integer setting from `name`, `fallback` when unset; exits with a message when it is not one >= `min`. */
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
