/**
 * A real ejabberd 23.01 for the tests, in a temp folder on free loopback ports, stopped by PID:
 * its host `localhost` for clients (c2s, no TLS on loopback), the component `web.localhost`
 * (XEP-0114), offline storage (mod_offline) and stream management (mod_stream_mgmt), as
 * docs/networks/xmpp.md asks of an ejabberd. The Erlang VM runs without distribution (no node
 * name, so no epmd and no port beside the server's own), as the ejabberd user, and its PID is the
 * VM's. Users register in band (XEP-0077), as the sample configuration allows from loopback.
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type FolderServer, serverProcess, startInFolder } from './process.js';

export interface EjabberdServer extends FolderServer {
  domain: string;
  componentDomain: string;
  componentSecret: string;
  c2sPort: number;
  componentPort: number;
  /** Registers a user in band (XEP-0077); rejects with the server's answer when it refuses. */
  register(user: string, password: string): Promise<void>;
}

/** Where Debian's ejabberd keeps its Erlang applications (ejabberdctl sets the same ERL_LIBS). */
const ERL_LIBS = '/usr/lib/x86_64-linux-gnu';

export async function startEjabberd(options: { users?: [string, string][] } = {}): Promise<EjabberdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-ejabberd-'));
  const [c2sPort, componentPort] = [await freePort(), await freePort()];
  const domain = 'localhost';
  const componentDomain = 'web.localhost';
  const componentSecret = 'component-secret';
  const configPath = join(dir, 'ejabberd.yml');
  writeFileSync(
    configPath,
    `hosts:
  - ${domain}
loglevel: info
certfiles: []
auth_method: internal
auth_password_format: plain
registration_timeout: infinity
listen:
  - port: ${c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
  - port: ${componentPort}
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      ${componentDomain}:
        password: "${componentSecret}"
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  register:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_offline: {}
  mod_stream_mgmt: {}
  mod_register:
    ip_access: all
    access: register
`,
  );
  // The VM drops root for the ejabberd user: its folders must be that user's.
  for (const sub of ['db', 'logs']) mkdirSync(join(dir, sub));
  const { uid, gid } = ejabberdUser();
  for (const path of [dir, join(dir, 'db'), join(dir, 'logs'), configPath]) chownSync(path, uid, gid);
  const daemon = serverProcess(
    'setpriv',
    [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--init-groups',
      'env',
      `ERL_LIBS=${ERL_LIBS}`,
      `EJABBERD_CONFIG_PATH=${configPath}`,
      `EJABBERD_LOG_PATH=${join(dir, 'logs', 'ejabberd.log')}`,
      `HOME=${dir}`,
    ].concat(['/usr/bin/erl', '-noinput', '-mnesia', 'dir', `"${join(dir, 'db')}"`, '-s', 'ejabberd']),
    [c2sPort, componentPort],
    undefined,
    undefined,
    // Its first start creates its Mnesia tables: about 1.5 s alone, several times that beside other servers.
    30_000,
  );
  const server: EjabberdServer = {
    domain,
    componentDomain,
    componentSecret,
    c2sPort,
    componentPort,
    register: (user, password) => registerInBand(c2sPort, domain, user, password),
    ...(await startInFolder(dir, daemon)),
  };
  for (const [user, password] of options.users ?? []) await server.register(user, password);
  return server;
}

/** The uid and gid of Debian's `ejabberd` user (the package creates it). */
function ejabberdUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('ejabberd:'));
  if (!line) throw new Error('the ejabberd user is missing: apt-get install -y ejabberd');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** In-band registration (XEP-0077 section 3.1) on a fresh stream, before any authentication. */
function registerInBand(port: number, domain: string, user: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = '';
    let asked = false;
    const timer = setTimeout(() => finish(new Error(`ejabberd: no answer to the registration of ${user}`)), 10_000);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.on('error', finish);
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (!asked && received.includes('</stream:features>')) {
        asked = true;
        socket.write(
          `<iq type='set' id='register-1'><query xmlns='jabber:iq:register'><username>${user}</username><password>${password}</password></query></iq>`,
        );
      }
      const answer = /<iq[^>]*id=['"]register-1['"][^>]*>/.exec(received)?.[0];
      if (answer)
        finish(/type=['"]result['"]/.test(answer) ? undefined : new Error(`ejabberd refused to register ${user}: ${received.slice(received.indexOf(answer))}`));
    });
    socket.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
  });
}
