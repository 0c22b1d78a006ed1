/**
 * A customer's conversation with a site's team is found, opened or closed one decision at a time:
 * their first messages written together, and an agent's outreach to them, each find the
 * conversation the other opened instead of opening a second (the store's find-then-create is not
 * atomic), and a message being stored goes in before a close or into a new conversation after it.
 */
import type { Address } from '@switchboard/protocol';
import { SerialQueues } from '../util/serial.js';

export class CustomerTurns {
  private readonly queues = new SerialQueues();

  /** Runs `task` after those already running for `customer` on `siteKey`. */
  run<T>(siteKey: string, customer: Address, task: () => Promise<T>): Promise<T> {
    return this.queues.run(`${siteKey} ${customer}`, task);
  }
}
