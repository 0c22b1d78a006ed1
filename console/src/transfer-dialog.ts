/**
 * The transfer picker: a modal dialog with the site's teams and their agents (desk:directory),
 * each with its availability, narrowed by what the agent types. Escape or Cancel closes it and
 * gives focus back where it was.
 */
import { html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';
import type { DirectoryTeam, TransferTarget } from './desk-api.js';
import { agentsOf } from './desk-commands.js';

@customElement('sb-transfer')
export class TransferDialog extends ConsoleElement {
  @property({ attribute: false }) teams: DirectoryTeam[] = [];
  /** The signed-in agent's addresses: they are not offered themselves as a target. */
  @property({ attribute: false }) self: readonly string[] = [];
  @property({ attribute: false }) error = '';
  @state() private filter = '';
  @query('dialog') private dialog!: HTMLDialogElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    this.filter = '';
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.querySelector<HTMLInputElement>('input')?.focus();
  }

  close(): void {
    if (this.dialog?.open) this.dialog.close();
  }

  private pick(target: TransferTarget): void {
    this.announce('transfer-to', target);
    this.close();
  }

  private fits(...texts: (string | undefined)[]): boolean {
    const wanted = this.filter.trim().toLowerCase();
    return !wanted || texts.some((text) => text?.toLowerCase().includes(wanted));
  }

  protected override render() {
    const { t } = this.locale;
    const teams = this.teams.filter((team) => this.fits(team.id, team.name));
    const members = agentsOf(this.teams).filter(
      (member) => this.fits(member.id, member.name) && !(member.addresses as readonly string[]).some((address) => this.self.includes(address)),
    );
    return html`<dialog aria-labelledby="transfer-title">
      <h2 id="transfer-title">${t.transferTitle}</h2>
      <label for="transfer-filter">${t.transferFilter}</label>
      <input id="transfer-filter" type="search" .value=${this.filter} @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)} />
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <h3>${t.teams}</h3>
      <ul class="items">
        ${teams.map(
          (team) =>
            html`<li>
              <button type="button" data-team=${team.id} @click=${() => this.pick({ team: team.id })}>
                <span>${team.name}</span><span class="muted">${t.presence(team.available ? 'available' : 'away')}, ${t.teamOnline(team.online)}</span>
              </button>
            </li>`,
        )}
      </ul>
      <h3>${t.agents}</h3>
      <ul class="items">
        ${members.map(
          (member) =>
            html`<li>
              <button type="button" data-agent=${member.id} @click=${() => this.pick({ agent: member.id })}>
                <span>${member.name ?? member.id}</span><span class="muted">${t.presence(member.status)}</span>
              </button>
            </li>`,
        )}
      </ul>
      <button type="button" class="cancel" @click=${() => this.close()}>${t.cancel}</button>
    </dialog>`;
  }
}
