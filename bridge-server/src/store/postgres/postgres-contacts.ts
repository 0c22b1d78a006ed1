/**
 * The Postgres engine's contacts (store/contact-store.ts). A link or a merge locks the contacts it
 * changes (in id order, so two nodes never wait on each other in a circle), and two nodes recording
 * the same new address meet on its primary key: one inserts, the other reads the winner's row.
 */
import type { PoolClient, QueryResultRow } from 'pg';
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

type Queryable = Pick<PoolClient, 'query'>;

/** The store's transaction runner (retried on a deadlock or a serialization failure). */
export type Transaction = <T>(work: (client: PoolClient) => Promise<T>, begin?: string) => Promise<T>;

const SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

async function rows<R extends QueryResultRow>(on: Queryable, sql: string, params: unknown[]): Promise<R[]> {
  return (await on.query<R>(sql, params)).rows;
}

async function contactIdOf(on: Queryable, siteKey: string, address: Address): Promise<string | undefined> {
  return (await rows<{ contact_id: string }>(on, 'SELECT contact_id FROM contact_addresses WHERE site_key = $1 AND address = $2', [siteKey, address]))[0]
    ?.contact_id;
}

/** Locks a site's contacts in id order; returns the ids that exist. */
async function lockContacts(on: Queryable, siteKey: string, ids: readonly string[]): Promise<Set<string>> {
  const found = await rows<{ id: string }>(on, 'SELECT id FROM contacts WHERE site_key = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE', [
    siteKey,
    [...ids],
  ]);
  return new Set(found.map((row) => row.id));
}

export class PostgresContacts implements ContactStore {
  constructor(private readonly transaction: Transaction) {}

  private async load(on: Queryable, siteKey: string, id: string | undefined): Promise<ContactRecord | null> {
    if (id === undefined) return null;
    const contact = (await rows<ContactRow>(on, 'SELECT * FROM contacts WHERE id = $1 AND site_key = $2', [id, siteKey]))[0];
    if (!contact) return null;
    const addresses = await rows<ContactAddressRow>(on, `SELECT * FROM contact_addresses WHERE contact_id = $1 ${CONTACT_ADDRESS_ORDER}`, [id]);
    const merges = await rows<ContactMergeRow>(on, `SELECT * FROM contact_merges WHERE into_contact = $1 AND undone_at IS NULL ${CONTACT_MERGE_ORDER}`, [id]);
    return toContact(contact, addresses, merges);
  }

  async contactOf(siteKey: string, address: Address): Promise<ContactRecord | null> {
    // One snapshot: the contact as it was at one instant, even while another node merges it.
    return this.transaction(async (client) => this.load(client, siteKey, await contactIdOf(client, siteKey, address)), SNAPSHOT);
  }

  async contactById(siteKey: string, id: string): Promise<ContactRecord | null> {
    return this.transaction((client) => this.load(client, siteKey, id), SNAPSHOT);
  }

  /** The address's contact, made (as `newId`) when it has none; the winner's when another node made it at once. */
  private async ensure(client: Queryable, siteKey: string, address: NewContactLink['party'], newId: string, at: string): Promise<string> {
    const inserted = await client.query(
      'INSERT INTO contact_addresses (site_key, address, contact_id, proof, proven_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [siteKey, address.address, newId, address.proof, at],
    );
    if (inserted.rowCount === 1) {
      await client.query('INSERT INTO contacts (id, site_key, created_at) VALUES ($1, $2, $3)', [newId, siteKey, at]);
      return newId;
    }
    return (await contactIdOf(client, siteKey, address.address))!;
  }

  async linkContact(link: NewContactLink): Promise<string> {
    const { siteKey, at } = link;
    return this.transaction(async (client) => {
      const contactId = await this.ensure(client, siteKey, link.party, link.newId, at);
      const joining = link.address;
      if (!joining || joining.address === link.party.address) return contactId;
      let other = await contactIdOf(client, siteKey, joining.address);
      if (other === undefined) {
        const inserted = await client.query(
          'INSERT INTO contact_addresses (site_key, address, contact_id, proof, proven_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
          [siteKey, joining.address, contactId, joining.proof, at],
        );
        if (inserted.rowCount === 1) return contactId;
        other = (await contactIdOf(client, siteKey, joining.address))!;
      }
      if (other === contactId) return contactId;
      await lockContacts(client, siteKey, [contactId, other].sort());
      // The same person: their other contact joins this one whole (nothing to undo: it was proven).
      await client.query('UPDATE contact_addresses SET contact_id = $1 WHERE site_key = $2 AND contact_id = $3', [contactId, siteKey, other]);
      await client.query('UPDATE contact_addresses SET proof = $1, proven_at = $2 WHERE site_key = $3 AND address = $4', [
        joining.proof,
        at,
        siteKey,
        joining.address,
      ]);
      await client.query('UPDATE contact_merges SET into_contact = $1 WHERE site_key = $2 AND into_contact = $3', [contactId, siteKey, other]);
      await client.query('DELETE FROM contacts WHERE id = $1 AND site_key = $2', [other, siteKey]);
      return contactId;
    });
  }

  async mergeContacts(merge: NewContactMerge): Promise<ContactMergeRecord | null> {
    return this.transaction(async (client) => {
      const existing = await lockContacts(client, merge.siteKey, [merge.from, merge.into].sort());
      if (!existing.has(merge.from) || !existing.has(merge.into)) return null;
      const moved = (await rows<ContactAddressRow>(client, `SELECT * FROM contact_addresses WHERE contact_id = $1 ${CONTACT_ADDRESS_ORDER}`, [merge.from])).map(
        toContactAddress,
      );
      // Moved addresses are proven by the merge now (an undo restores what they were).
      await client.query("UPDATE contact_addresses SET contact_id = $1, proof = 'merge', proven_at = $2 WHERE site_key = $3 AND contact_id = $4", [
        merge.into,
        merge.at,
        merge.siteKey,
        merge.from,
      ]);
      // Merges into the contact that goes are the other's now: listed there, erased with it.
      await client.query('UPDATE contact_merges SET into_contact = $1 WHERE site_key = $2 AND into_contact = $3', [merge.into, merge.siteKey, merge.from]);
      await client.query('DELETE FROM contacts WHERE id = $1 AND site_key = $2', [merge.from, merge.siteKey]);
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
      await client.query(
        `INSERT INTO contact_merges (id, site_key, into_contact, from_contact, addresses, merged_by, merged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [row.id, row.site_key, row.into_contact, row.from_contact, row.addresses, row.merged_by, row.merged_at],
      );
      return toContactMerge(row);
    });
  }

  async unmergeContacts(siteKey: string, mergeId: string, at: string): Promise<ContactMergeRecord | null> {
    return this.transaction(async (client) => {
      const row = (
        await rows<ContactMergeRow>(client, 'SELECT * FROM contact_merges WHERE id = $1 AND site_key = $2 AND undone_at IS NULL FOR UPDATE', [mergeId, siteKey])
      )[0];
      if (!row) return null;
      await client.query('INSERT INTO contacts (id, site_key, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        row.from_contact,
        siteKey,
        row.merged_at,
      ]);
      // Back with the proofs they had before the merge: those still in the contact it went into (an
      // address an earlier merge's undo took back already stays where it is).
      const moved = movedAddresses(row);
      for (const address of moved)
        await client.query(
          'UPDATE contact_addresses SET contact_id = $1, proof = $2, proven_at = $3 WHERE site_key = $4 AND address = $5 AND contact_id = $6',
          [row.from_contact, address.proof, address.provenAt, siteKey, address.address, row.into_contact],
        );
      // A merge into the contact this one folded was pointed on into the same contact: it points back at the contact restored.
      const back = new Set(moved.map((address) => address.address));
      const standing = await rows<ContactMergeRow>(
        client,
        'SELECT * FROM contact_merges WHERE site_key = $1 AND into_contact = $2 AND undone_at IS NULL AND id <> $3',
        [siteKey, row.into_contact, mergeId],
      );
      for (const earlier of standing)
        if (pointedOn(movedAddresses(earlier), back))
          await client.query('UPDATE contact_merges SET into_contact = $1 WHERE id = $2', [row.from_contact, earlier.id]);
      await client.query('UPDATE contact_merges SET undone_at = $1 WHERE id = $2', [at, mergeId]);
      return toContactMerge({ ...row, undone_at: at });
    });
  }

  async eraseContact(siteKey: string, id: string): Promise<boolean> {
    return this.transaction((client) => erase(client, siteKey, id));
  }

  async sweepContacts(siteKey: string): Promise<number> {
    return this.transaction(async (client) => {
      let erased = 0;
      for (const { id } of await rows<{ id: string }>(client, `${unusedContactsSql('$1')} ORDER BY k.id FOR UPDATE`, [siteKey]))
        if (await erase(client, siteKey, id)) erased++;
      return erased;
    });
  }
}

/** Deletes a contact with its addresses and merges, inside a transaction. */
async function erase(client: Queryable, siteKey: string, id: string): Promise<boolean> {
  const addresses = (await client.query('DELETE FROM contact_addresses WHERE site_key = $1 AND contact_id = $2', [siteKey, id])).rowCount ?? 0;
  await client.query('DELETE FROM contact_merges WHERE site_key = $1 AND (into_contact = $2 OR from_contact = $2)', [siteKey, id]);
  const contacts = (await client.query('DELETE FROM contacts WHERE id = $1 AND site_key = $2', [id, siteKey])).rowCount ?? 0;
  return contacts + addresses > 0;
}
