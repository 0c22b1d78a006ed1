/**
 * The contact book (docs/customers.md, "Contacts"): one customer of a site across networks. An
 * address becomes a contact of its own the first time it is needed; proofs link more addresses
 * into it (ContactLinks), and agents merge two contacts and undo it. Everything is per site: an
 * address, a contact id or a merge of another site is never found.
 */
import { type Address, type Contact, type ContactConversation, LIMITS, type Proof } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { ContactRecord } from '../../store/contact-store.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { newId } from '../../util/ids.js';
import { type Actor, actsForSite } from '../actor.js';
import { forbidden, notFound } from '../errors.js';
import { siteMayKnow } from '../parties.js';
import type { ContactLinks, ProvenAddress } from './contact-links.js';

export interface ContactBookDeps {
  store: Store;
  /** How an address is proven when it first becomes known (contacts/proofs.ts). */
  proofOf(address: Address): Promise<Proof>;
  /** Whether an address is the desk's own (an agent's, an integration's): never a customer's contact. */
  isDesk(address: Address): boolean;
  /** An address as its network writes it (`xmpp:Frank@Example.org` is `xmpp:frank@example.org`); as given by default. */
  canonical?(address: Address): Address;
  now(): Date;
  logger: Logger;
}

/** A contact as the book reads it: its record and its conversations on the site, newest first. */
export interface ContactView {
  contact: ContactRecord;
  conversations: ConversationRecord[];
}

/** The contact's address a conversation is theirs by: the one that opened it, else the first taking part. */
function addressIn(conversation: ConversationRecord, addresses: ReadonlySet<Address>): Address {
  if (addresses.has(conversation.openedBy)) return conversation.openedBy;
  return conversation.participants.find((address) => addresses.has(address)) ?? conversation.openedBy;
}

function toContactConversation(conversation: ConversationRecord, addresses: ReadonlySet<Address>): ContactConversation {
  const wire: ContactConversation = {
    id: conversation.id,
    address: addressIn(conversation, addresses),
    state: conversation.state,
    createdAt: conversation.createdAt,
    lastSeq: conversation.lastSeq,
  };
  if (conversation.team !== undefined) wire.team = conversation.team;
  if (conversation.subject !== undefined) wire.subject = conversation.subject;
  return wire;
}

const onlyForSite = (actor: Actor, event: string) => {
  if (!actsForSite(actor)) throw forbidden(`${event} is for the site's agents and integrations`);
};

export class ContactBook implements ContactLinks {
  constructor(private readonly deps: ContactBookDeps) {}

  private at(): string {
    return this.deps.now().toISOString();
  }

  /** Records `address` as `party`'s (ContactLinks): what proved it says how. */
  async link({ siteKey, party, address, proof }: ProvenAddress): Promise<void> {
    const { store } = this.deps;
    const partyProof = (await store.contactOf(siteKey, party))?.addresses.find((a) => a.address === party)?.proof ?? (await this.deps.proofOf(party));
    await store.linkContact({ siteKey, newId: newId('k'), at: this.at(), party: { address: party, proof: partyProof }, address: { address, proof } });
  }

  /** The contact of an address the site knows, made when it has none yet; null for an address the site does not know. */
  private async ensure(siteKey: string, address: Address, met = false): Promise<ContactRecord | null> {
    const { store } = this.deps;
    const known = await store.contactOf(siteKey, address);
    if (known) return known;
    // An agent is no customer: their address never joins a contact (whose erasure would take theirs).
    if (this.deps.isDesk(address) || (!met && !(await this.siteKnows(siteKey, address)))) return null;
    const id = await store.linkContact({ siteKey, newId: newId('k'), at: this.at(), party: { address, proof: await this.deps.proofOf(address) } });
    return store.contactById(siteKey, id);
  }

  /** Whether the site has met the address: a conversation of the site, or a party stored for it. */
  private async siteKnows(siteKey: string, address: Address): Promise<boolean> {
    const { store } = this.deps;
    if ((await store.contactConversations(siteKey, [address], 1)).length > 0) return true;
    return (await store.getParty(address))?.siteKey === siteKey;
  }

  /** A new team conversation: who opened it is recorded (a customer met on their own network gets its proof now). */
  async met(conversation: ConversationRecord): Promise<void> {
    if (conversation.team === undefined) return;
    try {
      // The site knows who opened one of its conversations: no need to look.
      await this.ensure(conversation.siteKey, conversation.openedBy, true);
    } catch (error) {
      this.deps.logger.warn({ err: error, conversation: conversation.id }, 'contact not recorded');
    }
  }

  /** A contact and its conversations on the site: by address (made when needed) or by id. */
  async view(siteKey: string, by: { address: Address } | { contactId: string }): Promise<ContactView | null> {
    const contact = 'address' in by ? await this.ensure(siteKey, by.address) : await this.deps.store.contactById(siteKey, by.contactId);
    if (!contact) return null;
    const addresses = contact.addresses.map((a) => a.address);
    return { contact, conversations: await this.deps.store.contactConversations(siteKey, addresses, LIMITS.maxContactConversations) };
  }

  /** The contact as the contract writes it (agents and integrations only). */
  private async toWire({ contact, conversations }: ContactView): Promise<Contact> {
    const addresses = new Set(contact.addresses.map((a) => a.address));
    const wire: Contact = {
      id: contact.id,
      addresses: contact.addresses.map(({ address, proof, provenAt }) => ({ address, proof, provenAt })),
      conversations: conversations.map((conversation) => toContactConversation(conversation, addresses)),
      merges: contact.merges.map(({ id, addresses: moved, by, at }) => ({ id, addresses: moved, by, at })),
    };
    const name = contact.name ?? (await this.nameOf(contact));
    if (name !== undefined) wire.name = name;
    return wire;
  }

  /** The name one of its addresses gave (a site's verified user first), of those the site may know. */
  private async nameOf(contact: ContactRecord): Promise<string | undefined> {
    const { store } = this.deps;
    const parties = await Promise.all(
      contact.addresses.map(async (a) => {
        const party = await store.getParty(a.address);
        return party && (await siteMayKnow(store, party, contact.siteKey)) ? party : null;
      }),
    );
    const named = parties.filter((party) => party?.name !== undefined);
    return (named.find((party) => party!.verified) ?? named[0])?.name;
  }

  private async wireOf(siteKey: string, contactId: string): Promise<Contact | null> {
    const view = await this.view(siteKey, { contactId });
    return view ? this.toWire(view) : null;
  }

  /** `contact:get`: by one of its addresses (an address the site has met) or by id. */
  async get(actor: Actor, by: { address: Address } | { contactId: string }): Promise<Contact> {
    onlyForSite(actor, 'contact:get');
    const view = await this.view(actor.siteKey, 'address' in by ? { address: this.deps.canonical?.(by.address) ?? by.address } : by);
    if (!view)
      throw 'address' in by
        ? notFound(`address: this site has no customer at "${by.address}"`)
        : notFound(`contactId: this site has no contact "${by.contactId}"`);
    return this.toWire(view);
  }

  /** `contact:merge`: every address of `contactId` joins `into`; the merge id undoes it. */
  async merge(actor: Actor, contactId: string, into: string): Promise<{ contact: Contact; mergeId: string }> {
    onlyForSite(actor, 'contact:merge');
    const { store } = this.deps;
    for (const [field, id] of [
      ['contactId', contactId],
      ['into', into],
    ] as const)
      if (!(await store.contactById(actor.siteKey, id))) throw notFound(`${field}: this site has no contact "${id}"`);
    const merge = await store.mergeContacts({ siteKey: actor.siteKey, id: newId('m'), from: contactId, into, by: actor.address, at: this.at() });
    const contact = merge && (await this.wireOf(actor.siteKey, into));
    if (!merge || !contact) throw notFound(`contactId: contact "${contactId}" or "${into}" changed meanwhile; get them again`);
    this.deps.logger.info({ site: actor.siteKey, merge: merge.id, from: contactId, into }, 'contacts merged');
    return { contact, mergeId: merge.id };
  }

  /** `contact:unmerge`: the addresses a merge moved go back; both contacts as they are now. */
  async unmerge(actor: Actor, mergeId: string): Promise<Contact[]> {
    onlyForSite(actor, 'contact:unmerge');
    const merge = await this.deps.store.unmergeContacts(actor.siteKey, mergeId, this.at());
    if (!merge) throw notFound(`mergeId: this site has no merge "${mergeId}" to undo (unknown, or undone already)`);
    this.deps.logger.info({ site: actor.siteKey, merge: mergeId }, 'contacts unmerged');
    const contacts = await Promise.all([this.wireOf(actor.siteKey, merge.from), this.wireOf(actor.siteKey, merge.into)]);
    return contacts.filter((contact) => contact !== null);
  }

  /**
   * What the desk says of a conversation's customer (the context line, `/whois`): the contact
   * (recorded now if it was not yet) and its other conversations.
   */
  async about(conversation: ConversationRecord): Promise<{ contact: ContactRecord; others: ConversationRecord[] } | null> {
    const view = await this.view(conversation.siteKey, { address: conversation.openedBy });
    if (!view) return null;
    return { contact: view.contact, others: view.conversations.filter((c) => c.id !== conversation.id) };
  }
}
