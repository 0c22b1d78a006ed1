/**
 * A database that does not answer (hung, cut off, restarting, refusing connections) is a condition
 * the client can retry later, not a failure of the bridge: such errors become `unavailable`, with a
 * sentence that says so, instead of `internal`.
 */
import { BridgeError } from '../../core/errors.js';

/** Thrown by node-postgres when a query's `query_timeout` passes (pg/lib/client.js). */
export const READ_TIMEOUT = 'Query read timeout';

/**
 * SQLSTATEs of a database that cannot serve now (PostgreSQL Appendix A): class 08 (connection
 * exception), 57014 (query_canceled: `statement_timeout`), 57P01-57P03 (shutting down, cannot
 * connect now), 53300 (too many connections), 25P03 (`idle_in_transaction_session_timeout`).
 */
const UNAVAILABLE_STATES = /^(08...|57014|57P0[1-3]|53300|25P03)$/;
/** Socket errors of a server that cannot be reached. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres' and pg-pool's own messages for a connection that failed, timed out, or went away. */
const DRIVER_MESSAGES = [
  READ_TIMEOUT,
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'connection timeout',
  'Client has encountered a connection error and is not queryable',
];

/** Whether `error` says the database did not answer (or cannot be reached), rather than that a statement was wrong. */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || SOCKET_CODES.has(code))) return true;
  return typeof message === 'string' && DRIVER_MESSAGES.some((known) => message.includes(known));
}

/** `error` as the client should see it: `unavailable` when the database did not answer, else unchanged. */
export function asUnavailable(error: unknown): unknown {
  if (!isUnreachable(error)) return error;
  return new BridgeError(
    'unavailable',
    "The bridge's database did not answer in time. Try again later: a message sent again with the same clientId is stored once.",
    { cause: error },
  );
}
