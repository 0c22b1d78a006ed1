/** Contact row shapes and how every SQL engine reads them (store/contact-store.ts). */
import type { Address, Proof } from '@switchboard/protocol';
import type { ContactAddressRecord, ContactMergeRecord, ContactRecord } from './contact-store.js';

export interface ContactRow {
  id: string;
  site_key: string;
  name: string | null;
  created_at: string;
}

export interface ContactAddressRow {
  address: string;
  contact_id: string;
  proof: Proof;
  proven_at: string;
}

export interface ContactMergeRow {
  id: string;
  site_key: string;
  into_contact: string;
  from_contact: string;
  /** JSON: the moved addresses as they were before the merge (ContactAddressRecord[]). */
  addresses: string;
  merged_by: string;
  merged_at: string;
  undone_at: string | null;
}

export function toContactAddress(row: ContactAddressRow): ContactAddressRecord {
  return { address: row.address as Address, proof: row.proof, provenAt: row.proven_at };
}

/** The addresses a merge moved, as they were before it (an undo gives them back their proofs). */
export function movedAddresses(row: ContactMergeRow): ContactAddressRecord[] {
  return JSON.parse(row.addresses) as ContactAddressRecord[];
}

/**
 * Whether a standing merge into the contact a merge being undone went into was pointed on there by
 * that merge (it went into the contact that merge folded): all its addresses are among those moved.
 */
export function pointedOn(earlier: readonly ContactAddressRecord[], moved: ReadonlySet<string>): boolean {
  return earlier.length > 0 && earlier.every((address) => moved.has(address.address));
}

export function toContactMerge(row: ContactMergeRow): ContactMergeRecord {
  const merge: ContactMergeRecord = {
    id: row.id,
    siteKey: row.site_key,
    into: row.into_contact,
    from: row.from_contact,
    addresses: movedAddresses(row).map((moved) => moved.address),
    by: row.merged_by as Address,
    at: row.merged_at,
  };
  if (row.undone_at !== null) merge.undoneAt = row.undone_at;
  return merge;
}

export function toContact(row: ContactRow, addresses: readonly ContactAddressRow[], merges: readonly ContactMergeRow[]): ContactRecord {
  const contact: ContactRecord = {
    id: row.id,
    siteKey: row.site_key,
    createdAt: row.created_at,
    addresses: addresses.map(toContactAddress),
    merges: merges.map(toContactMerge),
  };
  if (row.name !== null) contact.name = row.name;
  return contact;
}

/** How a contact's addresses and its standing merges are ordered by every engine. */
export const CONTACT_ADDRESS_ORDER = 'ORDER BY proven_at, address';
export const CONTACT_MERGE_ORDER = 'ORDER BY merged_at DESC, id DESC';

/**
 * A site's contacts (`$site` / `?`: the site key) none of whose addresses is in a conversation of
 * the site. `unindexed` writes a column the engine is not to look conversations up by (SQLite's
 * `+`): by their site, each address's lookup walked every conversation of the site (contacts x
 * conversations), where by the opener's index or the participant's it reads a few rows.
 */
export function unusedContactsSql(site: string, unindexed: (column: string) => string = (column) => column): string {
  const siteOf = unindexed('c.site_key');
  return `SELECT k.id FROM contacts k WHERE k.site_key = ${site} AND NOT EXISTS (
    SELECT 1 FROM contact_addresses a WHERE a.contact_id = k.id AND (
      EXISTS (SELECT 1 FROM conversations c WHERE ${siteOf} = k.site_key AND c.opened_by = a.address)
      OR EXISTS (SELECT 1 FROM participants p JOIN conversations c ON c.id = p.conversation_id WHERE p.address = a.address AND ${siteOf} = k.site_key)))`;
}
