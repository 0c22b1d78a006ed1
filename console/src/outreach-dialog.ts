/**
 * Outreach (`o`): a modal dialog that starts a conversation with a customer on their own network
 * (conversation:open with `to`, `team` and the first message; docs/customers.md, "Outreach"). The
 * networks are those the agent's session names (`outreachTo`, the site's `outreach.networks`), the
 * teams those of the directory the agent is a member of. A `clientId` makes a retry after a lost
 * answer open nothing twice. Once started, the conversation opens.
 */
import type { Address, SwitchboardClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';
import { PendingAction } from './pending-action.js';
import type { DirectoryTeam } from './desk-api.js';

@customElement('sb-outreach')
export class OutreachDialog extends ConsoleElement {
  @property({ attribute: false }) client: SwitchboardClient | undefined;
  /** The site's teams (desk:directory); the agent's own are offered. */
  @property({ attribute: false }) teams: DirectoryTeam[] = [];
  private readonly pending = new PendingAction(this);
  @query('dialog') private dialog!: HTMLDialogElement;
  /** One id per outreach typed: the same form sent again (a retry) is the same outreach. */
  private clientId = '';

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    this.pending.reset();
    this.clientId = `outreach-${crypto.randomUUID()}`;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.querySelector<HTMLFormElement>('form')?.reset();
    this.querySelector<HTMLElement>('select, input')?.focus();
  }

  close(): void {
    if (this.dialog?.open) this.dialog.close();
  }

  private get myTeams(): DirectoryTeam[] {
    const self = this.client?.session?.self;
    return this.teams.filter((team) => team.members.some((member) => member.id === self || (self && member.addresses.includes(self))));
  }

  private async start(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const value = (name: string) => form.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(`[name="${name}"]`)?.value.trim() ?? '';
    const network = value('network');
    const typed = value('address');
    // `dana@example.org` on the network chosen, or an address written whole (`xmpp:dana@example.org`).
    const to = (typed.startsWith(`${network}:`) ? typed : `${network}:${typed}`) as Address;
    const { client } = this;
    if (!client || !typed) return;
    const text = value('text');
    await this.pending.run(
      async () => {
        const conversation = await client.reachOut({ to, team: value('team'), ...(text ? { text, clientId: this.clientId } : {}) });
        this.close();
        this.announce('open-conversation', conversation.id);
      },
      (message) => this.locale.t.actionFailed(message),
    );
  }

  private renderForm(networks: readonly string[]) {
    const { t } = this.locale;
    const teams = this.myTeams;
    return html`<form class="outreach" @submit=${this.start}>
      <label for="outreach-network">${t.network}</label>
      <select id="outreach-network" name="network">
        ${networks.map((network) => html`<option value=${network}>${t.networkName(network)}</option>`)}
      </select>
      <label for="outreach-address">${t.customerAddress}</label>
      <input id="outreach-address" name="address" type="text" required autocomplete="off" spellcheck="false" placeholder="dana@example.org" />
      <label for="outreach-team">${t.team}</label>
      <select id="outreach-team" name="team">
        ${teams.map((team) => html`<option value=${team.id}>${team.name}</option>`)}
      </select>
      <label for="outreach-text">${t.firstMessage}</label>
      <textarea id="outreach-text" name="text" rows="3"></textarea>
      ${this.pending.error ? html`<p class="error" role="alert">${this.pending.error}</p>` : nothing}
      <button type="submit" class="primary" ?disabled=${this.pending.busy || teams.length === 0}>${t.startConversation}</button>
    </form>`;
  }

  protected override render() {
    const { t } = this.locale;
    const networks = this.client?.session?.outreachTo ?? [];
    return html`<dialog aria-labelledby="outreach-title">
      <h2 id="outreach-title">${t.outreachTitle}</h2>
      ${networks.length > 0 ? this.renderForm(networks) : html`<p class="muted">${t.outreachOff}</p>`}
      <button type="button" class="cancel" @click=${() => this.close()}>${t.cancel}</button>
    </dialog>`;
  }
}
