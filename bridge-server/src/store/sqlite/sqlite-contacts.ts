/** The SQLite engine's contacts (store/contact-store.ts): each call one statement or one write. */
import type Database from 'better-sqlite3';
import type { Address } from '@switchboard/protocol';
import type { ContactMergeRecord, ContactRecord, ContactStore, NewContactLink, NewContactMerge } from '../contact-store.js';
import {
  CONTACT_ADDRESS_ORDER,
  CONTACT_MERGE_ORDER,
  type ContactAddressRow,
  type ContactMergeRow,
  type ContactRow,
  movedAddresses,
  pointedOn,
  toContact,
  toContactAddress,
  toContactMerge,
  unusedContactsSql,
} from '../contact-rows.js';

/** Runs `run` in the store's next group commit. */
type Write = <T>(run: () => T) => Promise<T>;

export class SqliteContacts implements ContactStore {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.statements = prepare(db);
  }

  private load(row: ContactRow | undefined): ContactRecord | null {
    if (!row) return null;
    return toContact(row, this.statements.addressesOf.all(row.id), this.statements.mergesInto.all(row.id));
  }

  async contactOf(siteKey: string, address: Address): Promise<ContactRecord | null> {
    const found = this.statements.contactIdOf.get(siteKey, address);
    return found ? this.load(this.statements.contact.get(found.contact_id, siteKey)) : null;
  }

  async contactById(siteKey: string, id: string): Promise<ContactRecord | null> {
    return this.load(this.statements.contact.get(id, siteKey));
  }

  async linkContact(link: NewContactLink): Promise<string> {
    const { siteKey, at } = link;
    const s = this.statements;
    return this.write(() => {
      let contactId = s.contactIdOf.get(siteKey, link.party.address)?.contact_id;
      if (contactId === undefined) {
        contactId = link.newId;
        s.insertContact.run(contactId, siteKey, at);
        s.insertAddress.run(siteKey, link.party.address, contactId, link.party.proof, at);
      }
      const joining = link.address;
      if (!joining || joining.address === link.party.address) return contactId;
      const other = s.contactIdOf.get(siteKey, joining.address)?.contact_id;
      if (other === contactId) return contactId;
      if (other === undefined) {
        s.insertAddress.run(siteKey, joining.address, contactId, joining.proof, at);
        return contactId;
      }
      // The same person: their other contact joins this one whole (nothing to undo: it was proven).
      s.moveAddresses.run(contactId, siteKey, other);
      s.reproveAddress.run(joining.proof, at, siteKey, joining.address);
      s.repointMerges.run(contactId, siteKey, other);
      s.deleteContact.run(other, siteKey);
      return contactId;
    });
  }

  async mergeContacts(merge: NewContactMerge): Promise<ContactMergeRecord | null> {
    const s = this.statements;
    return this.write(() => {
      if (!s.contact.get(merge.from, merge.siteKey) || !s.contact.get(merge.into, merge.siteKey)) return null;
      const moved = s.addressesOf.all(merge.from).map(toContactAddress);
      s.moveAddresses.run(merge.into, merge.siteKey, merge.from);
      s.markMerged.run(merge.at, merge.siteKey, merge.into, JSON.stringify(moved.map((a) => a.address)));
      // Merges into the contact that goes are the other's now: listed there, erased with it.
      s.repointMerges.run(merge.into, merge.siteKey, merge.from);
      s.deleteContact.run(merge.from, merge.siteKey);
      const row: ContactMergeRow = {
        id: merge.id,
        site_key: merge.siteKey,
        into_contact: merge.into,
        from_contact: merge.from,
        addresses: JSON.stringify(moved),
        merged_by: merge.by,
        merged_at: merge.at,
        undone_at: null,
      };
      s.insertMerge.run(row);
      return toContactMerge(row);
    });
  }

  async unmergeContacts(siteKey: string, mergeId: string, at: string): Promise<ContactMergeRecord | null> {
    const s = this.statements;
    return this.write(() => {
      const row = s.standingMerge.get(mergeId, siteKey);
      if (!row) return null;
      s.insertContact.run(row.from_contact, siteKey, row.merged_at);
      // Back with the proofs they had before the merge: those still in the contact it went into (an
      // address an earlier merge's undo took back already stays where it is).
      const moved = movedAddresses(row);
      for (const address of moved) s.restoreAddress.run(row.from_contact, address.proof, address.provenAt, siteKey, address.address, row.into_contact);
      // A merge into the contact this one folded was pointed on into the same contact (its addresses
      // are among those this one moved): it points back at the contact restored.
      const back = new Set(moved.map((address) => address.address));
      for (const earlier of s.standingMergesInto.all(siteKey, row.into_contact, mergeId))
        if (pointedOn(movedAddresses(earlier), back)) s.repointMerge.run(row.from_contact, earlier.id);
      s.undoMerge.run(at, mergeId);
      return toContactMerge({ ...row, undone_at: at });
    });
  }

  async eraseContact(siteKey: string, id: string): Promise<boolean> {
    return this.write(() => this.erase(siteKey, id));
  }

  async sweepContacts(siteKey: string): Promise<number> {
    return this.write(() => this.statements.unused.all(siteKey).filter(({ id }) => this.erase(siteKey, id)).length);
  }

  /** Deletes a contact inside the current write. */
  private erase(siteKey: string, id: string): boolean {
    const s = this.statements;
    const addresses = s.deleteAddressesOf.run(siteKey, id).changes;
    s.deleteMergesOf.run(siteKey, id, id);
    return s.deleteContact.run(id, siteKey).changes + addresses > 0;
  }
}

function prepare(db: Database.Database) {
  return {
    contact: db.prepare<[string, string], ContactRow>('SELECT * FROM contacts WHERE id = ? AND site_key = ?'),
    contactIdOf: db.prepare<[string, string], { contact_id: string }>('SELECT contact_id FROM contact_addresses WHERE site_key = ? AND address = ?'),
    addressesOf: db.prepare<[string], ContactAddressRow>(`SELECT * FROM contact_addresses WHERE contact_id = ? ${CONTACT_ADDRESS_ORDER}`),
    mergesInto: db.prepare<[string], ContactMergeRow>(`SELECT * FROM contact_merges WHERE into_contact = ? AND undone_at IS NULL ${CONTACT_MERGE_ORDER}`),
    insertContact: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO contacts (id, site_key, created_at) VALUES (?, ?, ?)'),
    insertAddress: db.prepare<[string, string, string, string, string]>(
      'INSERT INTO contact_addresses (site_key, address, contact_id, proof, proven_at) VALUES (?, ?, ?, ?, ?)',
    ),
    moveAddresses: db.prepare<[string, string, string]>('UPDATE contact_addresses SET contact_id = ? WHERE site_key = ? AND contact_id = ?'),
    reproveAddress: db.prepare<[string, string, string, string]>('UPDATE contact_addresses SET proof = ?, proven_at = ? WHERE site_key = ? AND address = ?'),
    /** Moved addresses are proven by the merge now (an undo restores what they were). */
    markMerged: db.prepare<[string, string, string, string]>(
      `UPDATE contact_addresses SET proof = 'merge', proven_at = ? WHERE site_key = ? AND contact_id = ? AND address IN (SELECT value FROM json_each(?))`,
    ),
    restoreAddress: db.prepare<[string, string, string, string, string, string]>(
      'UPDATE contact_addresses SET contact_id = ?, proof = ?, proven_at = ? WHERE site_key = ? AND address = ? AND contact_id = ?',
    ),
    standingMergesInto: db.prepare<[string, string, string], ContactMergeRow>(
      'SELECT * FROM contact_merges WHERE site_key = ? AND into_contact = ? AND undone_at IS NULL AND id <> ?',
    ),
    repointMerge: db.prepare<[string, string]>('UPDATE contact_merges SET into_contact = ? WHERE id = ?'),
    repointMerges: db.prepare<[string, string, string]>('UPDATE contact_merges SET into_contact = ? WHERE site_key = ? AND into_contact = ?'),
    deleteContact: db.prepare<[string, string]>('DELETE FROM contacts WHERE id = ? AND site_key = ?'),
    insertMerge: db.prepare<[ContactMergeRow]>(
      `INSERT INTO contact_merges (id, site_key, into_contact, from_contact, addresses, merged_by, merged_at, undone_at)
       VALUES (@id, @site_key, @into_contact, @from_contact, @addresses, @merged_by, @merged_at, @undone_at)`,
    ),
    standingMerge: db.prepare<[string, string], ContactMergeRow>('SELECT * FROM contact_merges WHERE id = ? AND site_key = ? AND undone_at IS NULL'),
    undoMerge: db.prepare<[string, string]>('UPDATE contact_merges SET undone_at = ? WHERE id = ?'),
    deleteAddressesOf: db.prepare<[string, string]>('DELETE FROM contact_addresses WHERE site_key = ? AND contact_id = ?'),
    // https://www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_
    unused: db.prepare<[string], { id: string }>(unusedContactsSql('?', (column) => `+${column}`)),
    deleteMergesOf: db.prepare<[string, string, string]>('DELETE FROM contact_merges WHERE site_key = ? AND (into_contact = ? OR from_contact = ?)'),
  };
}
