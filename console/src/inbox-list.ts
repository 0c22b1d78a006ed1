/**
 * The inbox: the four views (Mine, Unassigned, All open, Closed) with their live counts, the team
 * filter, the search, and the view's conversations, each with the customer, their network and
 * address, the last line, how long they have waited (ticking) and the unread count, a page at a
 * time. Kept current by `inbox:item` events; counts are asked again after them.
 *
 * Each list request has a generation: only the latest one's answer is shown (a page of a view left
 * meanwhile, or one a newer request superseded, is dropped), and what changed while it was on its
 * way (pushed items, conversations read) is applied again on top of it, so a page never undoes a
 * newer change nor lists a conversation twice.
 */
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { networkIcon, withoutScheme } from './addresses.js';
import { ConsoleElement } from './console-element.js';
import { type DeskApi, type DirectoryTeam, INBOX_VIEWS, type InboxCounts, type InboxItem, type InboxView } from './desk-api.js';
import { type ViewKey, atUnreadCap, uniqueItems, unreadBadge, withItem } from './inbox-filter.js';
import './search-box.js';
import { Ticker } from './ticker.js';
import './offer-countdown.js';

/** Counts asked again at most this often while events keep coming. */
const COUNTS_AFTER_MS = 300;
/** `inbox:list` lists at most this many (docs/protocol.md): the last page ends there. */
const MOST_LISTED = 200;

/** A change to the list, made now and made again on the answer of a request still on its way. */
type Edit = (items: InboxItem[]) => InboxItem[];

@customElement('sb-inbox')
export class InboxList extends ConsoleElement {
  @property({ attribute: false }) desk!: DeskApi;
  /** This agent's addresses: what `mine` means. */
  @property({ attribute: false }) self: string[] = [];
  @property({ attribute: false }) selected = '';
  /** Conversations per page: `inbox:list`'s limit grows by this much for each further page. */
  @property({ attribute: false }) pageSize = 50;
  // An agent's own conversations first, as they are what the router gives them (and a newcomer's first chat is there).
  @state() view: InboxView = 'mine';
  @state() team = '';
  @state() items: InboxItem[] = [];
  @state() private counts: InboxCounts | undefined;
  @state() private teams: DirectoryTeam[] = [];
  @state() private error = '';
  /** How many the view lists now (the pages shown), and whether the bridge may have more. */
  @state() private limit = 0;
  @state() private hasMore = false;
  @state() private loading = false;
  private generation = 0;
  /** The changes made since the latest request was sent; none while no request is on its way. */
  private edits: Edit[] | undefined;
  private readonly ticker = new Ticker(this);
  private stopListening: (() => void) | undefined;
  private countsTimer: ReturnType<typeof setTimeout> | undefined;
  private started = false;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.desk) this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopListening?.();
    this.started = false;
    clearTimeout(this.countsTimer);
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('desk') && this.desk && this.isConnected) this.start();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.stopListening?.();
    const stopItems = this.desk.onInboxItem((item) => this.changed(item));
    // Back online after a drop: what was pushed meanwhile is lost, so the view and its counts are listed again.
    let online = this.desk.client.state === 'online';
    const stopState = this.desk.client.on('state', (state) => {
      const back = state === 'online' && !online;
      online = state === 'online';
      if (back) void this.refresh();
    });
    this.stopListening = () => {
      stopItems();
      stopState();
    };
    this.desk.directory().then(
      (teams) => (this.teams = teams),
      () => undefined,
    );
    void this.refresh();
  }

  private get key(): ViewKey {
    return { view: this.view, self: this.self, ...(this.team ? { team: this.team } : {}) };
  }

  /** Lists the view again (as many as shown, at least a page), and its counts. */
  refresh(): Promise<void> {
    return this.list(Math.max(this.limit, this.pageSize));
  }

  /** The next page: the view listed again with a limit one page larger. */
  more(): Promise<void> {
    return this.list(Math.min(this.limit + this.pageSize, MOST_LISTED));
  }

  private async list(limit: number): Promise<void> {
    const generation = ++this.generation;
    const edits: Edit[] = [];
    this.edits = edits;
    const { view, team } = this;
    this.error = '';
    this.loading = true;
    try {
      const [items, counts] = await Promise.all([this.desk.inbox(view, { limit, ...(team ? { team } : {}) }), this.desk.inboxCounts(team || undefined)]);
      if (generation !== this.generation) return;
      this.items = edits.reduce((list, edit) => edit(list), uniqueItems(items));
      this.counts = counts;
      this.limit = limit;
      this.hasMore = items.length >= limit && limit < MOST_LISTED;
      this.announce('inbox-items', this.items);
    } catch (error) {
      if (generation === this.generation) this.error = this.locale.t.loadFailed((error as Error).message);
    } finally {
      if (generation === this.generation) {
        this.edits = undefined;
        this.loading = false;
      }
    }
  }

  private edit(edit: Edit): void {
    this.items = edit(this.items);
    this.edits?.push(edit);
    // What is listed changed (a conversation joined or left the view): the title counts these.
    this.announce('inbox-items', this.items);
  }

  private changed(item: InboxItem): void {
    const { key } = this;
    this.edit((items) => withItem(items, item, key));
    clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(() => {
      this.desk.inboxCounts(this.team || undefined).then(
        (counts) => (this.counts = counts),
        () => undefined,
      );
    }, COUNTS_AFTER_MS);
  }

  /** The agent read a conversation: its badge goes at once (the bridge's cursor moved too). */
  markRead(conversationId: string): void {
    this.edit((items) =>
      items.some((item) => item.id === conversationId && item.unread > 0)
        ? items.map((item) => (item.id === conversationId ? { ...item, unread: 0 } : item))
        : items,
    );
  }

  /** The conversation after (or before) the open one, or the next with unread messages; opened. */
  step(direction: 1 | -1, unreadOnly = false): void {
    const at = this.items.findIndex((item) => item.id === this.selected);
    const count = this.items.length;
    for (let i = 1; i <= count; i++) {
      const item = this.items[(((at + direction * i) % count) + count) % count]!;
      if (!unreadOnly || item.unread > 0) return this.open(item);
    }
  }

  private open(item: InboxItem): void {
    this.announce('open-conversation', item.id);
  }

  /** Another view, or another team: listed from its first page. */
  private choose(view: InboxView, team = this.team): void {
    this.view = view;
    this.team = team;
    this.items = [];
    this.limit = 0;
    this.hasMore = false;
    void this.refresh();
  }

  private waited(since: string | undefined): string {
    if (!since) return '';
    const seconds = Math.max(0, Math.floor((this.ticker.now - Date.parse(since)) / 1000));
    return this.locale.t.waiting(this.locale.t.duration(seconds));
  }

  private renderItem(item: InboxItem) {
    const { t } = this.locale;
    const { customer, lastMessage } = item;
    const name = customer.name ?? withoutScheme(customer.address);
    return html`<li>
      <button type="button" data-conversation=${item.id} aria-current=${item.id === this.selected ? 'true' : 'false'} @click=${() => this.open(item)}>
        <span class="who"><strong>${name}</strong></span>
        ${item.unread > 0 ? html`<span class="badge unread" aria-label=${atUnreadCap(item.unread) ? t.unreadMany : t.unread(item.unread)}>${unreadBadge(item.unread)}</span>` : html`<span></span>`}
        <span class="where muted"
          ><span aria-hidden="true">${networkIcon(customer.network)}</span> ${t.networkName(customer.network)} · ${withoutScheme(customer.address)}</span
        >
        <span class="waiting muted">${this.waited(item.waitingSince)}</span>
        ${item.offer ? html`<sb-offer-countdown .locale=${this.locale} .offer=${item.offer} .self=${this.self}></sb-offer-countdown>` : nothing}
        ${item.subject ? html`<span class="subject"><span class="visually-hidden">${t.subject}: </span>${item.subject}</span>` : nothing}
        <span class="last">${lastMessage ? lastMessage.text || t.attachments(lastMessage.attachments ?? 0) : ''}</span>
      </button>
    </li>`;
  }

  protected override render() {
    const { t } = this.locale;
    return html`<h2 class="visually-hidden">${t.inbox}</h2>
      <sb-search .locale=${this.locale} .desk=${this.desk}></sb-search>
      <div class="tabs" role="group" aria-label=${t.views}>
        ${INBOX_VIEWS.map((view) => {
          const count = this.counts?.[view];
          return html`<button type="button" data-view=${view} aria-pressed=${view === this.view ? 'true' : 'false'} @click=${() => this.choose(view)}>
            ${t.view(view)}${count === undefined ? nothing : html` <span class="count">${count}</span>`}
          </button>`;
        })}
      </div>
      ${
        this.teams.length > 1
          ? html`<label
              >${t.team}
              <select class="team-filter" @change=${(e: Event) => this.choose(this.view, (e.target as HTMLSelectElement).value)}>
                <option value="">${t.allTeams}</option>
                ${this.teams.map((team) => html`<option value=${team.id} ?selected=${team.id === this.team}>${team.name}</option>`)}
              </select></label
            >`
          : nothing
      }
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <ul class="items inbox-items" aria-label=${t.conversations}>
        ${repeat(
          this.items,
          (item) => item.id,
          (item) => this.renderItem(item),
        )}
      </ul>
      ${this.hasMore ? html`<button type="button" class="more" ?disabled=${this.loading} @click=${() => this.more()}>${t.moreConversations}</button>` : nothing}
      ${this.items.length === 0 && !this.error && !this.loading ? html`<p class="muted empty">${t.emptyView}</p>` : nothing}`;
  }
}
