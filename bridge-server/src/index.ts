export { type Bridge, type BridgeOptions, createBridge } from './server.js';
export { type Config, ConfigError, configSchema, loadConfig, parseConfig } from './config.js';
export type { Store, ConversationRecord, PartyRecord } from './store/store.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres-store.js';
export {
  type InboundSink,
  type Network,
  type NetworkCapabilities,
  type NetworkContext,
  NetworkError,
  type NetworkStatus,
  type OutboundMessage,
  type SendResult,
} from './networks/network.js';
export { type NetworkDefinition, BUILTIN_NETWORKS } from './networks/registry.js';
export { identityHash } from './gateway/tokens.js';
export { Reconnector, backoffDelay } from './util/backoff.js';
export { TokenBucket } from './util/token-bucket.js';
