import type { ErrorCode } from '@switchboard/protocol';

/**
 * A command that cannot run as written (a wrong argument, an unknown ref): its message is the agent's
 * answer; `code` is the error a socket client is told the same refusal as (`conversation:transfer`).
 */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode = 'bad_request',
  ) {
    super(message);
  }
}
