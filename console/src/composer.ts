/**
 * The reply box: Enter sends, Shift+Enter breaks the line; `/` and a name offers the canned
 * replies (arrows choose, Enter or Tab takes one, Escape closes the list); the note toggle turns
 * the text into a private note. Tells the other side it is typing (not while writing a note).
 * On a closed conversation it writes notes only: replies are off, the desk may still write notes,
 * until the agent chooses Reopen: a reply then reopens it.
 */
import { LIMITS, TypingTicker, textTooLong } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { cannedMatches, cannedQuery } from './canned-match.js';
import { completionList } from './completion-list.js';
import { ConsoleElement } from './console-element.js';
import type { CannedReply } from './desk-api.js';

/** The count of characters left shows once this few are left (and past the limit). */
const COUNT_WITHIN = 500;

export interface ComposedText {
  text: string;
  note: boolean;
  /** Files to upload and send with the text (never with a note). */
  files: File[];
}

@customElement('sb-composer')
export class Composer extends ConsoleElement {
  @property({ attribute: false }) canned: CannedReply[] = [];
  @property({ type: Boolean }) disabled = false;
  /** Notes only (a closed conversation): no reply, no files. */
  @property({ type: Boolean, attribute: 'notes-only' }) notesOnly = false;
  /** The conversation is closed and a reply reopens it: the box says so. */
  @property({ type: Boolean }) reopens = false;
  /** The longest text the bridge takes, in code points (the session's `maxTextLength`, else the contract's). */
  @property({ type: Number, attribute: false }) maxLength: number = LIMITS.maxTextLength;
  /** Why the text was not sent (too long): said once, on sending, not at each key. */
  @state() private refusal = '';
  @state() private text = '';
  @state() private note = false;
  @state() private choice = 0;
  @state() private dismissed = false;
  @state() private files: File[] = [];
  @query('textarea') private input!: HTMLTextAreaElement;
  /** The agent's typing: `composing` every 3 s while keys come, `paused` after 5 s without one. */
  private readonly typing = new TypingTicker((state) => this.announce('typing', state), { everyMs: 3000, pausedAfterMs: 5000 });

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.typing.dispose();
  }

  /** Writing a note: chosen with the toggle, or the only thing there is to write. */
  private get writingNote(): boolean {
    return this.note || this.notesOnly;
  }

  override focus(): void {
    this.input?.focus();
  }

  private get completions(): CannedReply[] {
    const wanted = this.dismissed ? undefined : cannedQuery(this.text);
    return wanted === undefined ? [] : cannedMatches(this.canned, wanted);
  }

  private onInput(event: Event): void {
    this.text = (event.target as HTMLTextAreaElement).value;
    this.refusal = '';
    this.choice = 0;
    this.dismissed = false;
    if (this.writingNote) return;
    this.typing.key();
  }

  private take(reply: CannedReply): void {
    this.text = reply.text;
    this.input.value = reply.text;
    this.dismissed = true;
    this.input.focus();
  }

  private onKeydown(event: KeyboardEvent): void {
    const matches = this.completions;
    if (matches.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        this.choice = (this.choice + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        this.take(matches[this.choice] ?? matches[0]!);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        this.dismissed = true;
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  private submit(): void {
    const text = this.text.trim();
    const note = this.writingNote;
    const files = note ? [] : this.files;
    if ((!text && files.length === 0) || this.disabled) return;
    // The bridge would refuse it (too_large): refused here with its words, the text kept to shorten.
    if ([...text].length > this.maxLength) {
      this.refusal = this.locale.t.actionFailed(textTooLong(this.maxLength));
      return;
    }
    this.announce<ComposedText>('compose', { text, note, files });
    this.text = '';
    this.input.value = '';
    if (!note) this.files = [];
    this.typing.stop();
  }

  /**
   * Takes back what was sent and then refused before it became a message (a file refused at
   * upload, a note not written), so the agent does not type it again: the text, unless the box
   * holds new text by now, and the files, before any picked since.
   */
  giveBack({ text, note, files }: ComposedText): void {
    if (!this.text.trim()) {
      this.text = text;
      if (this.input) this.input.value = text;
      this.note = note && !this.notesOnly;
    }
    this.files = [...files, ...this.files];
  }

  private picked(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.files = [...this.files, ...(input.files ?? [])];
    input.value = '';
  }

  protected override render() {
    const { t } = this.locale;
    const matches = this.completions;
    const note = this.writingNote;
    this.classList.toggle('note-mode', note);
    // Code points, as the bridge counts (an emoji is one), of the text as it is sent (trimmed).
    const left = this.maxLength - [...this.text.trim()].length;
    const counting = left < this.maxLength && left <= COUNT_WITHIN;
    return html`${
        matches.length > 0
          ? completionList(
              'canned',
              t.cannedReplies,
              matches,
              this.choice,
              (reply) => this.take(reply),
              (reply) => html`<strong>/${reply.name}</strong> <span>${reply.text}</span>`,
            )
          : nothing
      }
      <label class="visually-hidden" for="composer-text">${note ? t.writeNote : t.reply}</label>
      <textarea
        id="composer-text"
        rows="3"
        .value=${this.text}
        ?disabled=${this.disabled}
        placeholder=${note ? t.notePlaceholder : this.reopens ? t.reopenPlaceholder : t.replyPlaceholder}
        aria-autocomplete="list"
        aria-controls=${matches.length > 0 ? 'canned-list' : nothing}
        aria-activedescendant=${matches.length > 0 ? `canned-${this.choice}` : nothing}
        aria-describedby=${counting ? 'composer-count' : nothing}
        aria-invalid=${left < 0 ? 'true' : nothing}
        @input=${this.onInput}
        @keydown=${this.onKeydown}
        @blur=${() => this.typing.stop()}
      ></textarea>
      ${
        // Not a live region: read with the box (aria-describedby), never announced at each key.
        counting
          ? html`<p id="composer-count" class="count ${left < 0 ? 'over' : ''}">${left < 0 ? t.charactersOver(-left) : t.charactersLeft(left)}</p>`
          : nothing
      }
      ${this.refusal ? html`<p class="error" role="alert">${this.refusal}</p>` : nothing}
      ${
        this.files.length > 0 && !note
          ? html`<ul class="files" aria-label=${t.filesToSend}>
              ${this.files.map(
                (file) =>
                  html`<li>
                    ${file.name}
                    <button type="button" aria-label=${t.removeFile(file.name)} @click=${() => (this.files = this.files.filter((f) => f !== file))}>×</button>
                  </li>`,
              )}
            </ul>`
          : nothing
      }
      <div class="composer-actions">
        ${
          note
            ? nothing
            : html`<button
                  type="button"
                  class="attach"
                  ?disabled=${this.disabled}
                  @click=${() => this.querySelector<HTMLInputElement>('input[type="file"]')?.click()}
                >
                  ${t.attach}
                </button>
                <input type="file" multiple hidden @change=${this.picked} />`
        }
        <label
          ><input
            type="checkbox"
            class="note-toggle"
            .checked=${note}
            ?disabled=${this.disabled || this.notesOnly}
            @change=${(e: Event) => (this.note = (e.target as HTMLInputElement).checked)}
          />
          ${t.writeNote}</label
        >
        <button type="button" class="primary send" ?disabled=${this.disabled} @click=${() => this.submit()}>
          ${note ? t.addNote : this.reopens ? t.sendAndReopen : t.send}
        </button>
      </div>`;
  }
}
