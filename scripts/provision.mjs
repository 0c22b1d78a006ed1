// Makes sure the system packages the tests need are installed: installs them with apt-get when
// running as root, otherwise stops with the exact command to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** The newest installed PostgreSQL's initdb (Debian installs each major version under its own folder), or null. */
export function postgresInitdb() {
  let versions = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a)).find((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`));
  return newest ? `/usr/lib/postgresql/${newest}/bin/initdb` : null;
}

/** Debian package -> a file that proves it is installed (or a function that finds it). */
export const SYSTEM_PACKAGES = {
  chromium: '/usr/bin/chromium',
  prosody: '/usr/bin/prosody',
  ngircd: '/usr/sbin/ngircd',
  kamailio: '/usr/sbin/kamailio',
  // module packages: their copyright file is the arch-independent proof (modules live under /usr/lib/<triplet>/)
  'kamailio-websocket-modules': '/usr/share/doc/kamailio-websocket-modules/copyright',
  'kamailio-presence-modules': '/usr/share/doc/kamailio-presence-modules/copyright',
  // the store's Postgres engine; the package's default cluster is not used (test/servers/postgres.ts makes its own)
  postgresql: postgresInitdb,
};

export function missingPackages(packages = SYSTEM_PACKAGES) {
  return Object.entries(packages)
    .filter(([, probe]) => (typeof probe === 'function' ? !probe() : !existsSync(probe)))
    .map(([name]) => name);
}

export function provision(packages = SYSTEM_PACKAGES) {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    process.stderr.write(`The tests need these system packages: ${missing.join(', ')}. Install them with:\n  sudo ${line}\n`);
    process.exit(1);
  }
  process.stdout.write(`Installing system packages for the tests: ${missing.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (result.status !== 0 || missingPackages(packages).length > 0) {
    process.stderr.write(`Installing ${missing.join(' ')} failed; run: ${line}\n`);
    process.exit(1);
  }
}
