/**
 * The agent console over HTTP (docs/protocol.md, "HTTP"; docs/security.md, "Agent sign-in"):
 * `<path>` serves the console's built page, `<path>/api/` its sign-in (session, login, logout,
 * double-submit CSRF, failed-login limits) and the site's report as CSV.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { NOT_WELL_FORMED, atMostChars, describeIssues, isWellFormed, reportGetSchema } from '@switchboard/protocol/schemas';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { RateLimiter } from '../cluster/rate-limits.js';
import type { Actor } from '../core/actor.js';
import { BridgeError } from '../core/errors.js';
import type { Reports } from '../core/reports/reports.js';
import { reportCsv } from '../core/reports/csv.js';
import type { ConsoleConfig } from './config.js';
import { cookie, cookieNames, readCookie } from './cookies.js';
import type { LoginLimits } from './login-limits.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';
import type { AgentSessions, SignedInAgent } from './sessions.js';
import type { SessionEnds } from './session-ends.js';
import { consolePage } from './page.js';
import { unacceptedField } from '../util/payload-guard.js';
import { SerialQueues } from '../util/serial.js';
import { type TrustProxy, requestScheme, sameOrigin, untrustedProxyHint } from '../gateway/request-origin.js';

export interface ConsoleRoutesDeps {
  config: ConsoleConfig;
  sessions: AgentSessions;
  limits: LoginLimits;
  /** Closes, on every node, the connections of a session that was signed out. */
  sessionEnds: Pick<SessionEnds, 'ended'>;
  reports: Reports;
  /** Requests of the console's API that read much (the report), per agent: `limits.ratePerSecond` and `limits.burst`, as an API key's. */
  requests: RateLimiter;
  /** The rate `requests` allows, for its refusal. */
  ratePerSecond: number;
  /** The console's built files (`index.html` and its hashed modules); null when not built. */
  dist: string | null;
  /** With `console.demoSignIn`: the user ids of the web agents the demo signs in with one click. */
  demoAgents?: readonly string[];
  /** `server.publicUrl`, when configured: files' links start with it. */
  publicUrl?: string;
  isDraining: () => boolean;
  /** `server.trustProxy`, compiled: the scheme and host the console's page was served at. */
  trust: TrustProxy;
  /** Who a bearer credential names (the agent token of the console's connection), for the report. */
  bearer?: (credential: string) => Promise<Actor | null>;
}

/** The login body, checked by hand (two bounded strings): a wrong one is `bad_request` naming the field. */
const loginSchema = {
  parse(body: unknown): { username: string; password: string } {
    // As every body of the contract: no binary, no polluting key (a sign-in attempt it is not).
    const unaccepted = unacceptedField(body, 'body');
    if (unaccepted !== undefined) throw new BridgeError('bad_request', unaccepted);
    const { username, password } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof username !== 'string' || username.length < 1 || username.length > 128)
      throw new BridgeError('bad_request', 'username: must be 1-128 characters');
    // Characters are code points, as everywhere in the contract: 1024 emoji are 1024 characters.
    if (typeof password !== 'string' || password.length < 1 || !atMostChars(MAX_PASSWORD_LENGTH)(password))
      throw new BridgeError('bad_request', `password: must be 1-${MAX_PASSWORD_LENGTH} characters`);
    for (const [field, text] of [['username', username] as const, ['password', password] as const])
      if (!isWellFormed(text)) throw new BridgeError('bad_request', `${field}: ${NOT_WELL_FORMED}`);
    return { username, password };
  },
};

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function consoleRoutes(app: Express, deps: ConsoleRoutesDeps): void {
  /** An agent named by `Authorization: Bearer <token>`; anyone else (a visitor, an API key) is no one here. */
  const bearerAgent = async (req: Request): Promise<{ siteKey: string; address: string } | undefined> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const actor = match && deps.bearer ? await deps.bearer(match[1]!) : null;
    return actor?.role === 'agent' ? actor : undefined;
  };

  const { config, sessions } = deps;
  /** Sign-in attempts, one at a time per client IP and per username. */
  const attempts = new SerialQueues();
  const base = config.path;
  const api = `${base}/api`;
  // https as the handshake reads it (TLS, or a trusted proxy's X-Forwarded-Proto): the cookies
  // set here are the ones the handshake looks for.
  const secure = (req: Request) => requestScheme(req, deps.trust) === 'https';
  const cookieOptions = (req: Request, httpOnly: boolean, maxAge?: number) => ({
    path: '/',
    httpOnly,
    secure: secure(req),
    ...(maxAge !== undefined ? { maxAge } : {}),
  });
  // `__Host-` names over https, the bare ones over plain http (console/cookies.ts).
  const names = (req: Request) => cookieNames(secure(req));
  const session = (req: Request) => readCookie(req.get('cookie'), names(req).session);
  /** The double-submit check: the CSRF cookie and the `X-CSRF-Token` header agree (constant time). */
  const checkCsrf = (req: Request) => {
    const name = names(req).csrf;
    const cookieToken = readCookie(req.get('cookie'), name);
    const header = req.get('x-csrf-token');
    if (cookieToken === undefined || header === undefined || !sameToken(header, cookieToken))
      throw new BridgeError('forbidden', `X-CSRF-Token: missing or not the ${name} cookie; GET ${api}/session first`);
  };
  const noStore = (res: Response) => res.set('Cache-Control', 'no-store');
  const agentOf = (agent: SignedInAgent) => ({ userId: agent.userId, name: agent.name });
  const methods = () => [...(sessions.hasAccounts ? ['password'] : []), ...(config.identityUrl ? ['identity'] : []), ...(config.demoSignIn ? ['demo'] : [])];

  // Every POST (sign-in, sign-out) only from the console's own page, scheme, host and port alike:
  // a page of another origin cannot even try, whatever the CSRF cookie (gateway/request-origin.ts).
  app.use(api, (req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || sameOrigin(req, deps.trust)) return next();
    next(
      new BridgeError(
        'forbidden',
        `Origin ${String(req.get('origin')).slice(0, 200)}: only the console's own page (same scheme, host and port) may post here${untrustedProxyHint(req, deps.trust)}`,
      ),
    );
  });

  app.get(`${api}/session`, async (req, res, next) => {
    try {
      let csrfToken = readCookie(req.get('cookie'), names(req).csrf);
      if (csrfToken === undefined) {
        csrfToken = randomBytes(24).toString('base64url');
        // Readable by the console's script is not needed (the token is in the body), so HttpOnly too.
        res.append('Set-Cookie', cookie(names(req).csrf, csrfToken, cookieOptions(req, true)));
      }
      const agent = await sessions.resolve(session(req));
      noStore(res).json({
        signedIn: agent !== null,
        ...(agent ? { siteKey: agent.siteKey, agent: agentOf(agent) } : {}),
        csrfToken,
        methods: methods(),
        ...(config.demoSignIn ? { demoAgents: deps.demoAgents ?? [] } : {}),
        ...(config.identityUrl ? { identityUrl: config.identityUrl } : {}),
      });
    } catch (error) {
      next(error);
    }
  });

  app.post(`${api}/login`, express.json({ limit: 8192, type: () => true }), async (req, res, next) => {
    try {
      if (deps.isDraining()) throw new BridgeError('unavailable', 'The bridge is shutting down; retry in a moment.');
      checkCsrf(req);
      const { username, password } = loginSchema.parse(req.body);
      const ip = req.ip ?? 'unknown';
      // One attempt at a time per client IP, then per username, on this node: a burst of guesses
      // in parallel cannot all pass the check before the first failures are counted. Across nodes
      // the counts are shared but the check is not atomic: attempts landing on N nodes at the same
      // instant can pass it together (at most N - 1 more guesses).
      const signedIn = await attempts.run(`ip:${ip}`, () =>
        attempts.run(`user:${username.toLowerCase()}`, async () => {
          const waitMs = await deps.limits.waitMs(username, ip);
          if (waitMs > 0) throw Object.assign(new BridgeError('rate_limited', 'Too many failed sign-ins: wait before trying again.'), { retryAfterMs: waitMs });
          const verified = await sessions.signIn(username, password);
          if (!verified) await deps.limits.failed(username, ip);
          else await deps.limits.succeeded(username, ip);
          return verified;
        }),
      );
      if (!signedIn) throw new BridgeError('unauthorized', 'username or password is wrong');
      // The session this browser held (another agent at a shared desk, or the same one again)
      // ends with the new one's start: its tokens stop working and its connections close.
      const replaced = await sessions.revoke(session(req));
      if (replaced !== undefined) deps.sessionEnds.ended(replaced);
      const { id, agent } = signedIn;
      res.append('Set-Cookie', cookie(names(req).session, id, cookieOptions(req, true, Math.round((agent.expiresAt - Date.now()) / 1000))));
      noStore(res).json({ ok: true, siteKey: agent.siteKey, agent: agentOf(agent) });
    } catch (error) {
      next(error);
    }
  });

  app.post(`${api}/logout`, async (req, res, next) => {
    try {
      checkCsrf(req);
      const ended = await sessions.revoke(session(req));
      // The tokens issued for it stop working with it; the connections opened with them close now.
      if (ended !== undefined) deps.sessionEnds.ended(ended);
      res.append('Set-Cookie', cookie(names(req).session, '', cookieOptions(req, true, 0)));
      noStore(res).json({ ok: true });
    } catch (error) {
      next(error);
    }
  });

  app.get(`${api}/report.csv`, async (req, res, next) => {
    try {
      // The session cookie (a password sign-in), else the agent token of the console's connection,
      // which an agent the site's identity signed in (console.identityUrl) holds without a cookie.
      const agent = (await sessions.resolve(session(req))) ?? (await bearerAgent(req));
      if (!agent) throw new BridgeError('unauthorized', 'not signed in: sign in at the console first');
      const verdict = await deps.requests.take(`${agent.siteKey} ${agent.address}`);
      if (!verdict.ok)
        throw Object.assign(new BridgeError('rate_limited', `Too many requests: at most ${deps.ratePerSecond} per second per agent.`), {
          retryAfterMs: verdict.retryAfterMs,
        });
      const parsed = reportGetSchema.safeParse(req.query);
      if (!parsed.success) throw new BridgeError('bad_request', describeIssues(parsed.error));
      const report = await deps.reports.report(agent.siteKey, parsed.data);
      const name = `report-${report.by}-${report.from}-${report.to}.csv`;
      noStore(res).type('text/csv; charset=utf-8').attachment(name).send(reportCsv(report));
    } catch (error) {
      next(error);
    }
  });

  app.use(`${api}`, (_req: Request, _res: Response, next: NextFunction) =>
    next(new BridgeError('not_found', 'No such endpoint; see docs/protocol.md, "HTTP"')),
  );

  consolePage(app, { base, dist: deps.dist, identityUrl: config.identityUrl, publicUrl: deps.publicUrl, trust: deps.trust });
}
