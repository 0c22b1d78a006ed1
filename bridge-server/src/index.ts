export { type Bridge, type BridgeOptions, createBridge } from './server.js';
export { type Config, ConfigError, configSchema, loadConfig, parseConfig } from './config.js';
// The stores are entry points of their own (`@switchboard/bridge-server/sqlite-store` and
// `/postgres-store`): importing the bridge loads neither driver, and the configured one only when
// the bridge opens it (store/configured-store.ts).
export type { Store, ConversationRecord, PartyRecord } from './store/store.js';
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
