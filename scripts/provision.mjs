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
  // the other XMPP server the XMPP network is tested against (test/servers/ejabberd.ts runs its own instance)
  ejabberd: '/usr/sbin/ejabberdctl',
  ngircd: '/usr/sbin/ngircd',
  // the other IRC server the IRC network is tested against (test/servers/inspircd.ts runs its own instance)
  inspircd: '/usr/sbin/inspircd',
  kamailio: '/usr/sbin/kamailio',
  // module packages: their copyright file is the arch-independent proof (modules live under /usr/lib/<triplet>/)
  'kamailio-websocket-modules': '/usr/share/doc/kamailio-websocket-modules/copyright',
  'kamailio-presence-modules': '/usr/share/doc/kamailio-presence-modules/copyright',
  // the store's Postgres engine; the package's default cluster is not used (test/servers/postgres.ts makes its own)
  postgresql: postgresInitdb,
  // the email network's mail server: Postfix (SMTP) delivering to Dovecot (IMAP, LMTP); test/servers/mail.ts
  // runs its own instances, the packages' system-wide set-up is not used
  postfix: '/usr/sbin/postfix',
  'dovecot-imapd': '/usr/lib/dovecot/imap',
  'dovecot-lmtpd': '/usr/lib/dovecot/lmtp',
  // several bridge nodes reach each other's clients through Redis; test/servers/redis.ts runs its own instance
  'redis-server': '/usr/bin/redis-server',
  // the load balancer of docs/deploying.md's several-nodes example; test/servers/haproxy.ts runs it with that configuration
  haproxy: '/usr/sbin/haproxy',
};

/**
 * Answers to the questions a package's install script would ask (debconf-set-selections lines),
 * given before apt-get runs: DEBIAN_FRONTEND=noninteractive alone takes the defaults, and Postfix's
 * default ("Internet Site") writes a system-wide main.cf the tests do not want.
 */
export const DEBCONF_SELECTIONS = {
  postfix: ['postfix postfix/main_mailer_type select No configuration'],
};

/** The debconf lines for the packages about to be installed. */
export function debconfSelections(packages, selections = DEBCONF_SELECTIONS) {
  return packages.flatMap((name) => selections[name] ?? []);
}

export function missingPackages(packages = SYSTEM_PACKAGES) {
  return Object.entries(packages)
    .filter(([, probe]) => (typeof probe === 'function' ? !probe() : !existsSync(probe)))
    .map(([name]) => name);
}

export function provision(packages = SYSTEM_PACKAGES) {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  const selections = debconfSelections(missing);
  const preseed = selections.map((selection) => `echo '${selection}' | debconf-set-selections && `).join('');
  const line = `${preseed}apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    process.stderr.write(`The tests need these system packages: ${missing.join(', ')}. Install them with:\n  sudo sh -c "${line}"\n`);
    process.exit(1);
  }
  process.stdout.write(`Installing system packages for the tests: ${missing.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (selections.length > 0) {
    execFileSync('debconf-set-selections', [], { input: selections.map((selection) => `${selection}\n`).join(''), stdio: ['pipe', 'inherit', 'inherit'], env });
  }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (result.status !== 0 || missingPackages(packages).length > 0) {
    process.stderr.write(`Installing ${missing.join(' ')} failed; run: ${line}\n`);
    process.exit(1);
  }
}
