/** Error codes of the v1 contract (docs/protocol.md, "Errors"). */
export const ERROR_CODES = ['bad_request', 'unauthorized', 'forbidden', 'not_found', 'too_large', 'rate_limited', 'unavailable', 'internal'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  /** A sentence a developer can act on. */
  message: string;
}

export type AckError = { ok: false; error: ErrorBody };
export type AckOk<T extends object = object> = { ok: true } & T;
/** What every acknowledgement callback receives. */
export type Ack<T extends object = object> = AckOk<T> | AckError;
export type AckCallback<T extends object = object> = (response: Ack<T>) => void;

/** HTTP status for each code, used by the REST side of the API. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Codes after which the same request may succeed later unchanged. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['rate_limited', 'unavailable', 'internal']);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
