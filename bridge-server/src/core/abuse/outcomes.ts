/**
 * What became of a customer's message to a team's address (docs/customers.md, "Abuse controls"):
 * counted in /metrics by network and outcome, and the refusals the sender is told of.
 */
import type { ErrorCode } from '@switchboard/protocol';
import { BridgeError } from '../errors.js';

export type FirstContactOutcome =
  /** A new conversation with the team. */
  | 'opened'
  /** Into the customer's open conversation with the team. */
  | 'continued'
  /** A retransmission of a message already stored. */
  | 'duplicate'
  /** No team of that id serves the site. */
  | 'refused_no_team'
  /** Too many messages, or new conversations, from this sender. */
  | 'rate_limited'
  /** The sender's domain is not one the team takes customers from. */
  | 'denied_domain'
  /** An agent blocked the sender. */
  | 'blocked'
  /** The sender is an agent of the team they wrote to. */
  | 'agent_of_team'
  /** A machine's message (an out-of-office answer, a delay notice) with no open conversation: it opens none. */
  | 'automatic_dropped';

/** A customer's message refused, with its outcome; `quiet` when the customer was told before. */
export class CustomerRefusal extends BridgeError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly outcome: FirstContactOutcome,
    readonly quiet = false,
  ) {
    super(code, message);
    this.name = 'CustomerRefusal';
  }
}
