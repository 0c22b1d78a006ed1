/** Prometheus metrics (prom-client), one registry per bridge so several bridges can share a process. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.js';
import { bounded } from './util/bounded.js';

/** How long a scrape waits for a figure read from the store: a store that hangs must not hang /metrics with it. */
const STORE_FIGURE_MS = 2000;

/** A figure read from the store, or undefined when it fails or takes too long (the gauge keeps its last value). */
const storeFigure = <T>(reading: Promise<T> | undefined): Promise<T | undefined> => (reading ? bounded(reading, STORE_FIGURE_MS) : Promise.resolve(undefined));

export function createMetrics() {
  const registry = new Registry();
  /** Networks whose send queue depth is read at each scrape. */
  const sendQueueSources = new Map<string, () => number>();
  /** Reads the bytes the file store keeps, at each scrape (set once files are set up). */
  const fileBytesSource: { read?: () => Promise<number> } = {};
  /** Reads each network's outbox depth, at each scrape (set by the outbox worker): off the message path. */
  const outboxDepthSource: { read?: () => Promise<[network: string, depth: number][]> } = {};
  const clusterNodesSource: { read?: () => number } = {};
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_process_' });
  return {
    registry,
    connections: new Gauge({
      name: 'switchboard_connections',
      help: 'Open connections on the uniform API',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    messages: new Counter({
      name: 'switchboard_messages_total',
      help: 'Messages through the bridge, by network and direction (in: from that network into the bridge; out: from the bridge to it)',
      labelNames: ['network', 'direction'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'switchboard_errors_total',
      help: 'Errors answered to clients, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    // Observed at every store call, several times a message: a histogram made for that (latency-histogram.ts).
    storeLatency: new LatencyHistogram({
      name: 'switchboard_store_seconds',
      help: 'Latency of store operations',
      labelName: 'operation',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'switchboard_outbox_depth',
      help: 'Messages waiting in the outbox, by network',
      labelNames: ['network'] as const,
      registers: [registry],
      async collect() {
        // The store failing keeps the last figures: the rest of the scrape still answers.
        const depths = await storeFigure(outboxDepthSource.read?.());
        for (const [network, depth] of depths ?? []) this.set({ network }, depth);
      },
    }),
    outboxDepthSource,
    outboxClaims: new Counter({
      name: 'switchboard_outbox_claims_total',
      help: "Outbox items this node ended the turn of (sent, failed for good, or no longer wanted), by network: in a cluster, under the network's lease",
      labelNames: ['network'] as const,
      registers: [registry],
    }),
    leaseChanges: new Counter({
      name: 'switchboard_lease_changes_total',
      help: 'Leases this node acquired, lost, or released, by lease (network:<type>) and change (acquired, lost, released)',
      labelNames: ['lease', 'change'] as const,
      registers: [registry],
    }),
    clusterBusDelay: new Histogram({
      name: 'switchboard_cluster_bus_delay_seconds',
      help: "Time a message between nodes took through Redis, from the sender's clock to this node's (a skew between their clocks adds to it)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    clusterNodes: new Gauge({
      name: 'switchboard_cluster_nodes',
      help: 'Bridge nodes this node hears from, itself included (1 on a single node)',
      registers: [registry],
      collect() {
        this.set(clusterNodesSource.read?.() ?? 1);
      },
    }),
    clusterNodesSource,
    sendQueue: new Gauge({
      name: 'switchboard_network_send_queue',
      help: "Lines or messages waiting in a network's own send queue (IRC flood control), by network",
      labelNames: ['network'] as const,
      registers: [registry],
      collect() {
        for (const [network, depth] of sendQueueSources) this.set({ network }, depth());
      },
    }),
    sendQueueSources,
    gatewayRefused: new Counter({
      name: 'switchboard_gateway_refused_total',
      help: 'Gateway messages refused, by reason (not-allowed, loop, rate-limited)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    interconnectMessages: new Counter({
      name: 'switchboard_interconnect_messages_total',
      help: 'Messages that crossed from one network to another, by boundary and site',
      labelNames: ['from', 'to', 'site'] as const,
      registers: [registry],
    }),
    interconnectBytes: new Counter({
      name: 'switchboard_interconnect_bytes_total',
      help: 'UTF-8 bytes of text that crossed from one network to another, by boundary and site',
      labelNames: ['from', 'to', 'site'] as const,
      registers: [registry],
    }),
    ratings: new Counter({
      name: 'switchboard_ratings_total',
      help: "Visitors' ratings of conversations, by team and rating (1-5)",
      labelNames: ['team', 'rating'] as const,
      registers: [registry],
    }),
    firstResponseSeconds: new Histogram({
      name: 'switchboard_first_response_seconds',
      help: "Time from a conversation's first customer message to the first agent message (not the team's greeting, not a note), by team and the customer's network",
      labelNames: ['team', 'network'] as const,
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14_400, 86_400],
      registers: [registry],
    }),
    resolutionSeconds: new Histogram({
      name: 'switchboard_resolution_seconds',
      help: "Time from a conversation being opened to its close, by team and the customer's network",
      labelNames: ['team', 'network'] as const,
      buckets: [60, 300, 900, 1800, 3600, 14_400, 28_800, 86_400, 259_200, 604_800],
      registers: [registry],
    }),
    csatRatings: new Counter({
      name: 'switchboard_csat_ratings_total',
      help: "Customers' satisfaction ratings of conversations (1-5), by team and rating",
      labelNames: ['team', 'rating'] as const,
      registers: [registry],
    }),
    firstContacts: new Counter({
      name: 'switchboard_first_contacts_total',
      help: "Customers' messages to a team's address on their own network, by network and outcome (opened, continued, duplicate, refused_no_team, rate_limited, denied_domain, blocked, agent_of_team, automatic_dropped)",
      labelNames: ['network', 'outcome'] as const,
      registers: [registry],
    }),
    fileBytesStored: new Gauge({
      name: 'switchboard_file_bytes_stored',
      help: "Bytes of files kept in the bridge's file store (equal contents kept once)",
      registers: [registry],
      async collect() {
        const bytes = await storeFigure(fileBytesSource.read?.());
        if (bytes !== undefined) this.set(bytes);
      },
    }),
    fileBytesSource,
    fileBytesServed: new Counter({
      name: 'switchboard_file_bytes_served_total',
      help: 'Bytes of files answered to readers (links and sessions), by site',
      labelNames: ['site'] as const,
      registers: [registry],
    }),
    filesUploaded: new Counter({
      name: 'switchboard_files_uploaded_total',
      help: 'Files stored, uploaded or brought by a network with a message, by site',
      labelNames: ['site'] as const,
      registers: [registry],
    }),
    fileUploadsRefused: new Counter({
      name: 'switchboard_file_uploads_refused_total',
      help: 'Files refused, by reason (disabled, too_large, quota, type, empty, rate_limited)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    networkUp: new Gauge({ name: 'switchboard_network_up', help: '1 while a network is online', labelNames: ['network'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
