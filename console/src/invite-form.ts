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
import { PendingAction } from './pending-action.js';

@customElement('sb-invite')
export class InviteForm extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  @property({ attribute: false }) conversationId = '';
  @state() private sent = '';
  private readonly pending = new PendingAction(this);

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('conversationId')) {
      this.sent = '';
      this.pending.reset();
    }
  }

  private async invite(event: Event): Promise<void> {
    event.preventDefault();
    const network = (event.target as HTMLFormElement).querySelector('select')?.value ?? '';
    const id = this.conversationId;
    this.sent = '';
    const invited = await this.pending.run(
      () => this.client.inviteToContinue(id, network),
      (message) => this.locale.t.actionFailed(message),
    );
    if (invited) this.sent = this.locale.t.invited(this.locale.t.networkName(network));
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
      <button type="submit" ?disabled=${this.pending.busy}>${t.invite}</button>
      <span class="muted" role="status">${this.sent}</span>
      ${this.pending.error ? html`<span class="error" role="alert">${this.pending.error}</span>` : nothing}
    </form>`;
  }
}
