/**
 * The agent's own availability (presence:set): available, or away (new conversations go to others).
 * It shows the status the bridge has for the agent's address, watched with presence:subscribe, so
 * an agent set away in another tab (or by `/away` from IM) is shown away here from the start.
 */
import type { PresenceStatus, SwitchboardClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';

@customElement('sb-presence')
export class PresenceToggle extends ConsoleElement {
  @property({ attribute: false }) client: SwitchboardClient | undefined;
  /** Unknown until the bridge answered (if it could not, the button still works: it sets available). */
  @state() status: PresenceStatus | undefined;
  @state() private failed = '';
  private watched: SwitchboardClient | undefined;
  private stop: (() => void) | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop?.();
    this.stop = undefined;
    this.watched = undefined;
  }

  protected override willUpdate(): void {
    if (this.client && this.client !== this.watched && this.isConnected) void this.watch(this.client);
  }

  private async watch(client: SwitchboardClient): Promise<void> {
    this.stop?.();
    this.watched = client;
    this.status = undefined;
    // Changes made elsewhere (another tab, the bridge routing), and the state after each reconnect.
    this.stop = client.on('presence', (presence) => {
      if (presence.address === client.session?.self) this.status = presence.status;
    });
    try {
      const { self } = await client.ready();
      const { presences } = await client.subscribePresence({ addresses: [self] });
      const own = presences.find((presence) => presence.address === self);
      if (own && client === this.watched) this.status = own.status;
    } catch (error) {
      if (client === this.watched) this.failed = this.locale.t.actionFailed((error as Error).message);
    }
  }

  private async toggle(): Promise<void> {
    if (!this.client) return;
    const next = this.status === 'available' ? 'away' : 'available';
    try {
      await this.client.setPresence(next);
      this.status = next;
      this.failed = '';
    } catch (error) {
      this.failed = this.locale.t.actionFailed((error as Error).message);
    }
  }

  protected override render() {
    const { t } = this.locale;
    const { status } = this;
    return html`<button
        type="button"
        class="presence"
        data-status=${status ?? nothing}
        aria-pressed=${status === undefined ? nothing : status === 'available' ? 'false' : 'true'}
        ?disabled=${status === undefined && !this.failed}
        @click=${() => this.toggle()}
      >
        ${t.myStatus}: ${status === undefined ? t.unknown : t.presence(status)}
      </button>
      <span class="error" role="status">${this.failed}</span>`;
  }
}
