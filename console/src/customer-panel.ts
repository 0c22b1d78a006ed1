/**
 * Who the customer is: what the bridge knows of the party (party:get: name, email, whether the
 * site vouched for them, the page they are on) and of the contact across networks (contact:get:
 * addresses per network, past conversations, each one click away).
 */
import type { Address, Contact, PartyInfo, SwitchboardClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { networkIcon, networkOf, withoutScheme } from './addresses.js';
import { ConsoleElement } from './console-element.js';

@customElement('sb-customer-panel')
export class CustomerPanel extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  /** The customer's address (the conversation's opener). */
  @property({ attribute: false }) address: Address | '' = '';
  @state() private party: PartyInfo | undefined;
  @state() private contact: Contact | undefined;
  private asked = '';

  protected override willUpdate(): void {
    if (this.client && this.address && this.asked !== this.address) {
      this.asked = this.address;
      this.party = undefined;
      this.contact = undefined;
      void this.load(this.address);
    }
  }

  private async load(address: Address): Promise<void> {
    // Either may be missing (a party the bridge never saw, a contact not made yet): show the other.
    const [party, contact] = await Promise.allSettled([this.client.getParty(address), this.client.getContact({ address })]);
    if (address !== this.address) return;
    this.party = party.status === 'fulfilled' ? party.value : undefined;
    this.contact = contact.status === 'fulfilled' ? contact.value : undefined;
  }

  protected override render() {
    const { t } = this.locale;
    if (!this.address) return nothing;
    const { party, contact } = this;
    const byNetwork = new Map<string, string[]>();
    for (const { address } of contact?.addresses ?? [{ address: this.address }]) {
      const network = networkOf(address);
      byNetwork.set(network, [...(byNetwork.get(network) ?? []), address]);
    }
    return html`<section aria-labelledby="customer-title">
      <h2 id="customer-title">${t.customer}</h2>
      <dl class="party">
        <dt>${t.name}</dt>
        <dd class="name">${party?.name ?? contact?.name ?? t.unknown}</dd>
        <dt>${t.email}</dt>
        <dd class="email">${party?.email ?? t.unknown}</dd>
        <dt class="visually-hidden">${t.verified}</dt>
        <dd class="verified">${party?.verified ? t.verified : t.notVerified}</dd>
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
          ([network, addresses]) =>
            html`<li><span aria-hidden="true">${networkIcon(network)}</span> ${t.networkName(network)}: ${addresses.map(withoutScheme).join(', ')}</li>`,
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
    </section>`;
  }
}
