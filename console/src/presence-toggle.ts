/** The agent's own availability (presence:set): available, or away (new conversations go to others). */
import type { SwitchboardClient } from '@switchboard/sdk';
import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';

@customElement('sb-presence')
export class PresenceToggle extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  @state() status: 'available' | 'away' = 'available';
  @state() private failed = '';

  private async toggle(): Promise<void> {
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
    return html`<button type="button" class="presence" aria-pressed=${this.status === 'away' ? 'true' : 'false'} @click=${() => this.toggle()}>
        ${t.myStatus}: ${t.presence(this.status)}
      </button>
      <span class="error" role="status">${this.failed}</span>`;
  }
}
