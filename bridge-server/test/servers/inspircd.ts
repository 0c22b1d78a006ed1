/**
 * A real InspIRCd 3 for the tests, in a temp folder on a free loopback port, stopped by PID.
 * `modules` `none` is the server with its core only (no CAP, no MONITOR: ISON and WHO are what the
 * bridge has, CASEMAPPING rfc1459); `ircv3` loads what public networks run (CAP, MONITOR,
 * away-notify, echo-message, server-time, message-tags). `limits` `default` keeps the connect
 * class's flood defaults (fakelag, the command rate); `relaxed` lifts them for functional tests.
 * https://docs.inspircd.org/3/configuration/
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type FolderServer, serverProcess, startInFolder } from './process.js';

export interface InspircdServer extends FolderServer {
  port: number;
  name: string;
}

/** Modules of a typical public network's server (the IRCv3 capabilities a client negotiates). */
const IRCV3_MODULES = [
  'cap',
  'ircv3',
  'ircv3_capnotify',
  'ircv3_echomessage',
  'ircv3_servertime',
  'ircv3_msgid',
  'ircv3_ctctags',
  'monitor',
  'namesx',
  'uhnames',
];

export async function startInspircd(options: { modules?: 'none' | 'ircv3'; limits?: 'relaxed' | 'default' } = {}): Promise<InspircdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-inspircd-'));
  const port = await freePort();
  const name = 'irc.test.local';
  const limits =
    options.limits === 'default'
      ? ''
      : 'threshold="1000000" commandrate="1000000000" fakelag="no" hardsendq="1M" softsendq="1M" recvq="1M" localmax="1000" globalmax="1000"';
  const modules = options.modules === 'ircv3' ? IRCV3_MODULES.map((module) => `<module name="${module}">`).join('\n') : '';
  const configPath = join(dir, 'inspircd.conf');
  writeFileSync(
    configPath,
    `<server name="${name}" description="switchboard test server" network="TestNet">
<admin name="test" nick="test" email="test@test.local">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="main" allow="*" timeout="20" pingfreq="120" ${limits} resolvehostnames="no" useident="no">
<pid file="${join(dir, 'inspircd.pid')}">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${join(dir, 'inspircd.log')}">
<security maxtargets="20">
${modules}
`,
  );
  // --nofork: the PID is the server's own; --runasroot: the tests run as root.
  const daemon = serverProcess('inspircd', ['--nofork', '--runasroot', '--config', configPath], [port]);
  return { port, name, ...(await startInFolder(dir, daemon)) };
}
