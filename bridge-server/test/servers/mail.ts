/**
 * A real mail server for the tests: Debian's Postfix (SMTP on a free loopback port) delivering over
 * LMTP to Dovecot (IMAP and LMTP), both in one temp folder with the configuration beside this file
 * (mail/dovecot.conf, mail/main.cf, mail/master.cf), its placeholders filled in. Stopped by PID.
 *
 * Every user in `users` gets a mailbox (log in with the full address and the password). Postfix
 * accepts mail for the users' domains from anyone, without authentication; mail to an unknown user
 * of those domains is accepted, refused by Dovecot, then bounced (a DSN to the envelope sender), and
 * RCPT to any other domain is refused at once (550): nothing leaves the machine. Deferred mail is
 * retried every second or two (`flushQueue()` asks for it at once).
 *
 * Must run as root (as the tests do): Dovecot reads and writes mail as the `mail` user and Postfix
 * runs as the `postfix` user, both from the Debian packages (scripts/provision.mjs installs them).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { freePort, waitForPort } from './ports.js';
import { serverProcess } from './process.js';

const run = promisify(execFile);
const CONFIG_DIR = fileURLToPath(new URL('./mail/', import.meta.url));

/** Mailbox address to password. */
export type MailUsers = Record<string, string>;

/** The support mailbox the bridge reads, and customers' mailboxes the tests read what it sent in. */
export const DEFAULT_MAIL_USERS: MailUsers = {
  'support@example.test': 'supportpw',
  'dana@example.test': 'danapw',
  'erin@example.test': 'erinpw',
};

export interface StoredMail {
  uid: number;
  source: Buffer;
  flags: Set<string>;
}

/** A message in Postfix's queue (`postqueue -j`). */
export interface QueuedMail {
  queueName: string;
  queueId: string;
  sender: string;
  recipients: { address: string; delayReason?: string }[];
}

export interface MailServer {
  host: '127.0.0.1';
  /** Postfix's SMTP (STARTTLS offered when `tls`). */
  smtpPort: number;
  /** Postfix's SMTP over implicit TLS (only with `tls`). */
  smtpsPort?: number;
  /** Dovecot's IMAP (STARTTLS offered when `tls`). */
  imapPort: number;
  /** Dovecot's IMAP over implicit TLS (only with `tls`). */
  imapsPort?: number;
  /** The self-signed certificate (PEM, CN=localhost, IP:127.0.0.1) both servers present with `tls`: trust it as the CA. */
  certPath?: string;
  users: MailUsers;
  dir: string;
  /** Stops Dovecot (about 1 s: its master always waits a second while shutting down); IMAP clients are cut off, Postfix defers deliveries. */
  stopDovecot(): Promise<void>;
  /** Starts Dovecot again on the same ports and mailboxes. */
  startDovecot(): Promise<void>;
  /** Stops Postfix: SMTP connections are refused. */
  stopPostfix(): Promise<void>;
  startPostfix(): Promise<void>;
  /** Asks Postfix to retry deferred mail now (`postqueue -f`). */
  flushQueue(): Promise<void>;
  /** What Postfix holds: mail not yet delivered (deferred while Dovecot is down, say). */
  queue(): Promise<QueuedMail[]>;
  /** The messages in a mailbox's folder, in UID order. */
  messages(address: string, folder?: string): Promise<StoredMail[]>;
  /**
   * Resolves with the folder's messages once `until` holds for them (a count: at least that many),
   * woken by the server's IDLE notifications (new mail, changed flags).
   */
  waitForMessages(
    address: string,
    until: number | ((messages: StoredMail[]) => boolean),
    options?: { folder?: string; timeoutMs?: number },
  ): Promise<StoredMail[]>;
  /** Puts a message straight into a folder (IMAP APPEND), with flags such as `\Seen`. */
  append(address: string, raw: string | Buffer, options?: { folder?: string; flags?: string[] }): Promise<void>;
  /** Stops both servers and removes the folder. */
  destroy(): Promise<void>;
}

/** The field of a passwd-file line: ':' separates fields, and nothing there can escape it. */
function passwdField(value: string): string {
  if (value === '' || /[:\r\n\0]/.test(value))
    throw new Error(`a test mail user or password cannot be empty or hold ':', CR, LF or NUL: ${JSON.stringify(value)}`);
  return value;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@([A-Z_]+)@/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`a mail server config has a placeholder the harness does not fill: ${placeholder}`);
    return value;
  });
}

/** True while the process exists and is not a zombie (Postfix's master daemonizes; PID 1 reaps it late). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may hold spaces).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function pidFrom(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The processes whose parent is `parent` (from /proc: field 4 of each stat). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

async function waitForExit(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * `users`: the mailboxes (address -> password), DEFAULT_MAIL_USERS unless given; their domains are
 * the ones Postfix delivers. `tls`: a self-signed certificate for both servers, STARTTLS on the
 * plain ports, and implicit-TLS ports (`smtpsPort`, `imapsPort`).
 */
export async function startMail(options: { users?: MailUsers; tls?: boolean } = {}): Promise<MailServer> {
  const users = options.users ?? DEFAULT_MAIL_USERS;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-mail-'));
  // Dovecot's mail processes run as `mail` and Postfix's as `postfix`: they must pass through the folder.
  chmodSync(dir, 0o711);
  mkdirSync(join(dir, 'mail'));
  await run('chown', ['mail:mail', join(dir, 'mail')]);
  const etc = join(dir, 'postfix-etc');
  mkdirSync(etc);
  mkdirSync(join(dir, 'postfix-spool'));
  writeFileSync(
    join(dir, 'users'),
    Object.entries(users)
      .map(([address, password]) => `${passwdField(address)}:{PLAIN}${passwdField(password)}::::::\n`)
      .join(''),
    {
      mode: 0o644,
    },
  );

  const [smtpPort, imapPort, lmtpPort] = [await freePort(), await freePort(), await freePort()];
  const tlsPorts = options.tls ? { smtps: await freePort(), imaps: await freePort() } : undefined;
  const domains = [...new Set(Object.keys(users).map((address) => address.slice(address.lastIndexOf('@') + 1).toLowerCase()))];
  const values = { RUN_DIR: dir, PORT_IMAP: String(imapPort), PORT_LMTP: String(lmtpPort), PORT_SMTP: String(smtpPort), DOMAINS: domains.join(' ') };
  const template = (name: string) => fill(readFileSync(join(CONFIG_DIR, name), 'utf8'), values);
  const dovecotConf = join(dir, 'dovecot.conf');
  writeFileSync(dovecotConf, template('dovecot.conf'));
  let mainCf = template('main.cf');
  let masterCf = template('master.cf');
  let certPath: string | undefined;
  if (tlsPorts) {
    certPath = join(dir, 'cert.pem');
    const keyPath = join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    // Included at the end of dovecot.conf (!include_try): a later setting overrides an earlier one.
    writeFileSync(
      join(dir, 'tls.conf'),
      `ssl = yes\nssl_cert = <${certPath}\nssl_key = <${keyPath}\nservice imap-login {\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = ${tlsPorts.imaps}\n    ssl = yes\n  }\n}\n`,
    );
    mainCf += `\n# TLS (added by the harness)\nsmtpd_tls_cert_file = ${certPath}\nsmtpd_tls_key_file = ${keyPath}\nsmtpd_tls_security_level = may\n`;
    masterCf += `127.0.0.1:${tlsPorts.smtps} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n`;
  }
  writeFileSync(join(etc, 'main.cf'), mainCf);
  writeFileSync(join(etc, 'master.cf'), masterCf);
  // A main.cf changed in the last seconds makes every postfix command wait for it to "cool down".
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(etc, 'main.cf'), past, past);

  const dovecotPorts = [imapPort, lmtpPort, ...(tlsPorts ? [tlsPorts.imaps] : [])];
  const smtpPorts = [smtpPort, ...(tlsPorts ? [tlsPorts.smtps] : [])];
  // -F: in the foreground, so the PID is the master's; its SIGTERM stops the whole server.
  const dovecot = serverProcess('dovecot', ['-F', '-c', dovecotConf], dovecotPorts, ['ignore', 'ignore', 'inherit']);
  const dovecotPid = join(dir, 'dovecot-run', 'master.pid');
  const postfixPid = join(dir, 'postfix-spool', 'pid', 'master.pid');
  let dovecotRunning = false;

  // A test process that dies of an uncaught error runs no after(): leave no server behind.
  const killOnExit = () => {
    for (const path of [dovecotPid, postfixPid]) {
      const pid = pidFrom(path);
      try {
        if (pid !== undefined) process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killOnExit);

  const imapClient = async (address: string) => {
    const password = users[address];
    if (password === undefined) throw new Error(`no test mailbox ${address}`);
    // With `tls` Dovecot offers STARTTLS, which ImapFlow takes: it must trust the test certificate.
    const tls = certPath ? { ca: readFileSync(certPath) } : undefined;
    const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user: address, pass: password }, logger: false, tls });
    client.on('error', () => undefined); // a server stopped under a helper's connection must not end the test process
    await client.connect();
    return client;
  };
  const fetchMessages = async (client: ImapFlow): Promise<StoredMail[]> => {
    await client.noop(); // collects the server's pending EXISTS (the count is read below)
    if (!client.mailbox || client.mailbox.exists === 0) return [];
    const fetched = await client.fetchAll('1:*', { uid: true, flags: true, source: true });
    return fetched.map((message) => ({ uid: message.uid, source: message.source ?? Buffer.alloc(0), flags: message.flags ?? new Set() }));
  };

  const server: MailServer = {
    host: '127.0.0.1',
    smtpPort,
    imapPort,
    ...(tlsPorts ? { smtpsPort: tlsPorts.smtps, imapsPort: tlsPorts.imaps } : {}),
    ...(certPath ? { certPath } : {}),
    users,
    dir,
    async startDovecot() {
      if (dovecotRunning) return;
      dovecotRunning = true;
      try {
        await dovecot.start();
      } catch (error) {
        await dovecot.stop();
        dovecotRunning = false;
        throw new Error(`${(error as Error).message}; ${join(dir, 'dovecot.log')}:\n${tail(join(dir, 'dovecot.log'))}`);
      }
    },
    async stopDovecot() {
      if (!dovecotRunning) return;
      // The master's processes (imap sessions, log, stats) may outlive it for a while: an outage
      // must cut the clients off at once, so whatever of them is left is killed.
      const master = pidFrom(dovecotPid);
      const children = master === undefined ? [] : childrenOf(master);
      await dovecot.stop();
      dovecotRunning = false;
      for (const pid of children.filter(alive)) process.kill(pid, 'SIGKILL');
      await Promise.all(children.map((pid) => waitForExit(pid)));
    },
    async startPostfix() {
      const running = pidFrom(postfixPid);
      if (running !== undefined && alive(running)) return;
      try {
        await run('postfix', ['-c', etc, 'start']);
        await Promise.all(smtpPorts.map((port) => waitForPort(port)));
      } catch (error) {
        throw new Error(`postfix did not start: ${(error as Error).message}; ${join(dir, 'postfix.log')}:\n${tail(join(dir, 'postfix.log'))}`);
      }
    },
    async stopPostfix() {
      const pid = pidFrom(postfixPid);
      if (pid === undefined || !alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      await waitForExit(pid);
    },
    async flushQueue() {
      await run('postqueue', ['-c', etc, '-f']);
    },
    async queue() {
      const { stdout } = await run('postqueue', ['-c', etc, '-j']);
      return stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const entry = JSON.parse(line) as { queue_name: string; queue_id: string; sender: string; recipients: { address: string; delay_reason?: string }[] };
          return {
            queueName: entry.queue_name,
            queueId: entry.queue_id,
            sender: entry.sender,
            recipients: entry.recipients.map(({ address, delay_reason }) => ({ address, ...(delay_reason ? { delayReason: delay_reason } : {}) })),
          };
        });
    },
    async messages(address, folder = 'INBOX') {
      const client = await imapClient(address);
      try {
        await client.mailboxOpen(folder, { readOnly: true });
        return await fetchMessages(client);
      } finally {
        await client.logout().catch(() => undefined);
      }
    },
    async waitForMessages(address, until, { folder = 'INBOX', timeoutMs = 10_000 } = {}) {
      const holds = typeof until === 'number' ? (messages: StoredMail[]) => messages.length >= until : until;
      const client = await imapClient(address);
      // Any notification (new mail, changed flags, an expunge) wakes the check; a slow backstop
      // re-checks in case a change came in while the last fetch was under way.
      let wake: () => void = () => undefined;
      const notify = () => wake();
      client.on('exists', notify);
      client.on('flags', notify);
      client.on('expunge', notify);
      const deadline = Date.now() + timeoutMs;
      try {
        await client.mailboxOpen(folder, { readOnly: true });
        for (;;) {
          const woken = new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 250).unref();
          });
          const messages = await fetchMessages(client);
          if (holds(messages)) return messages;
          if (Date.now() > deadline) throw new Error(`${address}/${folder}: still ${messages.length} messages after ${timeoutMs} ms, not what was awaited`);
          // IDLE (RFC 2177) makes the server push changes at once; the next command ends it.
          void client.idle().catch(() => undefined);
          await woken;
        }
      } finally {
        await client.logout().catch(() => undefined);
      }
    },
    async append(address, raw, { folder = 'INBOX', flags = [] } = {}) {
      const client = await imapClient(address);
      try {
        await client.append(folder, typeof raw === 'string' ? Buffer.from(raw) : raw, flags);
      } finally {
        await client.logout().catch(() => undefined);
      }
    },
    async destroy() {
      await Promise.all([server.stopPostfix(), server.stopDovecot()]);
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.startDovecot();
    await server.startPostfix();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

function tail(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').slice(-2000) : '';
}
