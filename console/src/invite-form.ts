/**
 * Invites the conversation's website visitor to continue on IM (continuation:invite,
 * docs/protocol.md "Continuing on another network"): the networks are those the bridge names in
 * the agent's session (`inviteTo`, the site's `continueOn`); the widget shows the offer and the
 * visitor decides. Offers are not stored: inviting again sends the offer again. Once the visitor
 * gave an address, where it stands (waiting for its proof, or continuing there) shows instead,
 * with Stop (continuation:stop): the agent knows where its replies go too.
 */
import type { Continuation, SwitchboardClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';
import { PendingAction } from './pending-action.js';

@customElement('sb-invite')
export class InviteForm extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  @property({ attribute: false }) conversationId = '';
  @state() private sent = '';
  /** The conversation's continuation as the client last heard of it. */
  @state() private continuation: Continuation | undefined;
  private readonly pending = new PendingAction(this);
  private unlisten: (() => void) | undefined;

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('client')) {
      this.unlisten?.();
      this.unlisten = this.client?.on('continuation', (continuation) => {
        if (continuation.conversationId === this.conversationId && continuation.reason !== 'replaced') this.continuation = continuation;
      });
    }
    if (changed.has('conversationId') || changed.has('client')) {
      this.sent = '';
      this.pending.reset();
      this.continuation = this.client?.continuation(this.conversationId);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unlisten?.();
    this.unlisten = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Back in the page (the conversation shown again): listen again.
    if (this.client && !this.unlisten) this.requestUpdate('client');
  }

  private async stop(): Promise<void> {
    const id = this.conversationId;
    let stopped: Continuation | undefined;
    const done = await this.pending.run(
      async () => (stopped = await this.client.stopContinuation(id)),
      (message) => this.locale.t.actionFailed(message),
    );
    if (done && stopped) this.continuation = stopped;
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
    const { t } = this.locale;
    const current = this.continuation;
    if (current && (current.state === 'pending' || current.state === 'active'))
      return html`<div class="continuation" role="status">
        <span>${current.state === 'active' ? t.continuesOn(current.address) : t.continuationPending(current.address)}</span>
        <button type="button" class="stop-continuation" ?disabled=${this.pending.busy} @click=${() => this.stop()}>${t.stopContinuation}</button>
        ${this.pending.error ? html`<span class="error" role="alert">${this.pending.error}</span>` : nothing}
      </div>`;
    const networks = this.client?.session?.inviteTo ?? [];
    if (networks.length === 0) return nothing;
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
