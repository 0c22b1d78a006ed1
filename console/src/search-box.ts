/** The inbox's search (inbox:search): messages, notes and customers of the site, each result opening its conversation. */
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { withoutScheme } from './addresses.js';
import { ConsoleElement } from './console-element.js';
import type { DeskApi, SearchResult } from './desk-api.js';

@customElement('sb-search')
export class SearchBox extends ConsoleElement {
  @property({ attribute: false }) desk!: DeskApi;
  @state() private results: SearchResult[] | undefined;
  @state() private error = '';
  private query = '';

  private async search(event: Event): Promise<void> {
    event.preventDefault();
    const query = this.query.trim();
    if (!query) return void (this.results = undefined);
    this.error = '';
    try {
      this.results = await this.desk.search(query);
    } catch (error) {
      this.results = undefined;
      this.error = this.locale.t.loadFailed((error as Error).message);
    }
  }

  /** When a hit was written: its time today, else its day too (a search reaches back months). */
  private when(date: Date): string {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const time = this.locale.time(date);
    return date >= midnight ? time : `${this.locale.day(date)}, ${time}`;
  }

  /** A message hit opens its conversation at that message; a note or customer hit opens the conversation. */
  private open(result: SearchResult): void {
    if (result.kind === 'message' && result.seq !== undefined) this.announce('open-message', { conversationId: result.conversationId, seq: result.seq });
    else this.announce('open-conversation', result.conversationId);
  }

  protected override render() {
    const { t } = this.locale;
    return html`<form role="search" @submit=${this.search}>
        <label class="visually-hidden" for="search-query">${t.search}</label>
        <input id="search-query" type="search" placeholder=${t.searchPlaceholder} @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)} />
        <button type="submit">${t.search}</button>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div role="status" class="search-status">${this.results ? (this.results.length ? t.searchResults(this.results.length) : t.noResults) : ''}</div>
      ${
        this.results?.length
          ? html`<ul class="items search-results">
              ${this.results.map(
                (result) =>
                  html`<li>
                    <button type="button" data-conversation=${result.conversationId} @click=${() => this.open(result)}>
                      <span>${t.resultKind(result.kind)}</span><span class="muted">${result.sentAt ? this.when(new Date(result.sentAt)) : ''}</span>
                      ${result.customer ? html`<span class="who"><strong>${result.customer.name ?? withoutScheme(result.customer.address)}</strong></span>` : nothing}
                      <span class="last">${result.snippet}</span>
                    </button>
                  </li>`,
              )}
            </ul>`
          : nothing
      }`;
  }
}
