/**
 * The desk command box (`:`): a modal dialog with one line, `claim`, `close`, `note <text>`,
 * `transfer <team|agent>`, `assign <agent>`, or a `/` command of the bridge (its answer shown in
 * the box), completed as it is typed (arrows choose, Tab takes one, Enter runs the line). It announces `desk-command` with the parsed command; the shell runs
 * it as the conversation's buttons do and hands back any failure.
 */
import { html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { completionList } from './completion-list.js';
import { ConsoleElement } from './console-element.js';
import type { DirectoryTeam } from './desk-api.js';
import { type CommandProblem, type DeskCommand, completions, parseCommand } from './desk-commands.js';

@customElement('sb-command-box')
export class CommandBox extends ConsoleElement {
  @property({ attribute: false }) teams: DirectoryTeam[] = [];
  /** What went wrong running the last command (the shell sets it). */
  @property({ attribute: false }) error = '';
  /** The bridge's answer to the last `/` command (the shell sets it). */
  @property({ attribute: false }) answer = '';
  @state() private text = '';
  @state() private choice = 0;
  @state() private problem: CommandProblem | undefined;
  @query('dialog') private dialog!: HTMLDialogElement;
  @query('input') private input!: HTMLInputElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    this.text = '';
    this.problem = undefined;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.input.value = '';
    this.input.focus();
  }

  close(): void {
    if (this.dialog?.open) this.dialog.close();
  }

  private get lines(): string[] {
    return completions(this.text, this.teams);
  }

  private take(line: string): void {
    this.text = `${line} `;
    this.input.value = this.text;
    this.choice = 0;
  }

  private onKeydown(event: KeyboardEvent): void {
    const matches = this.lines;
    if (matches.length > 0 && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      this.choice = (this.choice + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
    } else if (matches.length > 0 && event.key === 'Tab') {
      event.preventDefault();
      this.take(matches[this.choice] ?? matches[0]!);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      this.run();
    }
  }

  private run(): void {
    const parsed = parseCommand(this.text, this.teams);
    if ('problem' in parsed) {
      this.problem = parsed;
      return;
    }
    this.problem = undefined;
    this.announce<DeskCommand>('desk-command', parsed);
  }

  private describe(problem: CommandProblem): string {
    const { t } = this.locale;
    switch (problem.problem) {
      case 'unknown':
        return t.commandUnknown(problem.word);
      case 'needsText':
        return t.commandNeedsText;
      case 'needsTarget':
        return t.commandNeedsTarget;
      default:
        return t.commandNoTarget(problem.word);
    }
  }

  protected override render() {
    const { t } = this.locale;
    const matches = this.lines;
    const message = this.problem ? this.describe(this.problem) : this.error;
    return html`<dialog aria-labelledby="command-title">
      <h2 id="command-title">${t.commandTitle}</h2>
      <label for="command-line">${t.commandLabel}</label>
      <input
        id="command-line"
        type="text"
        role="combobox"
        autocomplete="off"
        spellcheck="false"
        aria-autocomplete="list"
        aria-expanded=${matches.length > 0 ? 'true' : 'false'}
        aria-controls=${matches.length > 0 ? 'command-list' : nothing}
        aria-describedby="command-help"
        aria-activedescendant=${matches.length > 0 ? `command-${this.choice}` : nothing}
        @input=${(e: Event) => {
          this.text = (e.target as HTMLInputElement).value;
          this.choice = 0;
          this.problem = undefined;
        }}
        @keydown=${this.onKeydown}
      />
      <p id="command-help" class="muted">${t.commandHelp}</p>
      ${
        matches.length > 0
          ? completionList(
              'command',
              t.commandCompletions,
              matches,
              this.choice,
              (line) => this.take(line),
              (line) => line,
            )
          : nothing
      }
      ${message ? html`<p class="error" role="alert">${message}</p>` : nothing}
      ${this.answer && !message ? html`<pre class="answer" role="status">${this.answer}</pre>` : nothing}
      <button type="button" class="primary run" @click=${() => this.run()}>${t.commandRun}</button>
      <button type="button" class="cancel" @click=${() => this.close()}>${t.cancel}</button>
    </dialog>`;
  }
}
