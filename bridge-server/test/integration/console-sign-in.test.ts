// The agent console's sign-in (docs/security.md, "Agent sign-in"; docs/protocol.md, "HTTP"):
// password accounts, the session cookie, CSRF, failed-login limits, the cookie handshake, the page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Session } from '@switchboard/protocol';
import { io } from 'socket.io-client';
import { hashPassword } from '../../src/console/passwords.js';
import { ManualClock } from '../manual-clock.js';
import { SITE, type TestBridge, type V1Socket, agentAuth, bodyOf, call, startBridge, until } from '../helpers.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type RedisServer, startRedis } from '../servers/redis.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/console/', import.meta.url));
const PASSWORD = 'alice-correct-password';

interface SessionAnswer {
  signedIn: boolean;
  siteKey?: string;
  agent?: { userId: string; name: string };
  csrfToken: string;
  methods: string[];
  identityUrl?: string;
}
interface ErrorAnswer {
  error: { code: string; message: string };
}

/** A browser's cookie jar for one bridge, enough for the console's cookies. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];
  constructor(
    private readonly url: string,
    /** Another client IP, as a proxy `trust proxy` believes would say (X-Forwarded-For). */
    private readonly ip?: string,
    /** The page is served over https, as that proxy says (X-Forwarded-Proto; a string: in that spelling). */
    private readonly https: boolean | string = false,
    /** The host the proxy was asked for (X-Forwarded-Host), when not the bridge's own. */
    private readonly forwardedHost?: string,
  ) {}

  /** The console page's origin, as the browser sends it. */
  get origin(): string {
    const own = this.forwardedHost ? `http://${this.forwardedHost}` : this.url;
    return this.https ? own.replace(/^http:/, 'https:') : own;
  }

  /** The cookies' names the bridge uses for this page. */
  get names(): { session: string; csrf: string } {
    return this.https ? { session: '__Host-sb_agent', csrf: '__Host-sb_csrf' } : { session: 'sb_agent', csrf: 'sb_csrf' };
  }

  private get proxied(): Record<string, string> {
    return {
      ...(this.ip ? { 'x-forwarded-for': this.ip } : {}),
      ...(this.https ? { 'x-forwarded-proto': typeof this.https === 'string' ? this.https : 'https' } : {}),
      ...(this.forwardedHost ? { 'x-forwarded-host': this.forwardedHost } : {}),
    };
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader);
    for (const [name, value] of Object.entries(this.proxied)) headers.set(name, value);
    // A browser sends its page's Origin with every POST.
    if (init.method === 'POST' && !headers.has('origin')) headers.set('origin', this.origin);
    const response = await fetch(`${this.url}${path}`, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      if (/Max-Age=0\b/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async session(): Promise<SessionAnswer> {
    return bodyOf<SessionAnswer>(await this.fetch('/agent/api/session'));
  }

  async login(username: string, password: string, csrf?: string | null): Promise<Response> {
    const token = csrf === undefined ? (await this.session()).csrfToken : csrf;
    return this.fetch('/agent/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token !== null ? { 'x-csrf-token': token } : {}) },
      body: JSON.stringify({ username, password }),
    });
  }

  async logout(csrf?: string): Promise<Response> {
    return this.fetch('/agent/api/logout', { method: 'POST', headers: csrf === undefined ? {} : { 'x-csrf-token': csrf } });
  }

  /** A handshake with the session cookie, from `origin` (the bridge's own by default). */
  connect(
    origin = this.origin,
    auth: object = { siteKey: SITE, agentSession: true },
    transports: ('websocket' | 'polling')[] = ['websocket'],
  ): Promise<{ socket: V1Socket; session: Session }> {
    const socket: V1Socket = io(`${this.url}/v1`, {
      auth,
      transports,
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin, ...this.proxied, ...(this.cookies.size > 0 ? { cookie: this.cookieHeader } : {}) },
    });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('session', (session) => resolve({ socket, session }));
      socket.once('connect_error', (error) => reject(error));
    });
  }

  async refused(origin?: string, auth?: object): Promise<{ code: string; message: string }> {
    const error = await this.connect(origin, auth).then(
      () => assert.fail('connected, but a refusal was expected'),
      (failure: Error & { data: { code: string; message: string } }) => failure.data,
    );
    return error;
  }
}

const sockets: V1Socket[] = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

async function consoleConfig() {
  return {
    // Client IPs as the test says them (X-Forwarded-For), so each case has its own failed-login budget.
    server: { host: '127.0.0.1', port: 0, drainSeconds: 2, trustProxy: 'loopback' },
    teams: [
      {
        id: 'support',
        sites: [SITE],
        capacity: 1000,
        members: [{ id: 'alice', name: 'Alice Liddell', addresses: ['web:a_alice'] }, 'web:a_bob'],
      },
    ],
    console: {
      identityUrl: '/sso/agent-identity',
      accounts: [
        { site: SITE, agent: 'alice', passwordHash: await hashPassword(PASSWORD) },
        { site: SITE, agent: 'bob', passwordHash: await hashPassword('bob-correct-password') },
      ],
    },
  };
}

describe('console sign-in', () => {
  let t: TestBridge;
  let overrides: Record<string, unknown>;
  before(async () => {
    overrides = await consoleConfig();
    t = await startBridge(overrides, { consoleDist: FIXTURE });
  });
  after(() => t.stop());

  it('answers the session with a CSRF cookie and the sign-in methods; signs in with the right password, with a safe cookie', async () => {
    const browser = new Browser(t.url, '192.0.2.1');
    const before = await browser.session();
    assert.equal(before.signedIn, false);
    assert.deepEqual(before.methods, ['password', 'identity']);
    assert.equal(before.identityUrl, '/sso/agent-identity');
    assert.match(before.csrfToken, /^[A-Za-z0-9_-]{32}$/);
    const csrfCookie = browser.setCookies.find((line) => line.startsWith('sb_csrf='))!;
    assert.match(csrfCookie, /SameSite=Strict/);
    assert.equal(browser.cookies.get('sb_csrf'), before.csrfToken);
    assert.equal((await browser.session()).csrfToken, before.csrfToken, 'the cookie is kept, not replaced');

    const login = await browser.login('alice', PASSWORD);
    assert.equal(login.status, 200);
    assert.deepEqual(await login.json(), { ok: true, siteKey: SITE, agent: { userId: 'alice', name: 'Alice Liddell' } });
    const sessionCookie = browser.setCookies.find((line) => line.startsWith('sb_agent='))!;
    assert.match(
      sessionCookie,
      /^sb_agent=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
      'no Secure over plain http; the session lives agentTokenTtlHours (12 h), to the second',
    );
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const after = await browser.session();
    assert.equal(after.signedIn, true);
    assert.equal(after.siteKey, SITE);
    assert.deepEqual(after.agent, { userId: 'alice', name: 'Alice Liddell' });

    // The cookie handshake: an agent connection, as with an identity.
    const { session } = await browser.connect();
    assert.equal(session.role, 'agent');
    assert.equal(session.self, 'web:a_alice');
    assert.equal(session.name, 'Alice Liddell');
    assert.equal(session.siteKey, SITE);
    // On long-polling too: the requests after the handshake come from the bridge's own origin, which no site lists.
    const polling = await browser.connect(t.url, undefined, ['polling']);
    assert.equal(polling.session.self, 'web:a_alice');
    const listed = await call(polling.socket, 'conversation:list', {});
    assert.ok(listed.ok, JSON.stringify(listed));
  });

  it('names the cookies __Host-sb_agent and __Host-sb_csrf, Secure, when the client used https (as the trusted proxy says)', async () => {
    const browser = new Browser(t.url, '192.0.2.2', true);
    const { csrfToken } = await browser.session();
    assert.match(browser.setCookies.join('\n'), /^__Host-sb_csrf=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; Secure; SameSite=Strict$/m);
    const login = await browser.login('alice', PASSWORD, csrfToken);
    assert.equal(login.status, 200);
    const set = login.headers.getSetCookie().join('\n');
    assert.match(set, /^__Host-sb_agent=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/m);
    assert.doesNotMatch(set, /Domain=/i);
    assert.deepEqual([...browser.cookies.keys()].sort(), ['__Host-sb_agent', '__Host-sb_csrf']);
    assert.equal((await browser.session()).signedIn, true);
    const { session } = await browser.connect();
    assert.equal(session.self, 'web:a_alice');

    // Over https the bare names are not read: a cookie a plain-http page (or a sibling host) set does not count.
    const bare = new Browser(t.url, '192.0.2.2', true);
    bare.cookies.set('sb_agent', browser.cookies.get('__Host-sb_agent')!);
    bare.cookies.set('sb_csrf', csrfToken);
    assert.equal((await bare.fetch('/agent/api/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken } })).status, 403);
    assert.equal((await bare.refused()).code, 'unauthorized');
    // And the __Host- ones are not read over plain http.
    const plain = new Browser(t.url, '192.0.2.2');
    plain.cookies.set('__Host-sb_agent', browser.cookies.get('__Host-sb_agent')!);
    assert.equal((await plain.session()).signedIn, false);

    const { csrfToken: again } = await browser.session();
    assert.equal((await browser.logout(again)).status, 200);
    assert.ok(browser.setCookies.some((line) => /^__Host-sb_agent=; Path=\/; Max-Age=0; HttpOnly; Secure; SameSite=Strict$/.test(line)));

    // A proxy that writes the scheme in capitals: the cookies set are the ones the handshake reads.
    const shouting = new Browser(t.url, '192.0.2.5', 'HTTPS');
    const { csrfToken: shoutingToken } = await shouting.session();
    assert.equal((await shouting.login('alice', PASSWORD, shoutingToken)).status, 200);
    assert.deepEqual([...shouting.cookies.keys()].sort(), ['__Host-sb_agent', '__Host-sb_csrf']);
    assert.equal((await shouting.connect()).session.self, 'web:a_alice');
  });

  it('refuses a wrong password, an unknown username, and a request without the CSRF token or with another one', async () => {
    const browser = new Browser(t.url, '203.0.113.1');
    const wrong = await browser.login('alice', 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { error: { code: 'unauthorized', message: 'username or password is wrong' } });
    const unknown = await browser.login('mallory', 'whatever-password');
    assert.equal(unknown.status, 401);
    assert.equal((await bodyOf<ErrorAnswer>(unknown)).error.message, 'username or password is wrong', 'an unknown name is told as a wrong password');
    const noToken = await browser.login('bob', 'bob-correct-password', null);
    assert.equal(noToken.status, 403);
    assert.equal((await bodyOf<ErrorAnswer>(noToken)).error.code, 'forbidden');
    const otherToken = await browser.login('bob', 'bob-correct-password', 'x'.repeat(32));
    assert.equal(otherToken.status, 403);
    // A page of another site can send the header but not read or set the cookie: without the cookie, refused.
    const noCookie = new Browser(t.url, '203.0.113.1');
    const forged = await noCookie.fetch('/agent/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': (await browser.session()).csrfToken },
      body: JSON.stringify({ username: 'bob', password: 'bob-correct-password' }),
    });
    assert.equal(forged.status, 403);
    assert.equal(browser.cookies.has('sb_agent'), false);
    const bad = await browser.fetch('/agent/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': (await browser.session()).csrfToken },
      body: '{"username": 5}',
    });
    assert.equal(bad.status, 400);
  });

  it('refuses the cookie handshake from another origin, without a cookie, and with a made-up one', async () => {
    const browser = new Browser(t.url);
    assert.equal((await browser.login('alice', PASSWORD)).status, 200);
    const crossSite = await browser.refused('http://evil.test');
    assert.equal(crossSite.code, 'forbidden');
    // The shop's origin is allowed for the site's widget, but it is not the bridge's own page.
    assert.equal((await browser.refused('http://shop.test')).code, 'forbidden');
    // The same host on another port, or with another scheme, is another origin.
    const own = new URL(t.url);
    assert.equal((await browser.refused(`http://${own.hostname}:${Number(own.port) + 1}`)).code, 'forbidden');
    assert.equal((await browser.refused(`https://${own.host}`)).code, 'forbidden');
    assert.equal((await new Browser(t.url).refused()).code, 'unauthorized');
    const forger = new Browser(t.url);
    forger.cookies.set('sb_agent', 'A'.repeat(43));
    assert.equal((await forger.refused()).code, 'unauthorized');
    assert.equal((await browser.refused(undefined, { siteKey: 'other-site', agentSession: true })).code, 'unauthorized');
    assert.equal((await browser.refused(undefined, { siteKey: SITE, agentSession: true, token: 'x' })).code, 'bad_request');
    assert.equal((await browser.refused(undefined, { siteKey: SITE, agentSession: 'yes' })).code, 'bad_request');
  });

  it("ends the browser's previous session when another agent signs in on it: its cookie and its connections", async () => {
    const browser = new Browser(t.url, '192.0.2.31');
    assert.equal((await browser.login('alice', PASSWORD)).status, 200);
    const aliceCookie = browser.cookieHeader;
    const { socket } = await browser.connect();
    const closed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("alice's connection still open 5 s after bob signed in")), 5000);
      socket.once('disconnect', () => resolve(clearTimeout(timer)));
    });
    assert.equal((await browser.login('bob', 'bob-correct-password')).status, 200);
    await closed;
    const old = await fetch(`${t.url}/agent/api/session`, { headers: { cookie: aliceCookie, 'x-forwarded-for': '192.0.2.31' } });
    assert.equal((await bodyOf<SessionAnswer>(old)).signedIn, false, "alice's cookie no longer signs anyone in");
    assert.equal((await browser.session()).agent?.userId, 'bob');
  });

  it("counts a password in characters (code points), and names the sign-in's own body limit", async () => {
    const browser = new Browser(t.url, '192.0.2.30');
    // 600 emoji are 600 characters: a wrong password, not a malformed one.
    assert.equal((await browser.login('carol', '\u{1F600}'.repeat(600))).status, 401);
    const long = await browser.login('carol', 'x'.repeat(1025));
    assert.equal(long.status, 400);
    assert.deepEqual((await bodyOf<ErrorAnswer>(long)).error, { code: 'bad_request', message: 'password: must be 1-1024 characters' });
    const huge = await browser.login('carol', 'x'.repeat(20_000));
    assert.equal(huge.status, 413);
    assert.deepEqual((await bodyOf<ErrorAnswer>(huge)).error, { code: 'too_large', message: 'Body is larger than 8192 bytes' });
    // A lone surrogate and a polluting key are malformed, as in every body of the contract: no sign-in attempt.
    const surrogate = await browser.login('carol', '\ud800');
    assert.equal(surrogate.status, 400);
    assert.deepEqual((await bodyOf<ErrorAnswer>(surrogate)).error, {
      code: 'bad_request',
      message: 'password: contains an unpaired surrogate (not valid Unicode)',
    });
    const { csrfToken } = await browser.session();
    const polluting = await browser.fetch('/agent/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: '{"username":"carol","password":"x","__proto__":{"a":1}}',
    });
    assert.equal(polluting.status, 400);
    assert.equal((await bodyOf<ErrorAnswer>(polluting)).error.code, 'bad_request');
  });

  it("accepts the console's posts and polling requests only from its own origin: scheme, host and port", async () => {
    const own = new URL(t.url);
    const otherPort = `http://${own.hostname}:${Number(own.port) + 1}`;
    for (const origin of ['http://evil.test', otherPort, `https://${own.host}`]) {
      const browser = new Browser(t.url, '192.0.2.20');
      const { csrfToken } = await browser.session();
      const login = await browser.login('alice', PASSWORD, csrfToken);
      assert.equal(login.status, 200, 'from its own origin');
      for (const [path, body] of [
        ['/agent/api/login', JSON.stringify({ username: 'alice', password: PASSWORD })],
        ['/agent/api/logout', ''],
      ] as const) {
        const posted = await browser.fetch(path, { method: 'POST', headers: { origin, 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body });
        assert.equal(posted.status, 403, `${path} from ${origin}`);
        assert.equal((await bodyOf<ErrorAnswer>(posted)).error.code, 'forbidden');
      }
      assert.equal((await browser.session()).signedIn, true, 'the refused sign-out changed nothing');
      // socket.io's requests of an open session (the origin guard): another origin is refused before engine.io reads them.
      const polling = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling&sid=abc`, { headers: { origin } });
      assert.equal(polling.status, 403, `polling from ${origin}`);
      assert.equal((await bodyOf<ErrorAnswer>(polling)).error.code, 'forbidden');
    }
    assert.notEqual((await fetch(`${t.url}/socket.io/?EIO=4&transport=polling&sid=abc`, { headers: { origin: t.url } })).status, 403);
  });

  it('reads the own origin as the trusted proxy says it (X-Forwarded-Proto and X-Forwarded-Host)', async () => {
    const proxied = new Browser(t.url, '192.0.2.21', true, 'chat.example.test');
    assert.equal(proxied.origin, 'https://chat.example.test');
    assert.equal((await proxied.login('alice', PASSWORD)).status, 200);
    const { session } = await proxied.connect();
    assert.equal(session.self, 'web:a_alice');
    // The bridge's own address is not the page's origin when the proxy says otherwise.
    assert.equal((await proxied.refused(t.url.replace(/^http:/, 'https:'))).code, 'forbidden');
    const csrf = (await proxied.session()).csrfToken;
    assert.equal(
      (await proxied.fetch('/agent/api/logout', { method: 'POST', headers: { origin: 'https://other.example.test', 'x-csrf-token': csrf } })).status,
      403,
    );
  });

  it('signs out: the session id is revoked, on this connection and any other copy of the cookie', async () => {
    const browser = new Browser(t.url);
    assert.equal((await browser.login('alice', PASSWORD)).status, 200);
    const copy = new Browser(t.url);
    copy.cookies.set('sb_agent', browser.cookies.get('sb_agent')!);
    const { csrfToken } = await browser.session();
    assert.equal((await browser.logout()).status, 403, 'sign-out needs the CSRF token too');
    const out = await browser.logout(csrfToken);
    assert.equal(out.status, 200);
    assert.ok(browser.setCookies.some((line) => /^sb_agent=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/.test(line)));
    assert.equal(browser.cookies.has('sb_agent'), false);
    assert.equal((await copy.session()).signedIn, false);
    assert.equal((await copy.refused()).code, 'unauthorized');
  });

  it('signs out: the tokens issued for the session stop working at once, and its open connections close', async () => {
    const browser = new Browser(t.url);
    assert.equal((await browser.login('alice', PASSWORD)).status, 200);
    const { socket: bySession, session } = await browser.connect();
    // The console reconnects with its token; an identity-vouched agent's token is not tied to any session.
    const byToken = await browser.connect('http://shop.test', { siteKey: SITE, token: session.token });
    const other = await browser.connect('http://shop.test', agentAuth('bob'));
    const fileAnswer = (token: string) => fetch(`${t.url}/v1/files/f_missing`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await fileAnswer(session.token)).status, 404, 'the token reads files while the session runs');
    const closed = [bySession, byToken.socket].map((socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve)));

    assert.equal((await browser.logout((await browser.session()).csrfToken)).status, 200);
    assert.deepEqual(await Promise.all(closed), ['io server disconnect', 'io server disconnect']);
    const refused = await browser.refused('http://shop.test', { siteKey: SITE, token: session.token });
    assert.equal(refused.code, 'unauthorized');
    assert.match(refused.message, /console session ended/);
    const file = await fileAnswer(session.token);
    assert.equal(file.status, 401);
    assert.equal((await bodyOf<ErrorAnswer>(file)).error.code, 'unauthorized');
    // Bob's connection and token are untouched.
    assert.equal(other.socket.connected, true);
    assert.equal((await fileAnswer(other.session.token)).status, 404);
  });

  it('limits failed sign-ins: 5 per username and IP, then 429 with Retry-After, even for the right password', async () => {
    const browser = new Browser(t.url, '198.51.100.7');
    for (let i = 0; i < 5; i++) assert.equal((await browser.login('bob', `wrong-${i}`)).status, 401);
    const limited = await browser.login('bob', 'bob-correct-password');
    assert.equal(limited.status, 429);
    assert.deepEqual(await limited.json(), { error: { code: 'rate_limited', message: 'Too many failed sign-ins: wait before trying again.' } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter > 14 * 60 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    // From another address the username waits a second (its failures from any IP); another username from there does not.
    const elsewhere = new Browser(t.url, '198.51.100.8');
    const waiting = await elsewhere.login('bob', 'bob-correct-password');
    assert.equal(waiting.status, 429);
    assert.equal(waiting.headers.get('retry-after'), '1');
    assert.equal((await elsewhere.login('alice', PASSWORD)).status, 200);
  });

  it('limits failed sign-ins per client IP, whatever the usernames: 20', async () => {
    const browser = new Browser(t.url, '198.51.100.9');
    for (let i = 0; i < 20; i++) assert.equal((await browser.login(`nobody${i}`, 'wrong-password')).status, 401);
    assert.equal((await browser.login('alice', PASSWORD)).status, 429);
  });

  it('makes a username wait after 5 failures from any IPs: 1 s, doubling with each failure, at most 60 s', async () => {
    const clock = new ManualClock(new Date());
    const timed = await startBridge(overrides, { clock, consoleDist: FIXTURE });
    try {
      let address = 0;
      // Each attempt from a new address: neither the per-IP nor the per-(username, IP) limit is reached.
      const fromAnywhere = (password: string) => new Browser(timed.url, `203.0.113.${++address}`).login('bob', password);
      for (let i = 0; i < 5; i++) assert.equal((await fromAnywhere(`wrong-${i}`)).status, 401);
      const waits: string[] = [];
      for (let i = 0; i < 8; i++) {
        const refused = await fromAnywhere('bob-correct-password');
        assert.equal(refused.status, 429, 'even the right password waits');
        assert.equal((await bodyOf<ErrorAnswer>(refused)).error.code, 'rate_limited');
        const wait = refused.headers.get('retry-after')!;
        waits.push(wait);
        clock.set(new Date(clock.now().getTime() + Number(wait) * 1000 - 1));
        assert.equal((await fromAnywhere('bob-correct-password')).status, 429, 'not a millisecond early');
        clock.set(new Date(clock.now().getTime() + 1));
        assert.equal((await fromAnywhere(`wrong-again-${i}`)).status, 401, 'tried once the wait is over');
      }
      assert.deepEqual(waits, ['1', '2', '4', '8', '16', '32', '60', '60']);
      clock.set(new Date(clock.now().getTime() + 60_000));
      assert.equal((await fromAnywhere('bob-correct-password')).status, 200);
    } finally {
      await timed.stop();
    }
  });

  it('counts failed sign-ins sent all at once: only 5 are tried, the others get 429', async () => {
    const browser = new Browser(t.url, '198.51.100.10');
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => browser.login('dora', `guess-${i}`).then((answer) => answer.status)));
    assert.deepEqual(statuses.filter((status) => status === 401).length, 5, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((status) => status === 429).length, 7);
  });

  it('serves the console page with a strict Content-Security-Policy, for every client route', async () => {
    for (const path of ['/agent', '/agent/', '/agent/conversations/c_1']) {
      const page = await fetch(`${t.url}${path}`);
      assert.equal(page.status, 200, path);
      assert.match(page.headers.get('content-type')!, /text\/html/);
      assert.match(await page.text(), /Switchboard console \(test fixture\)/);
      const policy = page.headers.get('content-security-policy')!;
      assert.match(policy, /default-src 'none'/);
      assert.match(policy, /script-src 'self'(;|$)/);
      assert.match(policy, /frame-ancestors 'none'/);
      assert.match(policy, new RegExp(`connect-src 'self' ws://${new URL(t.url).host}`));
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
    }
    // Behind the trusted proxy: the WebSocket origin the browser uses, scheme and host as it says them.
    const proxied = await new Browser(t.url, '192.0.2.6', true, 'chat.example.test').fetch('/agent');
    assert.match(proxied.headers.get('content-security-policy')!, /connect-src 'self' wss:\/\/chat\.example\.test(;| )/);
    const module = await fetch(`${t.url}/agent/console-test.js`);
    assert.equal(module.status, 200);
    assert.match(module.headers.get('content-type')!, /javascript/);
    // Every error under the console's path is JSON, a file the build does not have and a path climbing out of it too.
    for (const path of ['/agent/missing-chunk.js', '/agent/..%2F..%2Fpackage.json', '/nothing-here']) {
      const missing = await fetch(`${t.url}${path}`);
      assert.equal(missing.status, 404, path);
      assert.equal((await bodyOf<ErrorAnswer>(missing)).error.code, 'not_found', path);
    }
    const unknown = await fetch(`${t.url}/agent/api/nothing`);
    assert.equal(unknown.status, 404);
    assert.equal((await bodyOf<ErrorAnswer>(unknown)).error.code, 'not_found');
  });

  it('keeps a session across a restart of the bridge (the store holds it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-console-'));
    try {
      const first = await startBridge(overrides, { dir, consoleDist: FIXTURE });
      const browser = new Browser(first.url);
      assert.equal((await browser.login('alice', PASSWORD)).status, 200);
      const cookie = browser.cookies.get('sb_agent')!;
      await first.stop();
      const second = await startBridge(overrides, { dir, consoleDist: FIXTURE });
      try {
        const again = new Browser(second.url);
        again.cookies.set('sb_agent', cookie);
        assert.equal((await again.session()).signedIn, true);
        const { session } = await again.connect();
        assert.equal(session.self, 'web:a_alice');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends an agent's sessions when its password changes (a new hash in the configuration, then a restart)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-console-'));
    try {
      const first = await startBridge(overrides, { dir, consoleDist: FIXTURE });
      const alice = new Browser(first.url);
      const bob = new Browser(first.url);
      assert.equal((await alice.login('alice', PASSWORD)).status, 200);
      assert.equal((await bob.login('bob', 'bob-correct-password')).status, 200);
      const { session } = await alice.connect();
      await first.stop();
      const accounts = (overrides.console as { accounts: { agent: string; passwordHash: string }[] }).accounts;
      const changed = {
        ...overrides,
        console: {
          ...(overrides.console as object),
          accounts: await Promise.all(
            accounts.map(async (account) => (account.agent === 'alice' ? { ...account, passwordHash: await hashPassword('alice-new-password') } : account)),
          ),
        },
      };
      const second = await startBridge(changed, { dir, consoleDist: FIXTURE });
      try {
        const again = new Browser(second.url);
        again.cookies.set('sb_agent', alice.cookies.get('sb_agent')!);
        assert.equal((await again.session()).signedIn, false, "the old password's session is signed out");
        assert.equal((await again.refused()).code, 'unauthorized');
        const byToken = await again.refused('http://shop.test', { siteKey: SITE, token: session.token });
        assert.match(byToken.message, /console session ended/);
        // Bob's password did not change: his session runs on.
        const bobAgain = new Browser(second.url);
        bobAgain.cookies.set('sb_agent', bob.cookies.get('sb_agent')!);
        assert.equal((await bobAgain.session()).signedIn, true);
        assert.equal((await again.login('alice', PASSWORD)).status, 401);
        assert.equal((await again.login('alice', 'alice-new-password')).status, 200);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('console page and sign-in, off or not built', () => {
  it('answers 503 unavailable while the console is not built, and 404 when it is off', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'switchboard-console-empty-'));
    const built = await startBridge(await consoleConfig(), { consoleDist: empty });
    try {
      const page = await fetch(`${built.url}/agent`);
      assert.equal(page.status, 503);
      assert.equal((await bodyOf<ErrorAnswer>(page)).error.code, 'unavailable');
      assert.equal((await fetch(`${built.url}/agent/api/session`)).status, 200, 'the sign-in API answers all the same');
    } finally {
      await built.stop();
      rmSync(empty, { recursive: true, force: true });
    }
    const off = await startBridge({ ...(await consoleConfig()), console: { enabled: false } }, { consoleDist: FIXTURE });
    try {
      assert.equal((await fetch(`${off.url}/agent/api/session`)).status, 404);
      assert.equal((await fetch(`${off.url}/agent`)).status, 404);
    } finally {
      await off.stop();
    }
  });
});

describe('console sign-in on two nodes (one Postgres, one Redis)', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let a: TestBridge;
  let b: TestBridge;
  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await postgres.createDatabase();
    const config = await consoleConfig();
    const node = (nodeId: string) =>
      startBridge({ ...config, store: { type: 'postgres', url, poolSize: 4 }, cluster: { redis: { url: redis.url }, nodeId } }, { consoleDist: FIXTURE });
    a = await node('node-a');
    b = await node('node-b');
    await until(() => a.bridge.bus.nodes().length === 2 && b.bridge.bus.nodes().length === 2, 10_000, 'the nodes hear each other');
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await Promise.all([redis?.destroy(), postgres?.destroy()]);
  });

  it("signing out on node A closes the session's connections on node B and refuses its token there", async () => {
    const onA = new Browser(a.url);
    assert.equal((await onA.login('alice', PASSWORD)).status, 200);
    const onB = new Browser(b.url);
    onB.cookies.set('sb_agent', onA.cookies.get('sb_agent')!);
    const byCookie = await onB.connect();
    const byToken = await onB.connect('http://shop.test', { siteKey: SITE, token: byCookie.session.token });
    const closed = [byCookie.socket, byToken.socket].map((socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve)));
    assert.equal((await onA.logout((await onA.session()).csrfToken)).status, 200);
    assert.deepEqual(await Promise.all(closed), ['io server disconnect', 'io server disconnect']);
    assert.equal((await onB.refused('http://shop.test', { siteKey: SITE, token: byCookie.session.token })).code, 'unauthorized');
    const file = await fetch(`${b.url}/v1/files/f_missing`, { headers: { authorization: `Bearer ${byCookie.session.token}` } });
    assert.equal(file.status, 401);
  });

  it('counts failed sign-ins for the whole cluster: failures on node A limit node B', async () => {
    const onA = new Browser(a.url, '198.51.100.50');
    for (let i = 0; i < 5; i++) assert.equal((await onA.login('bob', `wrong-${i}`)).status, 401);
    const sameIp = await new Browser(b.url, '198.51.100.50').login('bob', 'bob-correct-password');
    assert.equal(sameIp.status, 429);
    const retryAfter = Number(sameIp.headers.get('retry-after'));
    assert.ok(retryAfter > 14 * 60 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    const otherIp = await new Browser(b.url, '198.51.100.51').login('bob', 'bob-correct-password');
    assert.equal(otherIp.status, 429, 'the username waits on node B too');
    assert.ok(Number(otherIp.headers.get('retry-after')) <= 1);
  });
});
