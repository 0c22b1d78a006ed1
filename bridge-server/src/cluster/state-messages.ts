/**
 * The messages shared desk state sends between nodes (on a StateBus), with the schemas that check
 * what another node sent: a payload that does not fit is dropped where it is heard.
 */
import { z } from 'zod';

/** An offer started (or moved to the next agent) on a node: every node watches its deadline. */
export const OFFER_STARTED = 'desk:offer';
// Not strict: a node of a later version may say more, and what it says here is still understood.
export const offerStartedSchema = z.object({
  conversationId: z.string().min(1),
  agentId: z.string().min(1),
  team: z.string().min(1),
  /** Epoch ms. */
  deadline: z.number().int(),
  declined: z.array(z.string()),
  /** The conversation's last seq when it was offered (OfferRecord.seq); absent from an older node. */
  seq: z.number().int().nonnegative().optional(),
});
export type OfferStarted = z.infer<typeof offerStartedSchema>;

/** An offer ended on a node (accepted, handed over, closed): the others stop watching it. */
export const OFFER_ENDED = 'desk:offer-ended';
/**
 * `agentId`: only the offer to that agent ended (an answer); without it, whatever offer the
 * conversation had. `seq`: the answer's; an offer made to the agent at or after it stays.
 */
// Not strict: a node of a later version may say more, and what it says here is still understood.
export const offerEndedSchema = z.object({
  conversationId: z.string().min(1),
  agentId: z.string().min(1).optional(),
  seq: z.number().int().nonnegative().optional(),
});

/**
 * A conversation changed on a node: the nodes that keep its team's queue (or the one it left) read
 * it from the store and follow it (queue-positions.ts).
 */
export const CONVERSATION_CHANGED = 'desk:conversation';
export const conversationChangedSchema = z.strictObject({
  id: z.string().min(1),
  /** Its team now, if any. */
  team: z.string().min(1).optional(),
});

/** An agent took a queued conversation on a node: each node tells its own connections of the conversation's parties. */
export const QUEUE_TAKEN = 'desk:queue-taken';
export const queueTakenSchema = z.strictObject({
  conversationId: z.string().min(1),
  team: z.string().min(1),
  participants: z.array(z.string().min(1)),
});

/** Conversations were deleted on a node without a change told (an erasure, a retention sweep): every node reads its queues again. */
export const QUEUES_REREAD = 'desk:queues-reread';

/**
 * A retraction stored on a node emptied these messages (`AppendResult.takenBack`): a node sending
 * for their network may hold a copy it read before (in a lane, in a burst) and sends nothing of it.
 */
export const TAKEN_BACK = 'outbox:taken-back';
export const takenBackSchema = z.array(z.string().min(1));
