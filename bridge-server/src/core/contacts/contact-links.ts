/**
 * What proves that two addresses are one customer (docs/customers.md, "Contacts"): a continuation
 * proven by a code or a reply, a signed identity on another device, a network that authenticates
 * its senders. The contact book implements it; whatever proves an address tells it here.
 */
import type { Address, Proof } from '@switchboard/protocol';

export interface ProvenAddress {
  siteKey: string;
  /** The party already known on the site (a widget visitor's web address). */
  party: Address;
  /** The address now proven to be the same person's. */
  address: Address;
  proof: Proof;
}

export interface ContactLinks {
  /** Records that `address` belongs to `party`'s contact (creating the contact when there is none). */
  link(proven: ProvenAddress): Promise<void>;
}
