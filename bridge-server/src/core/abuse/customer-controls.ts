/**
 * Abuse controls on customers writing to a team's address from their own networks
 * (docs/customers.md, "Abuse controls"): agents' blocks, the team's allow and deny lists of
 * domains, and per-sender rates of messages and of new conversations. Each refusal throws a
 * `CustomerRefusal` whose text the network shows the sender.
 */
import type { Address } from '@switchboard/protocol';
import type { LimitsConfig, TeamConfig } from '../../config.js';
import type { Store } from '../../store/store.js';
import { domainMatches, domainOf } from '../../util/domains.js';
import { KeyedRateLimit } from '../../util/keyed-rate-limit.js';
import { CustomerRefusal } from './outcomes.js';

/** What a blocked customer is told, once (later messages are dropped without a word). */
export const BLOCKED_NOTICE = 'You are blocked here: this message and your later ones are not delivered, and you will not be told again.';

export interface CustomerControlsDeps {
  store: Pick<Store, 'blockOf' | 'markBlockTold'>;
  limits: LimitsConfig['customers'];
  now?: () => number;
}

export class CustomerControls {
  private readonly messages: KeyedRateLimit;
  private readonly conversations: KeyedRateLimit;

  constructor(private readonly deps: CustomerControlsDeps) {
    const { limits, now } = deps;
    this.messages = new KeyedRateLimit(limits.messagesPerMinute, limits.messagesPerMinute, now);
    this.conversations = new KeyedRateLimit(limits.conversationsPerHour / 60, limits.conversationsPerHour, now);
  }

  /** Whether a message from `customer` to `team` on `siteKey` may go on; counts it against the sender's rate. */
  async admit(customer: Address, team: TeamConfig, siteKey: string): Promise<void> {
    await this.refuseBlocked(customer, siteKey);
    refuseDomain(customer, team);
    if (!this.messages.take(customer)) {
      throw new CustomerRefusal('rate_limited', `Too many messages: at most ${this.deps.limits.messagesPerMinute} a minute; wait a little`, 'rate_limited');
    }
  }

  /** Whether `customer` may open one more conversation now; counts it. */
  mayOpen(customer: Address): void {
    if (!this.conversations.take(customer)) {
      const limit = this.deps.limits.conversationsPerHour;
      throw new CustomerRefusal('rate_limited', `Too many new conversations: at most ${limit} an hour; try again later`, 'rate_limited');
    }
  }

  /** Whether an agent blocked `customer` on `siteKey`. */
  async isBlocked(customer: Address, siteKey: string): Promise<boolean> {
    return (await this.deps.store.blockOf(siteKey, customer)) !== null;
  }

  /** A blocked customer's first message after the block is refused saying so; the later ones quietly. */
  private async refuseBlocked(customer: Address, siteKey: string): Promise<void> {
    if (!(await this.isBlocked(customer, siteKey))) return;
    const tell = await this.deps.store.markBlockTold(siteKey, customer);
    throw new CustomerRefusal('forbidden', BLOCKED_NOTICE, 'blocked', !tell);
  }
}

/** The team takes customers of the domains it allows (all by default), never of those it denies. */
function refuseDomain(customer: Address, team: TeamConfig): void {
  const lists = team.customers;
  if (!lists) return;
  const domain = domainOf(customer);
  const allowed = lists.allowDomains === undefined || domainMatches(domain, lists.allowDomains);
  if (!allowed || domainMatches(domain, lists.denyDomains))
    throw new CustomerRefusal('forbidden', `This team takes no messages from ${domain}`, 'denied_domain');
}
