/**
 * Invites the conversation's website visitor to continue on IM (continuation:invite,
 * docs/protocol.md "Continuing on another network"): the networks are those the bridge names in
 * the agent's session (`inviteTo`, the site's `continueOn`); the widget shows the offer and the
 * visitor decides. Offers are not stored: inviting again sends the offer again.
 */
import type { SwitchboardClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';

@customElement('sb-invite')
export class InviteForm extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  @property({ attribute: false }) conversationId = '';
  @state() private sent = '';
  @state() private error = '';
  @state() private busy = false;

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('conversationId')) {
      this.sent = '';
      this.error = '';
    }
  }

  private async invite(event: Event): Promise<void> {
    event.preventDefault();
    const network = (event.target as HTMLFormElement).querySelector('select')?.value ?? '';
    const id = this.conversationId;
    this.busy = true;
    this.sent = '';
    this.error = '';
    try {
      await this.client.inviteToContinue(id, network);
      if (id === this.conversationId) this.sent = this.locale.t.invited(this.locale.t.networkName(network));
    } catch (error) {
      if (id === this.conversationId) this.error = this.locale.t.actionFailed((error as Error).message);
    } finally {
      this.busy = false;
    }
  }

  protected override render() {
    const networks = this.client?.session?.inviteTo ?? [];
    if (networks.length === 0) return nothing;
    const { t } = this.locale;
    return html`<form class="invite" @submit=${this.invite}>
      <label for="invite-network">${t.inviteOn}</label>
      <select id="invite-network">
        ${networks.map((network) => html`<option value=${network}>${t.networkName(network)}</option>`)}
      </select>
      <button type="submit" ?disabled=${this.busy}>${t.invite}</button>
      <span class="muted" role="status">${this.sent}</span>
      ${this.error ? html`<span class="error" role="alert">${this.error}</span>` : nothing}
    </form>`;
  }
}
