import type { ErrorBody, ErrorCode } from '@switchboard/protocol';

/** An error a client can act on: carried to it as `{ code, message }`, never as a stack trace. */
export class BridgeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BridgeError';
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export const badRequest = (message: string) => new BridgeError('bad_request', message);
export const forbidden = (message: string) => new BridgeError('forbidden', message);
export const notFound = (message: string) => new BridgeError('not_found', message);

/** Turns anything thrown into a body safe to show a client. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof BridgeError) return error.toBody();
  return { code: 'internal', message: 'The bridge failed to handle this request; it was logged. Try again.' };
}
