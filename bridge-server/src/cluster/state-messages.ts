/**
 * The messages shared desk state sends between nodes (on a StateBus), with the schemas that check
 * what another node sent: a payload that does not fit is dropped where it is heard.
 */
import { z } from 'zod';

/** An offer started (or moved to the next agent) on a node: every node watches its deadline. */
export const OFFER_STARTED = 'desk:offer';
export const offerStartedSchema = z.strictObject({
  conversationId: z.string().min(1),
  agentId: z.string().min(1),
  team: z.string().min(1),
  /** Epoch ms. */
  deadline: z.number().int(),
  declined: z.array(z.string()),
});
export type OfferStarted = z.infer<typeof offerStartedSchema>;

/** An offer ended on a node (accepted, handed over, closed): the others stop watching it. */
export const OFFER_ENDED = 'desk:offer-ended';
export const offerEndedSchema = z.strictObject({ conversationId: z.string().min(1) });

/** A conversation changed on a node: what the team queues need of it (queue-positions.ts). */
export const CONVERSATION_CHANGED = 'desk:conversation';
export const conversationChangedSchema = z.strictObject({
  id: z.string().min(1),
  team: z.string().min(1).optional(),
  state: z.enum(['open', 'closed']),
  assignee: z.string().min(1).optional(),
  createdAt: z.string(),
  participants: z.array(z.string().min(1)),
});
export type ConversationChanged = z.infer<typeof conversationChangedSchema>;
