/**
 * A conversation's log: day separators, messages with who sent them and (for the desk's own) their
 * status, a failed one with its reason and a retry, notes visibly marked as private. A `log` role,
 * so screen readers announce new lines.
 */
import { type Message, actionOf, readableSize } from '@switchboard/sdk';
import { type PropertyValues, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { ConsoleElement } from './console-element.js';
import type { LogEntry } from './log-entries.js';
import { hasThumbnail } from './previews.js';
import './thumbnail.js';

@customElement('sb-message-log')
export class MessageLog extends ConsoleElement {
  @property({ attribute: false }) entries: LogEntry[] = [];
  /** This agent's address: its messages are "You". */
  @property({ attribute: false }) self = '';
  /** The customer's address: everyone else is the desk. */
  @property({ attribute: false }) customer = '';
  @property({ attribute: false }) customerName = '';
  @property({ attribute: false }) hasMore = false;
  /** The names the teams give their agents, by address. */
  @property({ attribute: false }) agentNames: ReadonlyMap<string, string> = new Map();
  /** Why a stored message failed to reach the customer's network, or waits to, by message id. */
  @property({ attribute: false }) failures = new Map<string, string>();
  /** An image's thumbnail link (file:link); without it images are listed by name. */
  @property({ attribute: false }) thumbnailLink: ((fileId: string) => Promise<string>) | undefined;
  /** The seq of a message a search found: marked, and scrolled to once it is in the log. */
  @property({ attribute: false }) found = 0;
  /** The found seq already scrolled to: later updates leave the agent's scrolling alone. */
  private revealed = 0;

  private who(from: string): string {
    if (from === this.self) return this.locale.t.you;
    if (from === this.customer) return this.customerName || from;
    // The team's own lines (its greeting, an offline or queue message) are no one's.
    if (from.startsWith('team:')) return this.locale.t.desk;
    // Another agent: by the name the team gives them, as the conversation's head names its assignee.
    return this.agentNames.get(from) ?? from.replace(/^web:a_/, '');
  }

  /** A message's text; an action (`/me waves`, an IRC ACTION, an XMPP client's XEP-0245 line) as one: "* alice waves". */
  private renderText(message: Message) {
    const action = actionOf(message.text);
    if (action === undefined) return html`<span class="text" dir="auto">${message.text}</span>`;
    return html`<span class="text action" dir="auto"><em>* ${this.who(message.from)} ${action}</em></span>`;
  }

  /** Today, Yesterday, or the date. */
  private dayName(date: Date): string {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    if (date >= midnight) return this.locale.t.today;
    if (date.getTime() >= midnight.getTime() - 86_400_000) return this.locale.t.yesterday;
    return this.locale.day(date);
  }

  private renderMessage(
    message: Message,
    { edited = false, originalText, deleted }: { edited?: boolean; originalText?: string | undefined; deleted?: true | undefined } = {},
  ) {
    const { t } = this.locale;
    const desk = message.from !== this.customer;
    const status = desk && message.status ? message.status : undefined;
    const reason = this.failures.get(message.id);
    const found = message.seq === this.found;
    return html`<div class="entry ${desk ? 'mine' : ''} ${found ? 'found' : ''}" data-seq=${message.seq} aria-current=${found ? 'true' : nothing}>
      <span class="meta"
        >${this.who(message.from)} · <time datetime=${message.sentAt}>${this.locale.time(new Date(message.sentAt))}</time>${
          // The visitor wrote from their IM client or mailbox (continue on my IM, answering by mail).
          message.sentFrom ? html` · <span class="sent-from">${t.sentFrom(message.sentFrom)}</span>` : nothing
        }</span
      >${deleted ? html`<span class="text deleted">${t.deleted}</span>` : this.renderText(message)}${
        // A correction stands in the message's place (XEP-0308); what it replaced stays readable.
        edited ? html` <span class="edited" title=${originalText !== undefined ? t.editedFrom(originalText) : nothing}>${t.edited}</span>` : nothing
      }${
        message.attachments?.length
          ? html`<ul class="attachments">
              ${message.attachments.map(
                (file) =>
                  html`<li>
                    ${
                      hasThumbnail(file) && this.thumbnailLink
                        ? html`<sb-thumbnail
                            .file=${file}
                            .link=${this.thumbnailLink}
                            .label=${t.openFile(file.name, readableSize(file.size, this.locale.tag))}
                          ></sb-thumbnail>`
                        : html`<button type="button" class="file" data-file=${file.id} @click=${() => this.announce('open-file', file.id)}>
                            ${t.openFile(file.name, readableSize(file.size, this.locale.tag))}
                          </button>`
                    }
                  </li>`,
              )}
            </ul>`
          : nothing
      }
      ${
        status === 'failed'
          ? html`<span class="meta error" role="status"
              >${t.failedBecause(reason ?? t.unknown)}
              <button type="button" class="retry" @click=${() => this.announce('retry-message', message)}>${t.retry}</button></span
            >`
          : status === 'accepted' && reason
            ? // Kept by the bridge while the customer's network is down (or retried): not sent yet, and why.
              html`<span class="meta status waiting" role="status">${t.waitingBecause(reason)}</span>`
            : status
              ? html`<span class="meta status">${t.status(status)}</span>`
              : nothing
      }
    </div>`;
  }

  private renderEntry(entry: LogEntry) {
    const { t } = this.locale;
    switch (entry.kind) {
      case 'day': {
        const day = this.dayName(entry.date);
        return html`<div class="day" role="separator" aria-label=${day}>${day}</div>`;
      }
      case 'message':
        return this.renderMessage(entry.message, entry);
      case 'note':
        return html`<div class="entry note" data-note=${entry.note.id} data-after-seq=${entry.note.afterSeq}>
          <span class="meta"
            ><strong>${t.note}</strong> · ${t.noteLabel} · ${this.who(entry.note.from)} ·
            <time datetime=${entry.note.createdAt}>${this.locale.time(new Date(entry.note.createdAt))}</time></span
          ><span class="text" dir="auto">${entry.note.text}</span>
        </div>`;
      case 'pending':
        return html`<div class="entry mine pending" data-client-id=${entry.entry.clientId}>
          <span class="meta">${t.you}</span><span class="text" dir="auto">${entry.entry.text}</span>
          ${
            entry.entry.state === 'failed'
              ? html`<span class="meta error" role="status"
                  >${t.failedBecause(entry.entry.error?.message ?? t.unknown)}
                  <button type="button" class="retry" @click=${() => this.announce('retry-pending', entry.entry.clientId)}>${t.retry}</button>
                  <button type="button" class="discard" @click=${() => this.announce('discard-pending', entry.entry.clientId)}>${t.discard}</button></span
                >`
              : html`<span class="meta status">${t.status('sending')}</span>`
          }
        </div>`;
      default:
        return nothing;
    }
  }

  /** Where the log was before an update of its entries, to put it back where the agent reads. */
  private placeBefore: { atEnd: boolean; height: number; top: number; place: 'new' | 'end' | 'start' } | undefined;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('entries')) return;
    const old = changed.get('entries');
    const oldLast = old?.at(-1)?.key;
    const last = this.entries.at(-1)?.key;
    // Another conversation (its last entry is not among these): its end. More at the end: the
    // end if the agent was there. More before the same end (an earlier page): the same place.
    const place = oldLast === undefined || !this.entries.some((entry) => entry.key === oldLast) ? 'new' : last === oldLast ? 'start' : 'end';
    this.placeBefore = { atEnd: this.scrollHeight - this.scrollTop - this.clientHeight < 48, height: this.scrollHeight, top: this.scrollTop, place };
  }

  protected override updated(changed: PropertyValues<this>): void {
    const before = this.placeBefore;
    if (changed.has('entries') && before) {
      this.placeBefore = undefined;
      if (before.place === 'start') this.scrollTop = before.top + (this.scrollHeight - before.height);
      else if (before.place === 'new' || before.atEnd) this.scrollTop = this.scrollHeight;
    }
    if (this.found === 0 || this.found === this.revealed) return;
    const entry = this.querySelector(`[data-seq="${this.found}"]`);
    if (!entry) return;
    this.revealed = this.found;
    entry.scrollIntoView({ block: 'center' });
  }

  protected override render() {
    const { t } = this.locale;
    return html`${
        this.hasMore ? html`<button type="button" class="load-earlier" @click=${() => this.announce('load-earlier')}>${t.loadEarlier}</button>` : nothing
      }
      <div role="log" aria-label=${t.messages} aria-live="polite">
        ${repeat(
          this.entries,
          (entry) => entry.key,
          (entry) => this.renderEntry(entry),
        )}
      </div>`;
  }
}
