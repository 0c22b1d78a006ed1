/** The `?` overlay: the keyboard shortcuts, in a modal dialog Escape closes. */
import { html } from 'lit';
import { customElement, query } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';

@customElement('sb-shortcuts')
export class ShortcutsOverlay extends ConsoleElement {
  @query('dialog') private dialog!: HTMLDialogElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
  }

  close(): void {
    if (this.dialog?.open) this.dialog.close();
  }

  protected override render() {
    const { t } = this.locale;
    return html`<dialog aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">${t.shortcuts}</h2>
      <dl class="shortcut-list">
        ${t.shortcutList.map(
          ([key, what]) =>
            html`<div>
              <dt><kbd>${key}</kbd></dt>
              <dd>${what}</dd>
            </div>`,
        )}
      </dl>
      <button type="button" class="close-overlay" @click=${() => this.close()}>${t.cancel}</button>
    </dialog>`;
  }
}
