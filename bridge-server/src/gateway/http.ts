/**
 * HTTP beside the socket API: health, readiness, metrics, `POST /v1/messages` for server-side
 * code, the SDK bundles, and an optional static site, compressed where it pays. Every error is JSON `{ error: { code, message } }`.
 */
import { existsSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Address, ErrorBody } from '@switchboard/protocol';
import { HTTP_STATUS } from '@switchboard/protocol';
import { describeIssues, reportGetSchema, restMessageSchema } from '@switchboard/protocol/schemas';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { LimitsConfig, SiteConfig } from '../config.js';
import type { Actor } from '../core/actor.js';
import type { Core } from '../core/core.js';
import type { DataAdmin } from '../core/privacy.js';
import { BridgeError, toErrorBody } from '../core/errors.js';
import { toWireConversation } from '../core/wire.js';
import { earlierSend } from '../core/messages.js';
import { toClientForm, withSite } from '../networks/web/site-scope.js';
import { unacceptedField } from '../util/payload-guard.js';
import type { Metrics } from '../metrics.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { Store } from '../store/store.js';
import { newId } from '../util/ids.js';
import { type RateLimits, memoryRateLimits } from '../cluster/rate-limits.js';
import type { Authenticator } from './auth.js';
import { bundleRoutes } from './bundles.js';
import { compressedResponses } from './compressed-responses.js';
import { fileRoutes } from './http-files.js';
import { type ConsoleRoutesDeps, consoleRoutes } from '../console/routes.js';
import { reportCsv } from '../core/reports/csv.js';

export interface HttpDeps {
  core: Core;
  admin: DataAdmin;
  store: Store;
  registry: NetworkRegistry;
  authenticator: Authenticator;
  limits: LimitsConfig;
  sites: readonly SiteConfig[];
  metrics: Metrics;
  logger: Logger;
  staticDir?: string;
  maxBodyBytes: number;
  routes?: (app: express.Express) => void;
  /** True once the bridge is shutting down: not ready, and no new writes. */
  isDraining: () => boolean;
  /** When set, `/metrics` answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** In a cluster: this node's id and the leases it holds, for /readyz. */
  cluster?: { nodeId: string; held(): { name: string; token: number }[]; redisUp(): boolean };
  /** Where API requests per key are counted: shared by every node (Redis), or this process's memory by default. */
  rateLimits?: RateLimits;
  /** Express's `trust proxy` (`server.trustProxy`): client IPs and https as the proxy says them. */
  trustProxy?: boolean | number | string;
  /** The agent console's page and sign-in API; none when `console.enabled` is false. */
  /** The console's routes, but their rate limit: the API's (`limits`, `rateLimits`). */
  console?: Omit<ConsoleRoutesDeps, 'requests' | 'ratePerSecond'>;
}

/**
 * Headers for the bridge's own pages (the demo, the agent console): scripts, styles and
 * connections from the bridge's origin only (Lit's styles are constructed, some inline), no
 * framing by other sites, no referrer. Bundles other sites load override the resource policy.
 */
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
});

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Why a body was not taken: not JSON, or JSON that is no object (express.json's strict mode refuses `null`, `42`, ...). */
function parseFailure(body: unknown): string {
  try {
    if (typeof body === 'string') JSON.parse(body);
    else return 'Body is not valid JSON';
  } catch {
    return 'Body is not valid JSON';
  }
  return 'Body must be a JSON object';
}

function sendError(res: Response, error: ErrorBody): void {
  res.status(HTTP_STATUS[error.code]).json({ error });
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  app.use(securityHeaders);
  app.use(compressedResponses());
  // Per API key for the whole bridge: with several nodes, in Redis (cluster/rate-limits.ts).
  const limits = deps.rateLimits ?? memoryRateLimits();
  const apiRequests = limits.bucket({ name: 'api', perSecond: deps.limits.ratePerSecond, burst: deps.limits.burst });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const store = await deps.store.ping().catch(() => false);
    const networks = Object.fromEntries(deps.registry.all().map((network) => [network.scheme, network.status()]));
    const draining = deps.isDraining();
    // A network another node runs (`standby`) leaves this node ready: it serves its clients all the same.
    const ready = !draining && store && Object.values(networks).every((status) => status.state === 'online' || status.state === 'standby');
    // Redis being away leaves a node ready: it serves its own clients (what other nodes' clients miss, `sync` brings).
    const cluster = deps.cluster && { node: deps.cluster.nodeId, redis: deps.cluster.redisUp() ? 'up' : 'down', leases: deps.cluster.held() };
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : draining ? 'draining' : 'not ready', store: store ? 'up' : 'down', networks, ...cluster });
  });

  app.get('/metrics', async (req, res) => {
    if (deps.metricsToken !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
      if (!match || !sameSecret(match[1]!, deps.metricsToken)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        return sendError(res, { code: 'unauthorized', message: 'Authorization: send "Bearer <metrics.token>" (see docs/configuration.md)' });
      }
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  bundleRoutes(app, (res, file) => sendError(res, { code: 'unavailable', message: `${file} is not built; run npm run build` }));

  const authenticate = async (req: Request): Promise<Actor> => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new BridgeError('unauthorized', 'Authorization: send "Bearer <apiKey>"');
    const actor = deps.authenticator.integration(match[1]!);
    if (!actor) throw new BridgeError('unauthorized', 'Authorization: unknown API key');
    const verdict = await apiRequests.take(actor.address);
    if (!verdict.ok)
      throw Object.assign(new BridgeError('rate_limited', `Too many requests: at most ${deps.limits.ratePerSecond} per second per API key.`), {
        retryAfterMs: verdict.retryAfterMs,
      });
    return actor;
  };

  app.post('/v1/messages', express.json({ limit: deps.maxBodyBytes, type: () => true }), async (req, res, next) => {
    try {
      if (deps.isDraining()) throw new BridgeError('unavailable', 'The bridge is shutting down; retry in a moment.');
      const actor = await authenticate(req);
      const unaccepted = unacceptedField(req.body, 'body');
      if (unaccepted !== undefined) throw new BridgeError('bad_request', unaccepted);
      const parsed = restMessageSchema.safeParse(req.body);
      if (!parsed.success) throw new BridgeError('bad_request', describeIssues(parsed.error));
      const body = parsed.data;
      const { conversations, messages, outreach } = deps.core;
      if (body.team !== undefined) {
        // Outreach (docs/customers.md): the team's conversation with a customer on their network, the text from the team.
        const started = await outreach.open(actor, { to: body.to!, team: body.team, text: body.text, clientId: body.clientId ?? newId('rest') });
        res.status(201).json({ ok: true, ...toClientForm({ message: started.message, conversation: toWireConversation(started.conversation) }) });
        return;
      }
      // `to` is written as the key's site knows its parties (networks/web/site-scope.ts), in its network's canonical form.
      const to = body.conversationId === undefined ? deps.registry.canonical(withSite(body.to! as Address, actor.siteKey)) : undefined;
      // A repeated call (same clientId: a retry after a lost answer) answers the message it stored,
      // even once its conversation closed, and opens nothing.
      const earlier =
        to !== undefined && body.clientId !== undefined
          ? await earlierSend(deps.store, actor.address, body.clientId, (c) => c.siteKey === actor.siteKey && c.participants.includes(to))
          : null;
      if (earlier) {
        res.status(201).json({ ok: true, message: toClientForm(earlier.message) });
        return;
      }
      const conversationId = body.conversationId ?? (await conversations.open(actor, { to: to! })).id;
      const message = await messages.send(actor, {
        conversationId,
        text: body.text,
        clientId: body.clientId ?? newId('rest'),
        ...(body.attachments ? { attachments: body.attachments } : {}),
      });
      res.status(201).json({ ok: true, message: toClientForm(message) });
    } catch (error) {
      next(error);
    }
  });

  // Interconnect usage per day and boundary (docs/protocol.md, "Usage"), for the site's own API keys.
  app.get('/v1/usage', async (req, res, next) => {
    try {
      const actor = await authenticate(req);
      const today = new Date().toISOString().slice(0, 10);
      const from = dayOf(req.query.from, 'from') ?? today;
      const to = dayOf(req.query.to, 'to') ?? from;
      if (to < from) throw new BridgeError('bad_request', 'to: must not be before from');
      const rows = await deps.core.usage.report(actor.siteKey, from, to);
      res.json({ ok: true, site: actor.siteKey, from, to, usage: rows.map(({ siteKey: _site, ...row }) => row) });
    } catch (error) {
      next(error);
    }
  });

  // Reports of the key's site (docs/support-desk.md, "Reports"), as JSON or CSV.
  app.get('/v1/reports', async (req, res, next) => {
    try {
      const actor = await authenticate(req);
      const { format = 'json', ...query } = req.query as Record<string, unknown>;
      if (format !== 'json' && format !== 'csv') throw new BridgeError('bad_request', 'format: must be json or csv');
      const parsed = reportGetSchema.safeParse(query);
      if (!parsed.success) throw new BridgeError('bad_request', describeIssues(parsed.error));
      const report = await deps.core.reports.report(actor.siteKey, parsed.data);
      res.set('Cache-Control', 'no-store');
      if (format === 'csv') res.type('text/csv; charset=utf-8').attachment(`report-${report.by}-${report.from}-${report.to}.csv`).send(reportCsv(report));
      else res.json({ ok: true, ...report });
    } catch (error) {
      next(error);
    }
  });

  // Data administration (docs/protocol.md): one customer's data, exported or erased, with a site's admin key.
  app.get('/v1/parties/:address/export', async (req, res, next) => {
    try {
      const siteKey = deps.admin.siteOf(req.get('authorization'));
      res.set('Cache-Control', 'no-store').json(await deps.admin.export(siteKey, req.params.address));
    } catch (error) {
      next(error);
    }
  });

  app.delete('/v1/parties/:address', async (req, res, next) => {
    try {
      if (deps.isDraining()) throw new BridgeError('unavailable', 'The bridge is shutting down; retry in a moment.');
      const siteKey = deps.admin.siteOf(req.get('authorization'));
      const erased = await deps.admin.erase(siteKey, req.params.address);
      res.json({ ok: true, erased });
    } catch (error) {
      next(error);
    }
  });

  fileRoutes(app, { files: deps.core.files, authenticator: deps.authenticator, sites: deps.sites, logger: deps.logger, isDraining: deps.isDraining });

  if (deps.console) {
    const requests = limits.bucket({ name: 'console', perSecond: deps.limits.ratePerSecond, burst: deps.limits.burst });
    consoleRoutes(app, { ...deps.console, requests, ratePerSecond: deps.limits.ratePerSecond, bearer: (credential) => deps.authenticator.bearer(credential) });
  }
  deps.routes?.(app);
  if (deps.staticDir) {
    // A folder not there (a path relative to another folder, a typo) would answer 404 at / and say nothing.
    if (!existsSync(deps.staticDir))
      deps.logger.warn({ static: deps.staticDir }, 'server.static: the folder does not exist; nothing is served at / until it does');
    app.use(express.static(deps.staticDir, { index: 'index.html', extensions: ['html'] }));
  }

  app.use('/v1', (_req, res) => sendError(res, { code: 'not_found', message: 'No such endpoint; see docs/protocol.md' }));
  // Anything else nothing served (a console file the build does not have, a typo): JSON as every other error.
  app.use((_req, res) => sendError(res, { code: 'not_found', message: 'Nothing here' }));

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number; type?: string }).status;
    const type = (error as { type?: string }).type;
    // The limit of the route that refused it (a sign-in takes less than a message).
    const limit = (error as { limit?: number }).limit ?? deps.maxBodyBytes;
    if (type === 'entity.too.large') return sendError(res, { code: 'too_large', message: `Body is larger than ${limit} bytes` });
    if (type === 'entity.parse.failed') return sendError(res, { code: 'bad_request', message: parseFailure((error as { body?: unknown }).body) });
    if (status && status >= 400 && status < 500 && !(error instanceof BridgeError)) {
      return sendError(res, { code: 'bad_request', message: (error as Error).message });
    }
    const body = toErrorBody(error);
    deps.metrics.errors.inc({ code: body.code });
    if (body.code === 'internal') deps.logger.error({ err: error }, 'HTTP request failed');
    const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
    if (retryAfterMs !== undefined) res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    sendError(res, body);
  });

  return app;
}

/**
 * A `YYYY-MM-DD` query parameter that is a day of the calendar (`2026-02-31` is none: `Date.parse`
 * would roll it over), or undefined when absent; given twice or otherwise malformed, `bad_request`.
 */
function dayOf(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0-99 as 1900-1999.
  const date = match ? new Date(new Date(0).setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new BridgeError('bad_request', `${name}: must be one day such as 2026-11-24`);
  return value;
}
