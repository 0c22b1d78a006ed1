/**
 * The name a customer's network gives with their message (an XMPP nick, a SIP display name, an
 * IRC nick, a mail's From name), kept on their party record so that agents see who writes
 * (docs/customers.md, "Customers' names"), and a mail customer's address as their email. It is
 * what the sender gave, never verified: one short line, and it never replaces the details of a
 * party the bridge knows otherwise (an agent, a verified user).
 */
import type { Address } from '@switchboard/protocol';
import type { Store } from '../store/store.js';
import { cutToCodePoints, nameLine } from '../util/text.js';

/** Longest name kept, in characters: enough for a person's name, short enough for a context line. */
export const CUSTOMER_NAME_MAX = 64;

/** The name as the bridge keeps it: one line, spaces collapsed, at most `CUSTOMER_NAME_MAX` characters; undefined when nothing is left. */
export function customerName(given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  const cleaned = cutToCodePoints(nameLine(given), CUSTOMER_NAME_MAX).trim();
  return cleaned === '' ? undefined : cleaned;
}

const MAILTO = 'mailto:';

/** The email a customer's address is: a mail customer's own address, nobody else's. */
export function customerEmail(customer: Address): string | undefined {
  return customer.startsWith(MAILTO) ? customer.slice(MAILTO.length) : undefined;
}

export class CustomerNames {
  constructor(private readonly store: Pick<Store, 'getParty' | 'upsertParty'>) {}

  /**
   * Records (or updates) the name a customer of a site gave, and a mail customer's email; a party
   * that is no unverified visitor keeps its own details.
   */
  async record(customer: Address, siteKey: string, given: string | undefined): Promise<void> {
    const name = customerName(given);
    const email = customerEmail(customer);
    if (name === undefined && email === undefined) return;
    const party = await this.store.getParty(customer);
    if (party && (party.role !== 'visitor' || party.verified)) return;
    const changes = {
      ...(name !== undefined && party?.name !== name ? { name } : {}),
      ...(email !== undefined && party?.email === undefined ? { email } : {}),
    };
    if (party && Object.keys(changes).length === 0) return;
    await this.store.upsertParty({ ...(party ?? { role: 'visitor', verified: false }), address: customer, siteKey, ...changes });
  }
}
