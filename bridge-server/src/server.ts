/**
 * Assembles one bridge: store, core, networks, the socket.io gateway and the HTTP routes, on one
 * HTTP server. `start()` listens; `stop()` drains connections and closes the store cleanly.
 */
import { type Server as NetServer, createServer as createNetServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { coalescePackets } from './util/coalesced-packets.js';
import { coalesceWrites } from './util/coalesced-writes.js';
import { type IncomingMessage, type Server as HttpServer, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, LIMITS, NAMESPACE } from '@switchboard/protocol';
import type { Express } from 'express';
import { Server } from 'socket.io';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import { Core } from './core/core.js';
import { TeamDirectory } from './core/desk/teams.js';
import { toNetworkConversation } from './core/wire.js';
import { RefBook } from './networks/refs.js';
import { type NetworkRecords, type TeamSubscriptions, capabilitiesOf } from './networks/network.js';
import { isUploadPath } from './gateway/http-files.js';
import { Authenticator } from './gateway/auth.js';
import { createHttpApp } from './gateway/http.js';
import { guardOrigins } from './gateway/origin-guard.js';
import { type TrustProxy, compileTrust } from './gateway/request-origin.js';
import { SocketGateway } from './gateway/socket-gateway.js';
import { SocketHub, type V1Server } from './gateway/socket-hub.js';
import { TokenSigner } from './gateway/tokens.js';
import { type Logger, createLogger } from './logger.js';
import { Gauge } from 'prom-client';
import { type Metrics, createMetrics } from './metrics.js';
import { BUILTIN_NETWORKS, type NetworkDefinition, NetworkRegistry, type ValidatedNetwork, validateNetworks } from './networks/registry.js';
import { webHostedParties } from './networks/web/hosted.js';
import { buildStore } from './store/configured-store.js';
import type { Store } from './store/store.js';
import { timedStore } from './store/timed-store.js';
import { type Clock, systemClock } from './util/clock.js';
import { WebhookDispatcher } from './core/webhooks/dispatcher.js';
import type { SharedStateOptions } from './cluster/shared-state.js';
import { type RateLimits, memoryRateLimits, redisRateLimits } from './cluster/rate-limits.js';
import { AgentSessions } from './console/sessions.js';
import { LoginLimits } from './console/login-limits.js';
import { SessionEnds } from './console/session-ends.js';
import { distOf } from './gateway/bundles.js';
import { demoAgents } from './console/config.js';
import { DataAdmin } from './core/privacy.js';
import { FileAccess } from './core/files/file-access.js';
import { FileService } from './core/files/file-service.js';
import { FileLinks } from './core/files/links.js';
import { LocalBlobStore } from './core/files/local-blob-store.js';
import { SiteAccess } from './core/site-access.js';
import type { NetworkFiles } from './networks/network.js';
import { type Leases, networkLease } from './cluster/leases.js';
import { leasedNetwork } from './cluster/leased-network.js';
import { buildLeases } from './cluster/node-leases.js';
import { NetworkLeases } from './cluster/outbox-leases.js';
import type { ClusterBus } from './cluster/bus.js';
import { type Fabric, localFabric, redisFabric } from './cluster/fabric.js';
import { BusOutboxKicks } from './cluster/outbox-kicks.js';
import { BusNetworkCalls, type NetworkCalls } from './cluster/network-calls.js';

/** In a cluster, how often a node reads the queues of the networks it holds without a kick (a kick lost with Redis). */
const OUTBOX_POLL_MS = 3000;

export interface BridgeOptions {
  logger?: Logger;
  /** Network types beyond the built-in ones (by `type` in the config's `networks`). */
  networkDefinitions?: Record<string, NetworkDefinition>;
  /** A store other than the one the config names. */
  store?: Store;
  /** Adds HTTP routes of the embedding application (before the static site). */
  routes?: (app: Express) => void;
  /** The clock business hours, offers, retries and retention follow (the system's by default; tests move their own). */
  clock?: Clock;
  /** State shared with other nodes on the same store (cluster/shared-state.ts); none: a single node. */
  shared?: SharedStateOptions;
  /** The agent console's built files, in place of the installed `@switchboard/console`'s `dist` (tests). */
  consoleDist?: string;
}

export interface Bridge {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: Store;
  readonly core: Core;
  readonly registry: NetworkRegistry;
  /** This node's leases (always held on a single node). */
  readonly leases: Leases;
  /** The other bridge nodes (a single node's bus publishes to no one). */
  readonly bus: ClusterBus;
  readonly http: HttpServer;
  /** Listens on the configured host and port; resolves to the base URL. */
  start(): Promise<string>;
  /** Drains and closes everything; safe to call twice. */
  stop(): Promise<void>;
  url(): string;
}

/**
 * The HTTP server with socket.io on it. socket.io claims /socket.io/ requests by wrapping the
 * listeners present when it attaches, so the HTTP app is reached through a listener installed
 * before it (`routed.app`, set once the app exists).
 */
function createListener(
  config: Config,
  trust: TrustProxy,
): { http: HttpServer; io: V1Server; routed: { app?: (req: IncomingMessage, res: ServerResponse) => void } } {
  const routed: { app?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const knownOrigin = (origin: string) => config.sites.some((site) => site.origins.includes('*') || site.origins.includes(origin));
  const http = createServer((req, res) => {
    if (routed.app) routed.app(req, res);
    else res.writeHead(503).end();
  });
  // `Expect: 100-continue` (RFC 9110 section 10.1.1): an upload's body is asked for only once the
  // upload may go on (http-files.ts), so a file the bridge would refuse is never sent; any other
  // request is asked for its body at once, as Node does by default.
  http.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.method === 'POST' && isUploadPath(req.url ?? ''))) res.writeContinue();
    http.emit('request', req, res);
  });
  // Bursts of packets to one client (a commit releases many messages at once) leave in one segment.
  http.on('connection', coalesceWrites);
  const io: V1Server = new Server(http, {
    // Measured: per-message deflate costs ~9x memory per connection and ~13x relay time.
    perMessageDeflate: false,
    maxHttpBufferSize: LIMITS.maxPayloadBytes,
    // CORS lets a browser on an origin some site allows read the answers; the per-site Origin check
    // in the namespace middleware is what admits or refuses a handshake. An origin no site allows is
    // never reflected. No cookies are used, so nothing leaks.
    cors: { origin: (origin, callback) => callback(null, origin !== undefined && knownOrigin(origin)), credentials: false },
  });
  // And the packets a burst emits to one client leave in one write of its transport.
  io.engine.on('connection', coalescePackets);
  // Requests past the handshake (polling with a `sid`, WebSocket upgrades) are checked before
  // engine.io, which asks `allowRequest` only of handshakes.
  guardOrigins(http, `${io.path()}/`, knownOrigin, trust);
  return { http, io, routed };
}

/** Makes each configured network from its context; only the hosting network is given the clients (the hub). */
async function createNetworks(
  entries: ValidatedNetwork[],
  deps: {
    registry: NetworkRegistry;
    core: Core;
    hub: SocketHub;
    refs: RefBook;
    teams: TeamDirectory;
    store: Store;
    logger: Logger;
    metrics: Metrics;
    maxTextLength: number;
    files: NetworkFiles;
    /** The bridge is a gateway (`gateway` configured). */
    gateway: boolean;
    leases: Leases;
    networkLeases: NetworkLeases;
    /** Calls to a network made on a node without its lease go to the holder (several nodes only). */
    networkCalls?: NetworkCalls;
    /** The name this node keeps its own records under across restarts, when its next run is the same node. */
    nodeKey?: string;
  },
): Promise<void> {
  const { registry, core, hub, refs, teams, store, logger, metrics, maxTextLength, files, gateway, leases, networkLeases, networkCalls, nodeKey } = deps;
  const teamSubscriptions: TeamSubscriptions = {
    set: (subscription, on) => store.setTeamSubscriber(subscription, on),
    of: (scheme) => store.teamSubscribers(scheme),
  };
  for (const { definition, config, type } of entries) {
    const records: NetworkRecords = {
      state: (key) => store.networkState(type, key),
      setState: (key, value) => store.setNetworkState(type, key, value),
      thread: (conversationId) => store.conversationThread(conversationId, type),
      setThread: (conversationId, value) => store.setConversationThread(conversationId, type, value),
      setSubject: async (conversationId, subject) => {
        await store.setConversationSubject(conversationId, subject);
      },
      conversation: async (id) => {
        const record = await store.getConversation(id);
        return record && toNetworkConversation(record);
      },
      message: (id) => store.getMessage(id),
      // Remote ids are stored under the network's scheme (`InboundMessage.network`), known once it is made.
      messageByRemoteId: (remoteId) => store.messageByRemoteId(network.scheme, remoteId),
      before: async (conversationId, beforeSeq, limit) => (await store.history(conversationId, { beforeSeq, limit })).messages,
    };
    const context = {
      config,
      sink: core.sink,
      logger: logger.child({ network: type }),
      refs,
      hosted: webHostedParties,
      teams: teams.all().map((team) => ({ id: team.id, name: team.name ?? team.id, sites: teams.sitesOf(team) })),
      teamSubscriptions,
      records,
      maxTextLength,
      files,
      gateway,
      capabilitiesOf: (scheme: string) => {
        const other = registry.get(scheme);
        return other && capabilitiesOf(other);
      },
      canonicalAddress: (address: Address) => registry.canonical(address),
    };
    const made = await (definition.hostsParties
      ? definition.create({ ...context, hub, ...(nodeKey !== undefined ? { nodeKey } : {}) })
      : definition.create(context));
    // Every node hosts its own parties' connections; any other network is run by its lease's holder only.
    let network = made;
    if (!definition.hostsParties) {
      const lease = leases.lease(networkLease(type));
      networkLeases.add(made.scheme, lease);
      network = leasedNetwork(made, lease, {
        sink: core.sink,
        logger,
        acquired: (scheme) => {
          core.outbox.acquired(scheme);
          // With several nodes, what was asked of the network while another node ran it (a gateway
          // conversation's users to follow) went to that node: followed here again now. (A single
          // node follows them once, at start, after its networks started.)
          if (networkCalls)
            core.gateway?.resume().catch((error: unknown) => logger.warn({ err: error, network: scheme }, 'gateway presence not followed again'));
        },
        released: (scheme) => {
          core.outbox.released(scheme);
          // What this node said of the network's users goes: the new holder reports them.
          core.presence.withdraw(scheme);
        },
        ...(networkCalls ? { calls: networkCalls } : {}),
      });
    }
    registry.add(network);
    if (network.sendQueueDepth) metrics.sendQueueSources.set(network.scheme, () => network.sendQueueDepth!());
  }
}

/**
 * The bridge's URL as its configuration names it, before it listens (networks may send links to
 * files as soon as they start); with port 0 the port is known only once it listens.
 */
function configuredUrl(config: Config): string {
  const { host, port } = config.server;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Connections the kernel holds for the bridge to accept. After a restart every client comes back
 * within seconds; with Node's default (511) a busy event loop lets the queue overflow, and each
 * connection dropped there waits for its SYN to be sent again (1 s, then 3 s). The kernel caps it
 * at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 8192;

/** Listens on the configured host and port; resolves to the base URL, or fails with what to change. */
/** Fails as `listen` would (already in use, no privileges) when the configured port cannot be had; port 0 always can. */
export async function portFree(config: Config): Promise<void> {
  if (config.server.port === 0) return;
  const probe = createNetServer();
  await listen(probe, config);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** How long requests under way when the HTTP server closes have to be answered before their connections are cut. */
const HTTP_CLOSE_GRACE_MS = 1000;

async function listen(http: HttpServer | NetServer, config: Config): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      const where = `${config.server.host}:${config.server.port}`;
      if (error.code === 'EADDRINUSE')
        reject(new ConfigError(`${where} is already in use: stop what listens there, or set PORT (or server.port) to a free port`));
      else if (error.code === 'EACCES') reject(new ConfigError(`${where} needs more privileges: use a port above 1023, or set HOST/PORT`));
      else reject(error);
    };
    http.once('error', fail);
    http.listen({ port: config.server.port, host: config.server.host, backlog: LISTEN_BACKLOG }, () => {
      http.off('error', fail);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * The files of messages: their bytes in the configured folder (a temporary one for an in-memory
 * store, removed when the bridge stops), links signed with a secret kept in the store.
 */
async function createFiles(
  config: Config,
  deps: {
    store: Store;
    hub: SocketHub;
    teams: TeamDirectory;
    metrics: Metrics;
    logger: Logger;
    clock: Clock;
    publicUrl: () => string;
    rateLimits?: RateLimits;
  },
): Promise<{ service: FileService; cleanUp: () => void }> {
  const inDatabase = config.files.storage === 'database' ? deps.store.blobs?.() : undefined;
  if (config.files.storage === 'database' && !inDatabase)
    throw new ConfigError('files.storage: "database" needs a store that keeps files (store.type "postgres")');
  const temporary = !inDatabase && config.files.folder === undefined ? mkdtempSync(join(tmpdir(), 'switchboard-files-')) : undefined;
  const blobs = inDatabase ?? new LocalBlobStore(config.files.folder ?? temporary!);
  await blobs.start();
  const ownsFolder = await blobs.claim(await deps.store.secret('file-folder'));
  if (!ownsFolder)
    deps.logger.warn(
      { folder: config.files.folder },
      "files.folder holds another store's files: give each bridge its own folder; bytes no file refers to are not deleted here meanwhile",
    );
  deps.metrics.fileBytesSource.read = () => blobs.bytesStored();
  const access = new FileAccess({
    store: deps.store,
    access: new SiteAccess(deps.store, deps.hub, config.sites, webHostedParties),
    teams: deps.teams,
    hosted: webHostedParties,
  });
  const service = new FileService({
    store: deps.store,
    blobs,
    access,
    links: new FileLinks(await deps.store.secret('files')),
    sites: config.sites,
    config: config.files,
    publicUrl: deps.publicUrl,
    publicUrlConfigured: config.server.publicUrl !== undefined,
    ownsFolder,
    metrics: deps.metrics,
    logger: deps.logger.child({ component: 'files' }),
    now: () => deps.clock.now().getTime(),
    ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
  });
  return { service, cleanUp: () => temporary !== undefined && rmSync(temporary, { recursive: true, force: true }) };
}

/** How often stored state that outlived its use is swept (idle anonymous visitors). */
const HOUSEKEEPING_MS = 3_600_000;

export async function createBridge(config: Config, options: BridgeOptions = {}): Promise<Bridge> {
  const logger = options.logger ?? createLogger(config.log.level);
  const networkEntries = validateNetworks(config, { ...BUILTIN_NETWORKS, ...options.networkDefinitions });
  const metrics = createMetrics();
  const store = timedStore(options.store ?? (await buildStore(config, logger)), metrics);
  await store.open();
  // After the store opened: its migrations made the leases table.
  const leases = await buildLeases(config, logger, (lease, change) => metrics.leaseChanges.inc({ lease, change }));
  const networkLeases = new NetworkLeases();

  // Which proxies' forwarded headers are believed, read once for every check of a request's origin.
  const trust = compileTrust(config.server.trustProxy);
  const { http, io, routed } = createListener(config, trust);
  let fabric: Fabric;
  try {
    // Several nodes: the adapter carries broadcasts and the cluster bus to the others.
    fabric = config.cluster
      ? await redisFabric(
          io,
          () => io.of(NAMESPACE),
          config.cluster,
          logger,
          (ms) => metrics.clusterBusDelay.observe(ms / 1000),
        )
      : localFabric();
  } catch (error) {
    await store.close();
    throw error;
  }
  const { bus } = fabric;
  metrics.clusterNodesSource.read = () => bus.nodes().length;
  const nsp = io.of(NAMESPACE);
  const hub = new SocketHub(nsp, bus);
  const teams = new TeamDirectory(
    config.teams,
    config.sites.map((site) => site.key),
  );
  const registry = new NetworkRegistry();
  // With `cluster`: the bus, this node's id, its own connections and the shared Redis (a test may bring its own).
  const shared: SharedStateOptions =
    options.shared ??
    (config.cluster
      ? {
          bus,
          ...(config.cluster.nodeId !== undefined ? { nodeId: config.cluster.nodeId } : {}),
          ...(config.cluster.redis.url !== undefined ? { redisUrl: config.cluster.redis.url } : {}),
          emitLocal: (rooms, event, payload, emitOptions = {}) => hub.emit(rooms, event, payload, { ...emitOptions, local: true }),
        }
      : {});
  const webhooks = new WebhookDispatcher({
    hooks: config.webhooks,
    store,
    logger: logger.child({ component: 'webhooks' }),
    ...(shared.nodeId !== undefined ? { node: { id: shared.nodeId } } : {}),
  });
  new Gauge({
    name: 'switchboard_webhooks_pending',
    help: 'Webhook deliveries waiting or being retried',
    registers: [metrics.registry],
    collect() {
      this.set(webhooks.pending);
    },
  });
  // The gateway's id in hop markers: configured, or random and kept with the data.
  const gatewayConfig = config.gateway ? { ...config.gateway, bridgeId: config.gateway.id ?? (await store.secret('bridge-id')).slice(0, 16) } : undefined;
  const refs = new RefBook();
  const clock = options.clock ?? systemClock;
  // Counted for the whole bridge in Redis when nodes share one; in memory otherwise.
  const rateLimits = shared.redisUrl !== undefined ? await redisRateLimits({ url: shared.redisUrl, logger }) : undefined;
  const files = await createFiles(config, {
    store,
    hub,
    teams,
    metrics,
    logger,
    clock,
    publicUrl: () => config.server.publicUrl ?? (baseUrl || configuredUrl(config)),
    ...(rateLimits ? { rateLimits } : {}),
  });
  const core = new Core({
    refs,
    store,
    registry,
    hub,
    sites: config.sites,
    teams,
    limits: config.limits,
    logger,
    metrics,
    clock,
    webhooks,
    hosted: webHostedParties,
    files: files.service,
    ...(gatewayConfig ? { gateway: gatewayConfig } : {}),
    outboxLeases: networkLeases,
    ...(config.cluster ? { outboxPollMs: OUTBOX_POLL_MS } : {}),
    // The node sending for a network is the holder of its lease.
    cluster: { bus, outboxKicks: new BusOutboxKicks(bus, (network) => networkLeases.holds(network)) },
    ...(shared.bus ? { bus: shared.bus } : {}),
    ...(shared.emitLocal ? { emitLocal: shared.emitLocal } : {}),
    ...(rateLimits ? { rateLimits } : {}),
  });

  try {
    await createNetworks(networkEntries, {
      registry,
      core,
      hub,
      refs,
      teams,
      store,
      logger,
      metrics,
      maxTextLength: config.limits.maxTextLength,
      files: files.service.networkView(),
      gateway: gatewayConfig !== undefined,
      leases,
      networkLeases,
      ...(bus.spansNodes ? { networkCalls: new BusNetworkCalls(bus, logger.child({ component: 'network-calls' })) } : {}),
      // A node of several is the same node at its next run only under a configured id.
      ...(config.cluster === undefined ? { nodeKey: 'local' } : config.cluster.nodeId !== undefined ? { nodeKey: config.cluster.nodeId } : {}),
    });
  } catch (error) {
    await leases.stop(); // none is held yet: nothing started
    await store.close(); // nothing listens yet; leave no open database behind
    await fabric.close();
    throw error;
  }

  const tokenSecret = config.server.tokenSecret ?? (await store.secret('token'));
  const sessions = new AgentSessions({ store, console: config.console, sites: config.sites, teams: config.teams, now: () => clock.now().getTime() });
  const authenticator = new Authenticator(config.sites, new TokenSigner(tokenSecret), sessions, trust);
  // The connections of a console session close when it ends, on whichever node they are.
  const sessionEnds = new SessionEnds({ bus, connections: () => nsp.sockets.values(), live: (key) => sessions.live(key) });
  // Failed console sign-ins, counted for the whole bridge like the other shared limits.
  const loginLimits = new LoginLimits(
    (rateLimits ?? memoryRateLimits(() => clock.now().getTime())).failures('console-login'),
    config.console.accounts.map((account) => account.agent),
  );
  const admin = new DataAdmin({
    store,
    sites: config.sites,
    canonical: (address) => registry.canonical(address),
    logger: logger.child({ component: 'data' }),
    // What follows a deletion never fails it: it is committed already.
    deleted: async () => {
      await webhooks.recount().catch((error: unknown) => logger.warn({ err: error }, 'webhook deliveries not recounted after a deletion'));
      await core.storeLostConversations().catch((error: unknown) => logger.warn({ err: error }, 'team queues not read again after a deletion'));
    },
    releaseBlobs: (blobs) => files.service.release(blobs),
    now: () => clock.now().getTime(),
  });
  const gateway = new SocketGateway({ nsp, hub, core, authenticator, limits: config.limits, logger, metrics, trust });
  // After the gateway's own handler (the connection has its data and its `session`).
  nsp.on('connection', (socket) => sessionEnds.opened(socket));
  routed.app = createHttpApp({
    core,
    admin,
    store,
    registry,
    authenticator,
    limits: config.limits,
    sites: config.sites,
    metrics,
    logger,
    maxBodyBytes: LIMITS.maxPayloadBytes,
    isDraining: () => draining,
    ...(config.cluster ? { cluster: { nodeId: leases.nodeId, held: () => leases.held(), redisUp: () => fabric.redisUp() } } : {}),
    ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
    ...(config.server.static ? { staticDir: config.server.static } : {}),
    ...(rateLimits ? { rateLimits } : {}),
    ...(config.server.trustProxy !== undefined ? { trustProxy: config.server.trustProxy } : {}),
    ...(config.console.enabled !== false
      ? {
          console: {
            config: config.console,
            sessions,
            limits: loginLimits,
            sessionEnds,
            trust,
            reports: core.reports,
            dist: options.consoleDist ?? distOf('@switchboard/console'),
            isDraining: () => draining,
            ...(config.console.demoSignIn ? { demoAgents: demoAgents(config.teams) } : {}),
            ...(config.server.publicUrl !== undefined ? { publicUrl: config.server.publicUrl } : {}),
          },
        }
      : {}),
  });

  let baseUrl = '';
  let stopping: Promise<void> | undefined;
  let draining = false;
  let housekeeping: NodeJS.Timeout | undefined;

  return {
    config,
    logger,
    metrics,
    store,
    core,
    registry,
    leases,
    bus,
    http,
    url: () => baseUrl,
    async start() {
      // A second copy started by mistake on the same store stops here, before its start-up touches
      // what the running one holds (uploads under way, the outbox, the networks' connections).
      await portFree(config);
      bus.start();
      // Before any network brings traffic: old data goes, and what a crash interrupted resumes.
      await webhooks.start();
      await admin.start();
      await files.service.start();
      await core.announcer.resumeWebhookMarks();
      // A node alone finds no handover running: each it finds marked was cut short.
      await core.unfinishedHandovers.claimAtStart(shared.bus === undefined);
      await core.router.resumeOffers();
      for (const network of registry.all()) {
        await network.start();
        core.sink.status(network.scheme, network.status());
      }
      await core.outbox.resume();
      core.unfinishedHandovers.start();
      await core.expireIdleVisitors();
      housekeeping = setInterval(() => {
        void core.expireIdleVisitors().catch((error: unknown) => logger.warn({ err: error }, 'idle visitors not expired'));
        void sessions.sweep().catch((error: unknown) => logger.warn({ err: error }, 'expired console sessions not deleted'));
        void sessionEnds.sweep().catch((error: unknown) => logger.warn({ err: error }, 'connections of ended console sessions not closed'));
      }, HOUSEKEEPING_MS);
      housekeeping.unref();
      await core.followTeams();
      core.router.startHours();
      baseUrl = await listen(http, config);
      logger.info({ url: baseUrl }, 'bridge listening');
      const linking = registry.all().filter((network) => network.scheme !== 'web' && network.scheme !== 'mailto');
      if (config.server.publicUrl === undefined && linking.length > 0)
        logger.warn(
          { url: baseUrl, networks: linking.map((network) => network.scheme) },
          'server.publicUrl is not set: links to files sent to these networks start with the address the bridge listens on, which their users may not reach',
        );
      return baseUrl;
    },
    stop() {
      stopping ??= (async () => {
        draining = true;
        clearInterval(housekeeping);
        // Before the networks and the outbox stop: a handover being finished needs both.
        await core.unfinishedHandovers.stop(config.server.drainSeconds * 1000);
        logger.info('bridge stopping: draining connections');
        await gateway.drain(config.server.drainSeconds * 1000);
        await core.outbox.stop(config.server.drainSeconds * 1000);
        core.router.stop();
        core.presence.stop();
        // While the bus still runs, so what a network brings in until it stops reaches the other
        // nodes' clients live; and before the webhooks stop, so its events are queued.
        // All at once: each lets what its users sent be answered (seconds, when the store hangs), and
        // none waits for another's goodbyes.
        await Promise.all(registry.all().map((network) => network.stop().catch((error: unknown) => logger.error({ err: error }, 'network stop failed'))));
        // A node of several sends what it claimed; what waits for the others is theirs to send.
        await webhooks.drain(config.server.drainSeconds * 1000, 'own');
        await webhooks.stop();
        // The other nodes let go of this one's connections and reports at once.
        bus.stop();
        // Closing the HTTP server waits for its connections: a keep-alive client that goes on asking
        // (a readiness probe polling /readyz) would hold it open for as long as it asks. Idle ones
        // close now, the rest once the requests under way had a moment to be answered.
        http.closeIdleConnections();
        const cut = setTimeout(() => http.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
        await new Promise<void>((resolve) => void io.close(() => resolve()));
        clearTimeout(cut);
        await fabric.close();
        // Once its networks are stopped: another node takes them over at once, never while they run here.
        await leases.stop().catch((error: unknown) => logger.error({ err: error }, 'leases not released'));
        await core.usage.stop();
        await admin.stop();
        files.service.stop();
        await store.close();
        await rateLimits?.close().catch((error: unknown) => logger.warn({ err: error }, 'rate limits: Redis connection not closed'));
        files.cleanUp();
        logger.info('bridge stopped');
      })();
      return stopping;
    },
  };
}
