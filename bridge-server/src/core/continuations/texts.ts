/**
 * What the bridge writes to a visitor's address on another network (docs/customers.md, "Continue
 * on my IM"): the proof message is the only thing an unproven address ever gets, and it says which
 * site asked and how to ignore it.
 */
import type { ContinuationStopReason } from '@switchboard/protocol';
import type { ContinuationRecord } from '../../store/store.js';

export const proofText = {
  code: (code: string, site: string) =>
    `${code} is your code to continue your chat with ${site} here. If you did not ask for it, ignore this message: without the code, the chat does not come here.`,
  reply: (site: string) =>
    `Reply to this message to continue your chat with ${site} here. If you did not ask for it, ignore this message: without your reply, the chat does not come here.`,
};

/** Once proven: what comes next, and how to stop. */
export const activeText = (site: string) => `Your chat with ${site} continues here: replies come here too. Send /stop to stop.`;

/** Stopped from either side, or the conversation closed: the last thing sent there. */
export const stoppedText = {
  remote: (site: string) => `Stopped: your chat with ${site} continues on the web page only; nothing more will be sent here.`,
  visitor: (site: string) => `Stopped from the web page: your chat with ${site} continues there only; nothing more will be sent here.`,
  agent: (site: string) => `${site} stopped continuing your chat here; nothing more will be sent here.`,
  closed: (site: string) => `Your chat with ${site} was closed; nothing more will be sent here. Write again to start a new one.`,
};

/** What an IM user types to stop. */
export const isStopCommand = (text: string): boolean => text.trim().toLowerCase() === '/stop';

/** Why a continuation stopped, as an agent reads it. */
const STOP_REASONS: Record<ContinuationStopReason, string> = {
  visitor: 'the visitor stopped it from the web page',
  remote: 'the visitor sent /stop from there',
  agent: 'an agent stopped it',
  expired: 'the code expired',
  attempts: 'too many wrong codes',
  replaced: 'the visitor gave another address',
  closed: 'the conversation closed',
  blocked: 'an agent blocked that address',
};

/**
 * What an agent on an IM network is told (web agents get the `continuation` event): the address
 * only once proven, so that an agent never reads an address the visitor has not shown is theirs.
 */
export function agentNotice(ref: string, continuation: Pick<ContinuationRecord, 'address' | 'state' | 'proof' | 'reason'>): string | null {
  if (continuation.state === 'active')
    return `#${ref}: the visitor continues on ${continuation.address} (proven by ${continuation.proof}); your replies reach them there too.`;
  if (continuation.state === 'stopped' && continuation.reason !== undefined && continuation.reason !== 'replaced')
    return `#${ref}: the visitor no longer continues on another network (${STOP_REASONS[continuation.reason]}).`;
  return null;
}
