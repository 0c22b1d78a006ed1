/**
 * The bridge's configuration: one JSON file, validated at start-up (docs/configuration.md).
 * A wrong file stops the process with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { type Address, ADDRESS_PATTERN, LIMITS } from '@switchboard/protocol';
import { ConfigError, issuePath } from './config-error.js';
import { continueOnConfigSchema, missingContinuationNetworks } from './core/continuations/config.js';
import { FILES_DEFAULTS, filesConfigSchema, siteFilesSchema } from './core/files/config.js';
import { businessHoursSchema } from './core/desk/business-hours.js';
import { REDIS_URL, REDIS_URL_RULE, clusterConfigSchema, defaultNodeId } from './cluster/config.js';
import { gatewayConfigSchema } from './core/interop/gateway-policy.js';
import { DEFAULT_OUTBOX_CONCURRENCY } from './core/outbox-lanes.js';
import { missingOutreachNetworks, outreachConfigSchema } from './core/outreach/policy.js';
import { webhookConfigSchema } from './core/webhooks/config.js';
import { CONSOLE_DEFAULTS, consoleConfigSchema, consoleProblems } from './console/config.js';
import { BUILTIN_NETWORKS, validateNetworks } from './networks/registry.js';
import { domainPattern } from './util/domains.js';
import { foldLocalpart } from './networks/xmpp/localpart-fold.js';

export { ConfigError, issuePath };

const address = z.string().regex(ADDRESS_PATTERN, 'must be an address such as web:a_alice or xmpp:alice@example.org');
const origin = z.union([
  z.literal('*'),
  z.string().refine((value) => {
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  }, 'must be an origin such as https://shop.example.com (scheme, host and port only, no path or trailing slash)'),
]);

const publicUrlSchema = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://chat.example.com')
  // Links are made by appending `/v1/files/...`.
  .transform((value) => value.replace(/\/+$/, ''));

const apiKey = z.union([
  z.string().min(16, 'API keys must be at least 16 characters'),
  z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    key: z.string().min(16, 'API keys must be at least 16 characters'),
  }),
]);

/**
 * Each customer's token buckets: as many as the number in a row, then they come back at that rate
 * (`conversationsPerHour: 10`: ten conversations at once, then one every six minutes).
 */
const customerLimitsSchema = z.strictObject({
  /** New conversations one customer may open with the teams. */
  conversationsPerHour: z.number().positive().default(10),
  /** Messages one customer may send to the teams' addresses. */
  messagesPerMinute: z.number().positive().default(30),
});
const CUSTOMER_LIMITS = { conversationsPerHour: 10, messagesPerMinute: 30 };

const limitsSchema = z.strictObject({
  /** Longest message text in code points (at most the contract's limit). */
  maxTextLength: z.number().int().min(1).max(LIMITS.maxTextLength).default(LIMITS.maxTextLength),
  /** Sustained events per second one connection may send. */
  ratePerSecond: z.number().positive().default(20),
  /** Events one connection may send in a burst. */
  burst: z.number().int().min(1).default(60),
  /** Per customer writing to a team's address from their own network (docs/customers.md, "Abuse controls"). */
  customers: customerLimitsSchema.default(CUSTOMER_LIMITS),
  /** Recipients of one network the outbox sends to at once (each recipient's messages one at a time, in order). */
  outboxConcurrency: z.number().int().min(1).max(256).default(DEFAULT_OUTBOX_CONCURRENCY),
});

const siteSchema = z.strictObject({
  key: z.string().regex(/^[A-Za-z0-9_-]{3,100}$/, 'must be 3-100 letters, digits, _ or -'),
  name: z.string().optional(),
  origins: z.array(origin).default([]),
  identitySecret: z.string().min(16, 'must be at least 16 characters').optional(),
  apiKeys: z.array(apiKey).default([]),
  /** Addresses a visitor may open a conversation `to` directly (besides teams); `*` suffix matches a prefix. */
  visitorTargets: z.array(z.string()).default([]),
  /** How long a visitor token stays valid, in days (renewed on every connection). */
  tokenTtlDays: z.number().positive().default(30),
  /** How long an agent's session token stays valid, in hours (agents re-prove identity after). */
  agentTokenTtlHours: z.number().positive().default(12),
  /** Conversations (with their messages) whose last activity is older than this many days are deleted; kept forever when left out. */
  retentionDays: z.number().int().min(1).optional(),
  /** Keys for the site's data administration API (export and erasure of a customer's data). */
  adminKeys: z.array(z.string().min(24, 'admin keys must be at least 24 characters')).default([]),
  /** Agents and API keys starting conversations with customers on their networks (docs/customers.md, "Outreach"); off when left out. */
  outreach: outreachConfigSchema.optional(),
  /** The networks its visitors may continue a conversation on, and how their address is proven (docs/customers.md, "Continue on my IM"); off when left out. */
  continueOn: continueOnConfigSchema.optional(),
  /** The files its parties may send (docs/protocol.md, "Files"): `false` for none; the bridge's defaults when left out. */
  files: siteFilesSchema.optional(),
});

/**
 * `xmpp:` and `irc:` addresses are lowercased: JIDs and IRC nicks compare case-insensitively; a
 * `sip:` address's host too (its user part is case-sensitive, RFC 3261 section 19.1.4).
 */
const memberAddress = address.transform(canonicalMember);

/** An agent: one address, or several (one per network the agent uses) with a name and a capacity. */
const memberSchema = z.union([
  memberAddress,
  z.strictObject({
    /** How commands and the console name the agent; the first address when left out. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must be 1-64 letters, digits, _ . @ or -')
      .optional(),
    name: z.string().min(1).max(100).optional(),
    addresses: z.array(memberAddress).min(1, 'an agent needs at least one address'),
    /** Most open conversations at once; the team's `capacity` when left out. */
    capacity: z.number().int().min(1).optional(),
  }),
]);

export interface AgentConfig {
  id: string;
  name?: string;
  addresses: Address[];
  capacity: number;
}

const teamSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    name: z.string().optional(),
    /** Site keys this team serves; all sites when omitted. */
    sites: z.array(z.string()).optional(),
    members: z.array(memberSchema).default([]),
    /** Who gets a new conversation among the available agents with room (docs/support-desk.md). */
    routing: z.enum(['first-available', 'round-robin', 'least-busy']).default('first-available'),
    /** Most open conversations per agent at once (an agent's own `capacity` wins). */
    capacity: z.number().int().min(1).default(10),
    /** An agent who does not answer an offered conversation within this time loses it to the next; 0: offers never expire. */
    offerTimeoutSeconds: z.number().min(0).default(60),
    /** When the team works; outside, conversations wait as offline messages until it opens. Always open when left out. */
    hours: businessHoursSchema.optional(),
    /** Posted by the team in each new conversation it takes while open. */
    greeting: z.string().min(1).max(LIMITS.maxTextLength).optional(),
    /** Posted by the team in a conversation opened outside its hours. */
    offlineMessage: z
      .string()
      .min(1)
      .max(LIMITS.maxTextLength)
      .default("We're away right now. Leave your message here and we'll answer as soon as we're back."),
    /**
     * Sent once to a customer on their own network whose new conversation waits in the queue while
     * the team is open, `{position}` their place in line; `false`: none (docs/customers.md). It says
     * no more than the team's address shows then (XMPP `away`, or unavailable) and its away message
     * (`offlineMessage`): no agent is available, whether they are busy, away or gone.
     */
    queueMessage: z
      .union([z.string().min(1).max(LIMITS.maxTextLength), z.literal(false)])
      .default('No agent is available right now; you are number {position} in line. We will answer here.'),
    /**
     * Posted by the team, as the conversation's last message, when a conversation with a customer
     * on their own network closes: the customer's client shows no close (a website visitor's widget
     * does). None when left out (docs/customers.md, "Closing").
     */
    closeMessage: z.string().min(1).max(LIMITS.maxTextLength).optional(),
    /** What a visitor's message to a closed conversation does: reopen it, or start a new one. */
    afterClose: z.enum(['reopen', 'new']).default('reopen'),
    /** Which customers' domains may write to the team from their own networks; deny wins (docs/customers.md, "Abuse controls"). */
    customers: z
      .strictObject({
        /** Only customers of these domains (`example.org`, `*.example.org`); any when left out. */
        allowDomains: z.array(domainPattern).optional(),
        /** Never customers of these domains. */
        denyDomains: z.array(domainPattern).default([]),
      })
      .optional(),
    /** Canned replies agents send with `/canned NAME`. */
    canned: z
      .record(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'canned reply names are 1-40 letters, digits, _ or -'), z.string().min(1).max(LIMITS.maxTextLength))
      .default({}),
  })
  .transform(({ members, ...team }) => {
    const agents: AgentConfig[] = members.map((member) => {
      if (typeof member === 'string') return { id: member, addresses: [member as Address], capacity: team.capacity };
      return {
        id: member.id ?? member.addresses[0]!,
        ...(member.name !== undefined ? { name: member.name } : {}),
        addresses: member.addresses as Address[],
        capacity: member.capacity ?? team.capacity,
      };
    });
    // `members`: every address of every agent, for the parts that only need to know who belongs.
    return { ...team, agents, members: agents.flatMap((agent) => agent.addresses) };
  });

const networkEntrySchema = z.looseObject({ type: z.string().min(1) });

const POSTGRES_URL = /^postgres(ql)?:\/\//;
const POSTGRES_URL_RULE = 'must be a URL such as postgres://user:password@host:5432/database';

const storeSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sqlite'),
    path: z.string().min(1),
    /** `normal` survives a killed process; `full` also survives power loss, at some speed. */
    synchronous: z.enum(['normal', 'full']).default('normal'),
  }),
  z.strictObject({
    type: z.literal('postgres'),
    /** `postgres://user:password@host:5432/database`; SWITCHBOARD_DATABASE_URL, when set, takes its place. */
    url: z.string().regex(POSTGRES_URL, POSTGRES_URL_RULE).optional(),
    /** Connections each node keeps open at most. */
    poolSize: z.number().int().min(1).max(1000).default(10),
    /** A statement not answered within this fails, and clients are told `unavailable`. */
    queryTimeoutSeconds: z.number().gt(0).max(300).default(5),
    /** A new connection not made within this fails. */
    connectTimeoutSeconds: z.number().gt(0).max(300).default(5),
  }),
]);

/** An address as the bridge compares it (agents' in the configuration, customers named in commands). */
export function canonicalMember(address: string): string {
  if (address.startsWith('irc:')) return address.toLowerCase();
  if (address.startsWith('xmpp:')) {
    const at = address.indexOf('@');
    return at < 0 ? address.toLowerCase() : `xmpp:${foldLocalpart(address.slice('xmpp:'.length, at))}@${address.slice(at + 1).toLowerCase()}`;
  }
  const sip = /^(sips?:)([^@]+@)?(.+)$/.exec(address);
  return sip ? `${sip[1]}${sip[2] ?? ''}${sip[3]!.toLowerCase()}` : address;
}

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** A folder of static files served at `/` (the demo site). */
      static: z.string().optional(),
      /** Signs visitor tokens; generated once and kept in the store when omitted. */
      tokenSecret: z.string().min(32, 'must be at least 32 characters').optional(),
      /** Seconds SIGTERM waits for in-flight requests before closing. */
      drainSeconds: z.number().min(0).default(10),
      /** The bridge's public base URL (`https://chat.example.com`), for links to files; `http://host:port` when left out. */
      publicUrl: publicUrlSchema.optional(),
      /** Express's `trust proxy`: which proxies' X-Forwarded-For and X-Forwarded-Proto to believe (client IPs, https). */
      trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).optional(),
    })
    .default({ host: '127.0.0.1', port: 8080, drainSeconds: 10 }),
  sites: z.array(siteSchema).min(1, 'configure at least one site'),
  teams: z.array(teamSchema).default([]),
  /** Gateway mode: users of two networks message each other through the bridge (docs/gateway.md). */
  gateway: gatewayConfigSchema.optional(),
  /** HTTP endpoints that receive conversation events, signed (docs/support-desk.md, "Webhooks"). */
  webhooks: z.array(webhookConfigSchema).default([]),
  networks: z.array(networkEntrySchema).default([{ type: 'web' }]),
  store: storeSchema,
  limits: limitsSchema.default({
    maxTextLength: LIMITS.maxTextLength,
    ratePerSecond: 20,
    burst: 60,
    customers: CUSTOMER_LIMITS,
    outboxConcurrency: DEFAULT_OUTBOX_CONCURRENCY,
  }),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).default({ level: 'info' }),
  /** Files sent with messages: where their bytes are kept, and the bridge's limits (docs/protocol.md, "Files"). */
  files: filesConfigSchema.default(FILES_DEFAULTS),
  /** `/metrics`: public unless a bearer token is set. */
  metrics: z.strictObject({ token: z.string().min(16, 'must be at least 16 characters').optional() }).default({}),
  /** Several nodes sharing the Postgres store and a Redis (docs/deploying.md, "Several nodes"); one node on its own when left out. */
  cluster: clusterConfigSchema.optional(),
  /** The agent console at `/agent` and its sign-in (docs/configuration.md, "console"). */
  console: consoleConfigSchema.default(CONSOLE_DEFAULTS),
});

export type Config = z.infer<typeof configSchema>;
export type SiteConfig = Config['sites'][number];
export type TeamConfig = Config['teams'][number];
export type NetworkEntry = Config['networks'][number];
export type LimitsConfig = Config['limits'];
export type ClusterConfig = NonNullable<Config['cluster']>;
export type { ConsoleConfig } from './console/config.js';

export function formatConfigError(error: z.ZodError, source: string): string {
  const lines = error.issues
    .flatMap(ofTheWrittenKind)
    .map((issue) => `  ${issuePath(issue.path) || '(root)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  return `Invalid configuration in ${source}:\n${lines.join('\n')}`;
}

/**
 * A value one of several kinds may be (an API key as a string or an object, a site's `files` as
 * `false` or an object) that fits none: when only one kind is what was written (the others fail on
 * the type or the value alone), that kind's own problems (an unknown key of the object), where zod
 * says only "Invalid input".
 */
function ofTheWrittenKind(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const written = issue.errors.filter(
    (branch) => !branch.every((inner) => (inner.code === 'invalid_type' || inner.code === 'invalid_value') && inner.path.length === 0),
  );
  if (written.length !== 1) return [issue];
  return written[0]!.flatMap((inner) => ofTheWrittenKind({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** Validates a parsed config object; relative paths are taken from `baseDir`. */
export function parseConfig(raw: unknown, source = 'config', baseDir = process.cwd()): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatConfigError(result.error, source));
  const config = result.data;
  // Several nodes read each other's files: in the database they share, not on one node's disk.
  config.files.storage ??= config.cluster ? 'database' : 'folder';
  checkCrossReferences(config, source);
  if (config.store.type === 'sqlite' && !isAbsolute(config.store.path) && config.store.path !== ':memory:')
    config.store.path = resolve(baseDir, config.store.path);
  if (config.server.static && !isAbsolute(config.server.static)) config.server.static = resolve(baseDir, config.server.static);
  config.files.folder = filesFolder(config, baseDir);
  // One name for this node, in the leases and on the cluster bus alike.
  if (config.cluster) config.cluster.nodeId ??= defaultNodeId();
  return config;
}

/**
 * Where files' bytes are kept: the configured folder (relative to the configuration file), else
 * `files` beside the SQLite file, else `switchboard-files` beside the configuration file (Postgres).
 * None for an in-memory store: the bridge then keeps them in a temporary folder of its own.
 */
function filesFolder(config: Config, baseDir: string): string | undefined {
  if (config.files.storage === 'database') return undefined;
  if (config.files.folder !== undefined) return resolve(baseDir, config.files.folder);
  if (config.store.type === 'postgres') return resolve(baseDir, 'switchboard-files');
  return config.store.path === ':memory:' ? undefined : join(dirname(config.store.path), 'files');
}

function checkCrossReferences(config: Config, source: string): void {
  const problems: string[] = [];
  // With cluster, "database" is the default the writer never wrote: their problem is the store (below).
  if (config.files.storage === 'database' && config.store.type !== 'postgres' && !config.cluster)
    problems.push('files.storage: "database" keeps files in the Postgres store\'s database; set store.type to "postgres", or use "folder"');
  if (config.cluster && config.files.storage === 'folder')
    problems.push(
      'files.storage: "folder" keeps files on one node\'s disk, where the other nodes cannot read them; with cluster, use "database" (the default)',
    );
  if (config.files.storage === 'database' && config.files.folder !== undefined)
    problems.push('files.folder: not used with files.storage "database" (the bytes are in the database); remove it');
  const siteKeys = new Set<string>();
  const apiKeys = new Set<string>();
  config.sites.forEach((site, i) => {
    if (siteKeys.has(site.key)) problems.push(`sites[${i}].key: duplicate site key "${site.key}"`);
    siteKeys.add(site.key);
    site.apiKeys.forEach((entry, j) => {
      const key = typeof entry === 'string' ? entry : entry.key;
      if (apiKeys.has(key)) problems.push(`sites[${i}].apiKeys[${j}]: this API key is already used`);
      apiKeys.add(key);
    });
    site.adminKeys.forEach((key, j) => {
      // An admin key names its site: one key for two sites (or also an API key) would be ambiguous.
      if (apiKeys.has(key)) problems.push(`sites[${i}].adminKeys[${j}]: this key is already used`);
      apiKeys.add(key);
    });
  });
  const teamIds = new Set<string>();
  config.teams.forEach((team, i) => {
    if (teamIds.has(team.id)) problems.push(`teams[${i}].id: duplicate team id "${team.id}"`);
    teamIds.add(team.id);
    team.sites?.forEach((key, j) => {
      if (!siteKeys.has(key)) problems.push(`teams[${i}].sites[${j}]: no site has the key "${key}"`);
    });
    // One address, one agent: routing and commands must know whose it is.
    const owners = new Map<string, string>();
    const agentIds = new Set<string>();
    team.agents.forEach((agent, j) => {
      if (agentIds.has(agent.id)) problems.push(`teams[${i}].members[${j}]: duplicate agent id "${agent.id}"`);
      agentIds.add(agent.id);
      for (const member of agent.addresses) {
        if (owners.has(member)) problems.push(`teams[${i}].members[${j}]: ${member} is already listed for agent "${owners.get(member)}"`);
        // RFC 6121 section 3.1.1: presence is subscribed to on the bare JID; every resource of it counts.
        const resource = /^(xmpp:[^/]+)\/./i.exec(member);
        if (resource)
          problems.push(`teams[${i}].members[${j}]: ${member} names a resource; list the bare JID ${resource[1]} (every client of the agent counts)`);
        owners.set(member, agent.id);
      }
    });
  });
  // Nodes share one database: their conversations, leases and the fencing of the outbox live there.
  if (config.cluster && config.store.type !== 'postgres') problems.push(`cluster: needs store.type "postgres" (nodes share one database)`);
  problems.push(...consoleProblems(config.console, config));
  if (config.gateway && !siteKeys.has(config.gateway.site)) problems.push(`gateway.site: no site has the key "${config.gateway.site}"`);
  if (config.gateway) problems.push(...gatewayPairProblems(config.gateway.allow, new Set(config.networks.map((entry) => entry.type))));
  config.webhooks.forEach((hook, i) =>
    hook.sites?.forEach((key, j) => {
      if (!siteKeys.has(key)) problems.push(`webhooks[${i}].sites[${j}]: no site has the key "${key}"`);
    }),
  );
  config.networks.forEach((entry, i) => problems.push(...customersReferences(entry, `networks[${i}].customers`, siteKeys, teamIds)));
  const networkTypes = new Set(config.networks.map((entry) => entry.type));
  config.sites.forEach((site, i) => {
    if (site.continueOn)
      for (const { index, problem } of missingContinuationNetworks(site.continueOn, networkTypes))
        problems.push(`sites[${i}].continueOn.networks[${index}]: ${problem}`);
    if (site.outreach)
      for (const { index, problem } of missingOutreachNetworks(site.outreach, networkTypes))
        problems.push(`sites[${i}].outreach.networks[${index}]: ${problem}`);
  });
  if (problems.length > 0) throw new ConfigError(`Invalid configuration in ${source}:\n  ${problems.join('\n  ')}`);
}

/**
 * The networks a gateway pair names must be networks of the configuration that carry users to one
 * another: a misspelt or missing one would refuse every message at run time, and email takes no
 * part (a mail goes out from a team's mailbox, never as its sender, and answers go to the team).
 */
function gatewayPairProblems(allow: readonly { from: string; to: string }[], networkTypes: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  allow.forEach((pair, i) => {
    for (const side of ['from', 'to'] as const) {
      const name = pair[side];
      if (name === 'email' || name === 'mailto')
        problems.push(
          `gateway.allow[${i}].${side}: email takes no part in the gateway: mail goes out from a team's mailbox, not as its sender, and replies reach the team`,
        );
      else if (!networkTypes.has(name))
        problems.push(`gateway.allow[${i}].${side}: no network of type "${name}" is configured (networks: ${[...networkTypes].join(', ') || 'none'})`);
    }
  });
  return problems;
}

/**
 * The sites and teams a network's `customers` names (docs/customers.md): a misspelt one would
 * otherwise leave customers refused, or a team without its address, and nothing said.
 */
function customersReferences(entry: Record<string, unknown>, at: string, siteKeys: ReadonlySet<string>, teamIds: ReadonlySet<string>): string[] {
  if (typeof entry.customers !== 'object' || entry.customers === null) return [];
  const { site, team, teams, teamAddresses } = entry.customers as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof site === 'string' && !siteKeys.has(site)) problems.push(`${at}.site: no site has the key "${site}"`);
  const named: [string, unknown][] = [
    ['team', team],
    ...(Array.isArray(teams) ? teams.map((id, j): [string, unknown] => [`teams[${j}]`, id]) : []),
    ...Object.keys(typeof teamAddresses === 'object' && teamAddresses !== null ? teamAddresses : {}).map((id): [string, unknown] => [
      `teamAddresses.${id}`,
      id,
    ]),
  ];
  for (const [field, id] of named) if (typeof id === 'string' && !teamIds.has(id)) problems.push(`${at}.${field}: no team has the id "${id}"`);
  return problems;
}

/** Reads and validates a config file; PORT overrides `server.port`. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the configuration file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The configuration file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const config = parseConfig(raw, path, dirname(resolve(path)));
  // The built-in networks' entries are checked here too, so a mistake names the file.
  validateNetworks(config, BUILTIN_NETWORKS, path);
  if (env.PORT !== undefined && env.PORT !== '') {
    // Digits only: Number() would read " " as 0 (a random port), and "0x50" or "1e3" as numbers too.
    const port = /^\d{1,5}$/.test(env.PORT) ? Number(env.PORT) : NaN;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT: must be an integer from 0 to 65535, got "${env.PORT}"`);
    config.server.port = port;
  }
  if (env.HOST) config.server.host = env.HOST;
  if (config.store.type === 'postgres') {
    // The URL holds a password: it may stay out of the file.
    if (env.SWITCHBOARD_DATABASE_URL) {
      // The value is not echoed: it may hold a password.
      if (!POSTGRES_URL.test(env.SWITCHBOARD_DATABASE_URL)) throw new ConfigError(`SWITCHBOARD_DATABASE_URL: ${POSTGRES_URL_RULE}`);
      config.store.url = env.SWITCHBOARD_DATABASE_URL;
    }
    if (config.store.url === undefined)
      throw new ConfigError(`Invalid configuration in ${path}:\n  store.url: set it, or the environment variable SWITCHBOARD_DATABASE_URL`);
  }
  if (config.cluster) {
    // Like the database's, the URL may hold a password.
    if (env.SWITCHBOARD_REDIS_URL) {
      if (!REDIS_URL.test(env.SWITCHBOARD_REDIS_URL)) throw new ConfigError(`SWITCHBOARD_REDIS_URL: ${REDIS_URL_RULE}`);
      config.cluster.redis.url = env.SWITCHBOARD_REDIS_URL;
    }
    if (config.cluster.redis.url === undefined)
      throw new ConfigError(`Invalid configuration in ${path}:\n  cluster.redis.url: set it, or the environment variable SWITCHBOARD_REDIS_URL`);
  }
  if (env.LOG_LEVEL) {
    const level = configSchema.shape.log.unwrap().shape.level.safeParse(env.LOG_LEVEL);
    if (!level.success) throw new ConfigError(`LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent`);
    config.log.level = level.data;
  }
  return config;
}
