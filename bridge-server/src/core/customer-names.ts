/**
 * The name a customer's network gives with their message (an XMPP nick, a SIP display name, an
 * IRC nick), kept on their party record so that agents see who writes (docs/customers.md,
 * "Customers' names"). It is what the sender typed, never verified: one short line, and it never
 * replaces the details of a party the bridge knows otherwise (an agent, a verified user).
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

export class CustomerNames {
  constructor(private readonly store: Pick<Store, 'getParty' | 'upsertParty'>) {}

  /** Records (or updates) the name a customer of a site gave; a party that is no unverified visitor keeps its own. */
  async record(customer: Address, siteKey: string, given: string | undefined): Promise<void> {
    const name = customerName(given);
    if (name === undefined) return;
    const party = await this.store.getParty(customer);
    if (party && (party.role !== 'visitor' || party.verified)) return;
    if (party?.name === name) return;
    await this.store.upsertParty({ ...(party ?? { role: 'visitor', verified: false }), address: customer, siteKey, name });
  }
}
