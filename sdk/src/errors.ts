import type { Attachment, ErrorBody, ErrorCode } from '@switchboard/protocol';
import { RETRYABLE_CODES } from '@switchboard/protocol';

/** An error from the bridge (or the connection), with the contract's code. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'SwitchboardError';
    this.code = body.code;
  }

  /** Whether the same request may succeed later unchanged. */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** A file of an earlier message that could not be read back to be sent again (`uploadAgain`). */
export class FileUnreadableError extends SwitchboardError {
  constructor(readonly file: Attachment) {
    super({ code: 'not_found', message: `${file.name} could not be read again` });
    this.name = 'FileUnreadableError';
  }
}
