/**
 * What the desk says of a contact in text (docs/support-desk.md): a short note at the end of the
 * context line for a returning customer, and the contact's part of `/whois`.
 */
import { type Address, type Proof, networkOf } from '@switchboard/protocol';
import type { ContactRecord } from '../../store/contact-store.js';
import type { ConversationRecord } from '../../store/store.js';

/** Other addresses a context line names before "and N more". */
const NOTE_ADDRESSES = 3;

export interface ContactAbout {
  contact: ContactRecord;
  /** The contact's other conversations on the site, newest first. */
  others: ConversationRecord[];
}

/** `2026-12-01 10:05 UTC` */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The addresses of the contact besides `address`. */
function otherAddresses(about: ContactAbout, address: Address): Address[] {
  return about.contact.addresses.map((a) => a.address).filter((a) => a !== address);
}

/**
 * The end of a context line for a customer seen before: their other addresses and conversations
 * (` Returning: also xmpp:dana@example.org; 2 other conversations, last #ab12c on 2026-11-30.`);
 * nothing for someone new.
 */
export function returningNote(about: ContactAbout | null, address: Address, refOf: (id: string) => string): string {
  if (!about) return '';
  const others = otherAddresses(about, address);
  if (others.length === 0 && about.others.length === 0) return '';
  const parts: string[] = [];
  if (others.length > 0) {
    const more = others.length - NOTE_ADDRESSES;
    parts.push(`also ${others.slice(0, NOTE_ADDRESSES).join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  const last = about.others[0];
  parts.push(
    last ? `${plural(about.others.length, 'other conversation')}, last #${refOf(last.id)} on ${last.createdAt.slice(0, 10)}` : 'no other conversation',
  );
  return ` Returning: ${parts.join('; ')}.`;
}

const PROOF_WORDS: Record<Proof, string> = {
  session: 'widget session',
  identity: "the site's signed identity",
  code: 'code typed in the widget',
  reply: 'reply from the address',
  network: 'vouched for by its network',
  wrote: 'wrote from it, not verified',
  merge: 'merged by an agent',
};

/** `/whois`: every address of the contact (how and when proven) and its other conversations. */
export function whoisLines(about: ContactAbout, refOf: (id: string) => string): string[] {
  const { contact, others } = about;
  return [
    `contact: ${contact.id}, ${plural(contact.addresses.length, 'address', 'addresses')}`,
    ...contact.addresses.map((a) => `  ${a.address}: ${PROOF_WORDS[a.proof]} (${a.proof}), ${when(a.provenAt)}`),
    `other conversations: ${others.length === 0 ? 'none' : others.length}`,
    ...others.map((c) => `  #${refOf(c.id)} ${networkOf(c.openedBy)} ${c.state} ${when(c.createdAt)}`),
  ];
}
