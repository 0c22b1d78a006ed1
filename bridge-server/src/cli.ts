#!/usr/bin/env node
/**
 * `switchboard-bridge --config FILE` (or SWITCHBOARD_CONFIG=FILE): runs a bridge until SIGTERM or
 * SIGINT, then drains connections and closes the store before exiting.
 * `switchboard-bridge backup FILE --config FILE`: copies the configured SQLite store into FILE,
 * safely while a bridge runs on it (docs/deploying.md, "Data and backups"); a Postgres store is
 * backed up with pg_dump instead.
 * `switchboard-bridge hash-password`: reads a password on stdin and prints its hash for a console
 * account's `passwordHash` (docs/configuration.md, "console").
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createBridge, portFree } from './server.js';
import { MAX_PASSWORD_LENGTH, hashPassword } from './console/passwords.js';
import { atMostChars } from '@switchboard/protocol/schemas';

const USAGE = `Usage: switchboard-bridge --config FILE
       switchboard-bridge backup BACKUP_FILE --config FILE
       switchboard-bridge hash-password < PASSWORD_FILE

Runs the Switchboard bridge with the given JSON configuration (see docs/configuration.md).
With "backup", copies the configured SQLite store into BACKUP_FILE instead, while the bridge runs
or not (a Postgres store: use pg_dump).
With "hash-password", reads a password on stdin (up to the first line end) and prints its hash for
a console account's passwordHash.
  --config, -c FILE   configuration file (or set SWITCHBOARD_CONFIG)
  --help, -h          show this help
Environment: PORT overrides server.port, HOST server.host, LOG_LEVEL log.level.`;

async function main(): Promise<void> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [command, target, ...extra] = positionals;
  if (command === 'hash-password') {
    if (target !== undefined) {
      process.stderr.write(`hash-password takes no argument: it reads the password on stdin.\n\n${USAGE}\n`);
      process.exit(2);
    }
    await printPasswordHash();
    return;
  }
  if ((command !== undefined && command !== 'backup') || (command === 'backup' && (target === undefined || extra.length > 0))) {
    process.stderr.write(`${command === 'backup' ? 'backup takes one file name.' : `Unknown command "${command}".`}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const path = values.config ?? process.env.SWITCHBOARD_CONFIG;
  if (!path) {
    process.stderr.write(`No configuration given.\n\n${USAGE}\n`);
    process.exit(2);
  }
  // A Postgres store is backed up by the database's own tools, which the command does not replace.
  // Said before the configuration is checked in full: its database and Redis URLs may be in the
  // environment of the bridge's service only, not of the shell the command runs in.
  if (command === 'backup' && storeTypeIn(path) === 'postgres') refusePostgresBackup();
  const config = loadConfig(path);
  if (command === 'backup') {
    if (config.store.type !== 'sqlite') refusePostgresBackup();
    try {
      const { backupSqlite } = await import('./store/sqlite/backup.js');
      const { pages } = await backupSqlite(config.store.path, target!);
      process.stdout.write(`Backed up ${config.store.path} to ${target} (${pages} pages).\n`);
    } catch (error) {
      // A wrong path or a full disk is the operator's to fix: the reason, not a stack trace.
      process.stderr.write(`switchboard-bridge backup: ${(error as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  // A second copy started by mistake stops before it opens the store the running one holds (its
  // start-up indexes and claims there); start() asks again, should the port have been taken since.
  await portFree(config);
  const bridge = await createBridge(config);
  const shutdown = (signal: string) => {
    bridge.logger.info({ signal }, 'shutting down');
    bridge.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        bridge.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // A bug must not take every conversation down with it: log it loudly and keep serving.
  process.on('unhandledRejection', (reason) => bridge.logger.error({ err: reason }, 'unhandled rejection (a bug: please report it)'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await bridge.start();
}

/** The password is read from stdin (never an argument: arguments show in `ps` and shell history). */
async function printPasswordHash(): Promise<void> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter; it is shown as typed): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    // A terminal ends the password with Enter: no need to wait for end of input.
    if (process.stdin.isTTY && (chunk as Buffer).includes(10)) break;
  }
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password.length < 8) {
    process.stderr.write('switchboard-bridge hash-password: the password must be at least 8 characters.\n');
    process.exit(1);
  }
  // What the sign-in takes, or the hash would be of a password nobody can sign in with.
  if (!atMostChars(MAX_PASSWORD_LENGTH)(password)) {
    process.stderr.write(`switchboard-bridge hash-password: the password must be at most ${MAX_PASSWORD_LENGTH} characters.\n`);
    process.exit(1);
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`switchboard-bridge: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});

/** The `store.type` the configuration file names, or undefined when it cannot tell (the full check then says why). */
function storeTypeIn(path: string): unknown {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { store?: { type?: unknown } } | null;
    return raw?.store?.type;
  } catch {
    return undefined;
  }
}

function refusePostgresBackup(): never {
  process.stderr.write(
    'switchboard-bridge backup: the configured store is Postgres; this command copies a SQLite store only. Back up a Postgres store with pg_dump (docs/deploying.md, "Postgres").\n',
  );
  process.exit(1);
}
