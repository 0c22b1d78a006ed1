/**
 * Who the customer is: what the bridge knows of the party (party:get: name, email, whether the
 * site vouched for them, the page they are on) and of the contact across networks (contact:get:
 * addresses per network, past conversations, each one click away), and whether the customer is
 * there now (presence:subscribe, followed while shown). The desk merges another
 * contact into this one, named by one of its addresses (contact:merge), and undoes a merge listed
 * on the contact (contact:unmerge).
 */
import type { Address, Contact, ContactMerge, PartyInfo, Presence, Proof, SwitchboardClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { networkIcon, networkOf, withoutScheme } from './addresses.js';
import { ConsoleElement } from './console-element.js';
import { PendingAction } from './pending-action.js';

/** How an address is proven its customer's, for "Verified": the site's identity, a code, a reply, the network's word. */
const PROVEN: ReadonlySet<Proof> = new Set<Proof>(['identity', 'code', 'reply', 'network']);

@customElement('sb-customer-panel')
export class CustomerPanel extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  /** The customer's address (the conversation's opener). */
  @property({ attribute: false }) address: Address | '' = '';
  /**
   * What changes when what the panel shows may have (the conversation closed or reopened, the
   * customer gave a name): the panel reads the customer again, keeping what it shows meanwhile.
   */
  @property({ attribute: false }) revision = '';
  @state() private party: PartyInfo | undefined;
  @state() private contact: Contact | undefined;
  /** The customer's presence now; undefined until the bridge answered. */
  @state() private presence: Presence | undefined;
  /** Until party, contact and presence are answered: the addresses shown are the bare one till then. */
  @state() private loading = false;
  private stopPresence: (() => void) | undefined;
  /** The client whose presence events the panel listens to. */
  private listening: SwitchboardClient | undefined;
  @state() private done = '';
  /** A merge or an unmerge. */
  private readonly pending = new PendingAction(this);
  private asked: Address | '' = '';
  /** Reads and changes of the customer so far: an answer older than the latest change shows nothing. */
  private reads = 0;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopPresence?.();
    this.stopPresence = undefined;
    this.listening = undefined;
    if (this.asked) this.client?.unwatchPresence([this.asked]);
    this.asked = '';
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (this.client && this.client !== this.listening) {
      // A new client (a sign-in again): its events, not the old one's.
      this.stopPresence?.();
      const { client } = this;
      this.listening = client;
      this.stopPresence = client.on('presence', (presence) => {
        if (presence.address === this.address) this.presence = presence;
      });
    }
    if (this.client && this.address && this.asked !== this.address) {
      // The customer shown before is not renewed after reconnects any more.
      if (this.asked) this.client.unwatchPresence([this.asked]);
      this.asked = this.address;
      this.party = undefined;
      this.contact = undefined;
      this.presence = undefined;
      this.loading = true;
      this.done = '';
      // A merge still running for the customer shown before holds nothing up here.
      this.pending.reset();
      void this.load(this.address);
    } else if (this.client && this.address && changed.has('revision') && changed.get('revision')) {
      void this.load(this.address, true);
    }
  }

  /** Reads the customer; `again`: the one shown, read afresh (its presence is followed already). */
  private async load(address: Address, again = false): Promise<void> {
    const read = ++this.reads;
    // Any may be missing (a party the bridge never saw, a contact not made yet): show the others.
    const [party, contact, watched] = await Promise.allSettled([
      this.client.getParty(address),
      this.client.getContact({ address }),
      again ? Promise.resolve(undefined) : this.client.subscribePresence({ addresses: [address] }),
    ]);
    if (address !== this.address || read !== this.reads) return;
    if (again && (party.status === 'rejected' || contact.status === 'rejected')) return; // what is shown stays
    this.loading = false;
    this.party = party.status === 'fulfilled' ? party.value : undefined;
    this.contact = contact.status === 'fulfilled' ? contact.value : undefined;
    // A change that came while subscribing is newer than the answer.
    if (watched.status === 'fulfilled' && watched.value) this.presence ??= watched.value.presences.find((presence) => presence.address === address);
  }

  /** Runs a merge or an unmerge; what it answers becomes the contact shown. */
  private async change(work: (contact: Contact) => Promise<Contact | undefined>, done: (contact: Contact) => string): Promise<void> {
    const { contact } = this;
    if (!contact || this.pending.busy) return;
    this.done = '';
    await this.pending.run(
      async () => {
        const changed = await work(contact);
        if (changed && this.contact === contact) {
          this.reads++; // a read answered before this change is older than it
          this.contact = changed;
          this.done = done(changed);
        }
      },
      (message) => this.locale.t.actionFailed(message),
    );
  }

  /** Merges the contact of the address typed into this customer's. */
  private merge(event: Event): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const typed = form.querySelector<HTMLInputElement>('#merge-address')?.value.trim() ?? '';
    if (!typed) return;
    // An address as the panel lists it (`v_7f3a…`) is a web one.
    const address = (typed.includes(':') ? typed : `web:${typed}`) as Address;
    void this.change(
      async (contact) => {
        const other = await this.client.getContact({ address });
        if (other.id === contact.id) throw new Error(this.locale.t.sameContact);
        const { contact: merged } = await this.client.mergeContacts(other.id, contact.id);
        form.reset();
        return merged;
      },
      () => this.locale.t.merged(withoutScheme(address)),
    );
  }

  private unmerge(merge: ContactMerge): void {
    void this.change(
      async (contact) => (await this.client.unmergeContacts(merge.id)).find((each) => each.id === contact.id),
      () => this.locale.t.unmerged(merge.addresses.map(withoutScheme).join(', ')),
    );
  }

  private renderMerging(contact: Contact) {
    const { t } = this.locale;
    return html`<h3 id="merge-title">${t.mergeTitle}</h3>
      <form class="merge" aria-labelledby="merge-title" @submit=${this.merge}>
        <label for="merge-address">${t.mergeAddress}</label>
        <input id="merge-address" name="address" type="text" autocomplete="off" spellcheck="false" placeholder="xmpp:dana@example.org" required />
        <button type="submit" ?disabled=${this.pending.busy}>${t.merge}</button>
      </form>
      ${
        contact.merges.length > 0
          ? html`<ul class="merges">
              ${contact.merges.map(
                (merge) =>
                  html`<li data-merge=${merge.id}>
                    <span>${t.mergedIn(merge.addresses.map(withoutScheme).join(', '), this.locale.day(new Date(merge.at)))}</span>
                    <button type="button" class="unmerge" ?disabled=${this.pending.busy} @click=${() => this.unmerge(merge)}>${t.unmerge}</button>
                  </li>`,
              )}
            </ul>`
          : nothing
      }
      ${this.pending.error ? html`<p class="error" role="alert">${this.pending.error}</p>` : nothing}
      <p class="muted merge-status" role="status">${this.done}</p>`;
  }

  protected override render() {
    const { t } = this.locale;
    if (!this.address) return nothing;
    const { party, contact } = this;
    const byNetwork = new Map<string, string[]>();
    for (const entry of contact?.addresses ?? [{ address: this.address }]) {
      const network = networkOf(entry.address);
      // Each with how it was proven the customer's: an address someone only wrote from is told apart.
      const shown = 'proof' in entry ? `${withoutScheme(entry.address)} (${t.proof(entry.proof)})` : withoutScheme(entry.address);
      byNetwork.set(network, [...(byNetwork.get(network) ?? []), shown]);
    }
    // The website vouched for the party, or the address they write from is proven theirs (an XMPP
    // server's word, a code, a reply): not the flag alone, which only the website sets.
    const proof = contact?.addresses.find((entry) => entry.address === this.address)?.proof;
    const verified = party?.verified === true || (proof !== undefined && PROVEN.has(proof));
    // Until the bridge answered, nothing is said: not "Unknown" or "Not verified" a moment before the answer.
    const shown = (said: string) => (this.loading ? '' : said);
    return html`<section aria-labelledby="customer-title" aria-busy=${this.loading ? 'true' : 'false'}>
      <h2 id="customer-title">${t.customer}</h2>
      <dl class="party">
        <dt>${t.name}</dt>
        <dd class="name">${shown(party?.name ?? contact?.name ?? t.unknown)}</dd>
        <dt>${t.email}</dt>
        <dd class="email">${shown(party?.email ?? t.unknown)}</dd>
        <dt class="visually-hidden">${t.verified}</dt>
        <dd class="verified">${shown(verified ? t.verified : t.notVerified)}</dd>
        <dt>${t.customerStatus}</dt>
        <dd class="presence" data-status=${this.presence?.status ?? 'unknown'}>
          ${this.presence ? `${t.presence(this.presence.status)}${this.presence.text ? ` (${this.presence.text})` : ''}` : t.unknown}
        </dd>
        ${
          party?.pageUrl
            ? html`<dt>${t.page}</dt>
                <dd class="page"><a href=${party.pageUrl} target="_blank" rel="noopener noreferrer">${party.pageUrl}</a></dd>`
            : nothing
        }
      </dl>
      <h3>${t.addresses}</h3>
      <ul class="addresses">
        ${[...byNetwork].map(
          ([network, addresses]) => html`<li><span aria-hidden="true">${networkIcon(network)}</span> ${t.networkName(network)}: ${addresses.join(', ')}</li>`,
        )}
      </ul>
      ${
        contact && contact.conversations.length > 0
          ? html`<h3>${t.pastConversations}</h3>
              <ul class="past items">
                ${contact.conversations.map(
                  (past) =>
                    html`<li>
                      <button type="button" data-conversation=${past.id} @click=${() => this.announce('open-conversation', past.id)}>
                        <span>${past.subject ?? t.networkName(networkOf(past.address))}</span>
                        <span class="muted">${t.conversationState(past.state)} · ${this.locale.day(new Date(past.createdAt))}</span>
                      </button>
                    </li>`,
                )}
              </ul>`
          : nothing
      }
      ${contact ? this.renderMerging(contact) : nothing}
    </section>`;
  }
}
