/**
 * A real Kamailio for the tests (SIP/SIMPLE: registrar, RFC 3428 MESSAGE routing, RFC 3856 presence
 * with PIDF, digest auth), in a temp folder on free loopback ports, stopped by PID. The config
 * mirrors the one verified on these machines (shared/servers/kamailio.cfg), with the users' passwords
 * in a db_text `subscriber` table inside the temp folder instead of the sample's fixed "<user>pw".
 *
 * SIP over UDP and TCP listens on `sipPort`, SIP over WebSocket (RFC 7118) on ws://127.0.0.1:`wsPort`.
 * Every REGISTER, MESSAGE, SUBSCRIBE, PUBLISH and INVITE must carry digest credentials of a user in
 * `users` (the From user, realm `domain`). A request to a user who is not registered is answered
 * 480 Temporarily Unavailable if the user exists, 404 Not Found otherwise. Registrations live in
 * memory only: after a restart every client must connect and register again (and publish and
 * subscribe again: presence state is not kept either).
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { serverProcess } from './process.js';

export interface KamailioServer {
  /** SIP over UDP and TCP on 127.0.0.1. */
  sipPort: number;
  /** SIP over WebSocket on 127.0.0.1 (`wsUrl`). */
  wsPort: number;
  wsUrl: string;
  /** The SIP domain (and digest realm) of the users: sip:alice@<domain>. */
  domain: string;
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL if it lingers); WebSocket clients are disconnected. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and users (registrations, publications and subscriptions are gone). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

/** A TCP port that is free for UDP too (SIP listens on both). */
async function freeTcpUdpPort(taken: number[] = []): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (taken.includes(port)) continue;
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** One db_text field: ':' separates fields, '\' escapes. */
function dbTextField(value: string): string {
  if (value === '' || /[\r\n\0]/.test(value)) throw new Error(`a Kamailio test user or password cannot be empty or hold CR, LF or NUL: ${JSON.stringify(value)}`);
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

/** Requests to any user at `domain` go to the registration of `user` (at the main domain), who may send as anyone there. */
export interface RoutedDomain {
  domain: string;
  user: string;
}

function config(dir: string, domain: string, sipPort: number, wsPort: number, routed: RoutedDomain | undefined): string {
  const db = `text://${join(dir, 'dbtext')}`;
  // The routed domain's identities authenticate as its gateway user (realm: the main domain).
  const auth = routed
    ? `if ($fd == "${routed.domain}") {
            if (!auth_check("${domain}", "subscriber", "0")) { auth_challenge("${domain}", "1"); exit; }
            if ($au != "${routed.user}") { sl_send_reply("403", "Forbidden (not the gateway of ${routed.domain})"); exit; }
        } else if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "1"); exit; }`
    : `if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "1"); exit; }`;
  // lookup() puts the gateway's contact in the R-URI (a UA answers 404 to an R-URI user not its own);
  // the To header keeps the routed identity.
  const route = routed
    ? `if ($rd == "${routed.domain}") {
        $ru = "sip:${routed.user}@${domain}";
        if (!lookup("location")) { sl_send_reply("480", "Temporarily Unavailable"); exit; }
        route(RELAY);
    }`
    : '';
  return `#!KAMAILIO
debug=${process.env.KAMAILIO_DEBUG ?? '-1'}
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:${sipPort}
listen=tcp:127.0.0.1:${sipPort}
listen=tcp:127.0.0.1:${wsPort}
alias="${domain}"
tcp_accept_no_cl=yes          # the HTTP GET of the WebSocket handshake has no Content-Length
tcp_connection_lifetime=3605

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "textopsx.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "nathelper.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "received_avp", "$avp(RECEIVED)")
# No GRUU: JsSIP would then use its pub-gruu (no ;transport=ws) as Contact, and NOTIFYs to it go to UDP.
modparam("registrar", "gruu_enabled", 0)
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("auth_db", "db_url", "${db}")
modparam("auth_db", "calculate_ha1", 0)          # use the ha1 column
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")
modparam("presence", "db_url", "${db}")
modparam("presence", "subs_db_mode", 0)
modparam("presence", "server_address", "sip:127.0.0.1:${sipPort}")
modparam("presence_xml", "db_url", "${db}")
modparam("presence_xml", "force_active", 1)     # no XCAP authorization rules

request_route {
    xlog("L_INFO", "REQ $rm $ru from $si:$sp proto=$proto\\n");
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (nat_uac_test("64")) {            # 64 = request came over WebSocket
        force_rport();
        if (is_method("REGISTER")) fix_nated_register();
        else if (is_method("SUBSCRIBE")) { fix_nated_contact(); msg_apply_changes(); }  # NOTIFY must reach the ws client at its real ip:port
        else if ($hdr(Contact) != $null) add_contact_alias();
    }
    if (has_totag()) {
        if (is_method("SUBSCRIBE") && uri == myself) { route(PRESENCE); }
        if (loose_route()) { handle_ruri_alias(); route(RELAY); }
        if (is_method("ACK") && t_check_trans()) t_relay();
        else if (!is_method("ACK")) { handle_ruri_alias(); route(RELAY); }
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) route(RELAY); exit; }
    t_check_trans();
    if (is_method("REGISTER|MESSAGE|SUBSCRIBE|PUBLISH|INVITE")) {
        # digest (qop=auth) against the subscriber table; the From (To for REGISTER) user must be the authenticated one
        ${auth}
        consume_credentials();
    }
    if (is_method("REGISTER")) { if (!save("location")) sl_reply_error(); exit; }
    if (is_method("PUBLISH|SUBSCRIBE")) route(PRESENCE);
    if (is_method("OPTIONS") && $rU == $null) { sl_send_reply("200", "OK"); exit; }
    if ($rU == $null) { sl_send_reply("484", "Address Incomplete"); exit; }
    if (is_method("INVITE")) record_route();
    ${route}
    if (!lookup("location")) {
        if (is_subscriber("$ru", "subscriber", "2")) sl_send_reply("480", "Temporarily Unavailable");
        else sl_send_reply("404", "Not Found");
        exit;
    }
    route(RELAY);
}
route[PRESENCE] {
    if (!t_newtran()) { sl_reply_error(); exit; }
    if (is_method("PUBLISH")) handle_publish(); else handle_subscribe();
    t_release();
    exit;
}
route[RELAY] { if (!t_relay()) sl_reply_error(); exit; }
onreply_route { if (nat_uac_test("64")) add_contact_alias(); }

event_route[xhttp:request] {
    set_reply_close();
    set_reply_no_connect();
    if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {
        if (ws_handle_handshake()) exit;
    }
    xhttp_reply("404", "Not Found", "", "");
}
`;
}

/**
 * `users`: user name to password, for digest auth (realm `domain`, default example.test).
 * `routedDomain`: e.g. { domain: 'web.example.test', user: 'switchboard' }: the one registration of a
 * gateway (the bridge) receives every request to any user @web.example.test and may send as any of them.
 * `KAMAILIO_DEBUG=2` (info) or `3` (debug) logs every request to stderr instead of kamailio.log.
 */
export async function startKamailio(options: { users?: Record<string, string>; domain?: string; routedDomain?: RoutedDomain } = {}): Promise<KamailioServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-kamailio-'));
  const dbDir = join(dir, 'dbtext');
  mkdirSync(dbDir);
  // The presence tables (and their versions) come from the package's db_text schema, fresh at every
  // start: db_text saves presentity at shutdown with NULLs it then refuses to load.
  const resetPresence = () => {
    for (const table of ['version', 'presentity', 'active_watchers', 'watchers', 'xcap', 'pua']) {
      cpSync(join('/usr/share/kamailio/dbtext/kamailio', table), join(dbDir, table));
    }
  };
  const domain = options.domain ?? 'example.test';
  // ha1 = MD5(user:realm:password) (ha1b with user@domain), as kamctl writes them (db_text takes no
  // empty field). db_text caches the table: it is read at start only.
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const rows = Object.entries(options.users ?? {}).map(([user, password], i) =>
    [i + 1, user, domain, password, md5(`${user}:${domain}:${password}`), md5(`${user}@${domain}:${domain}:${password}`)].map((field) => dbTextField(String(field))).join(':'),
  );
  writeFileSync(join(dbDir, 'subscriber'), `id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) \n${rows.map((row) => `${row}\n`).join('')}`);
  const sipPort = await freeTcpUdpPort();
  const wsPort = await freeTcpUdpPort([sipPort]);
  const configPath = join(dir, 'kamailio.cfg');
  writeFileSync(configPath, config(dir, domain, sipPort, wsPort, options.routedDomain));

  // -DD: don't daemonize (the PID is kamailio's main process, whose SIGTERM stops its children);
  // -E: log to stderr, which goes to kamailio.log in the folder (its shutdown prints CRITICAL lines
  // about closed sockets) unless KAMAILIO_DEBUG is set; -Y: runtime folder (else /run/kamailio).
  const logPath = join(dir, 'kamailio.log');
  const pidPath = join(dir, 'kamailio.pid');
  let logFd: number | undefined = process.env.KAMAILIO_DEBUG ? undefined : openSync(logPath, 'a');
  const stderr = logFd ?? 'inherit';
  const daemon = serverProcess('kamailio', ['-f', configPath, '-DD', '-E', '-Y', dir, '-P', pidPath], [sipPort, wsPort], ['ignore', 'ignore', stderr]);
  // A test process that dies of an uncaught error runs no after(): don't leave kamailio behind.
  const killOnExit = () => {
    try {
      if (existsSync(pidPath)) process.kill(Number(readFileSync(pidPath, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  let running = false;
  const server: KamailioServer = {
    sipPort,
    wsPort,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    domain,
    dir,
    async start() {
      if (running) return;
      resetPresence();
      running = true;
      try {
        await daemon.start();
      } catch (error) {
        await daemon.stop(); // if it runs but a port never opened
        running = false;
        const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-2000) : '';
        throw new Error(`${(error as Error).message}; ${logPath}:\n${log}`);
      }
    },
    async stop() {
      // serverProcess' stop() would wait forever for a process that was SIGKILLed before (its
      // exitCode stays null): stop only what this harness started.
      if (!running) return;
      await daemon.stop();
      running = false;
      rmSync(pidPath, { force: true });
    },
    async destroy() {
      await server.stop();
      process.removeListener('exit', killOnExit);
      if (logFd !== undefined) closeSync(logFd);
      logFd = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
