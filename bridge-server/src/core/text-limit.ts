import { LIMITS, textTooLong } from '@switchboard/protocol';
import { BridgeError, badRequest } from './errors.js';

/**
 * Refuses a message text over the length limit (the bridge's, never above the contract's) or
 * that is not valid Unicode. Length counts code points, not UTF-16 units: an emoji is one character.
 */
export function checkText(text: string, maxTextLength: number): void {
  const max = Math.min(maxTextLength, LIMITS.maxTextLength);
  let length = 0;
  for (const _ of text) if (++length > max) throw new BridgeError('too_large', textTooLong(max));
  if (!text.isWellFormed()) throw badRequest('text: contains an unpaired surrogate (not valid Unicode)');
}
