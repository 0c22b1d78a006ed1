/**
 * What the store keeps of contacts (docs/customers.md, "Contacts"): one customer of a site across
 * networks. Each address of a site belongs to at most one contact of that site; an address with no
 * row is nobody's yet. Merges an agent made are kept with the addresses they moved, so they can be
 * undone. Nothing here crosses sites: every call names its site.
 */
import type { Address, Proof } from '@switchboard/protocol';

export interface ContactAddressRecord {
  address: Address;
  proof: Proof;
  /** ISO time. */
  provenAt: string;
}

export interface ContactMergeRecord {
  id: string;
  siteKey: string;
  /** The contact the addresses were moved into, and the one they came from (recreated by an undo). */
  into: string;
  from: string;
  addresses: Address[];
  by: Address;
  at: string;
  undoneAt?: string;
}

export interface ContactRecord {
  id: string;
  siteKey: string;
  name?: string;
  createdAt: string;
  /** Oldest first. */
  addresses: ContactAddressRecord[];
  /** Merges into this contact that were not undone, newest first. */
  merges: ContactMergeRecord[];
}

export interface NewContactLink {
  siteKey: string;
  /** The id of the contact made when `party` has none. */
  newId: string;
  at: string;
  /** The address already known (recorded with its own proof when it has no contact yet). */
  party: { address: Address; proof: Proof };
  /** An address proven to be the same person's: joins the party's contact, with the rest of its own contact if it had one. */
  address?: { address: Address; proof: Proof };
}

export interface NewContactMerge {
  siteKey: string;
  id: string;
  /** Every address of `from` moves into `into`. */
  from: string;
  into: string;
  by: Address;
  at: string;
}

export interface ContactStore {
  /** The contact an address belongs to on a site; null when it has none there. */
  contactOf(siteKey: string, address: Address): Promise<ContactRecord | null>;
  contactById(siteKey: string, id: string): Promise<ContactRecord | null>;
  /**
   * Records `party` (a contact of its own unless it has one) and, with `address`, puts that address
   * into the party's contact, in one transaction; returns the party's contact id. Linking what is
   * linked already changes nothing.
   */
  linkContact(link: NewContactLink): Promise<string>;
  /** Moves every address of `from` into `into` and records the merge; null when either is not a contact of the site. */
  mergeContacts(merge: NewContactMerge): Promise<ContactMergeRecord | null>;
  /**
   * Undoes a merge: its addresses still on the site go back to the contact they came from
   * (recreated when it went). Null when the site has no such merge standing.
   */
  unmergeContacts(siteKey: string, mergeId: string, at: string): Promise<ContactMergeRecord | null>;
  /**
   * Retention: deletes the site's contacts none of whose addresses is in a conversation of the
   * site any more (their conversations were swept or erased), with their addresses and merges.
   */
  sweepContacts(siteKey: string): Promise<number>;
  /** Deletes a contact of the site, its addresses, and the merges into or out of it; false when there was none. */
  eraseContact(siteKey: string, id: string): Promise<boolean>;
}
