/**
 * One conversation as the desk works it: its history (paged back with history:get), new messages
 * and statuses as they come, private notes in place, who is typing, the composer, and the
 * claim / transfer / close actions. Marks what it shows as read by this agent.
 */
import {
  type Address,
  type Conversation,
  FileUnreadableError,
  LIMITS,
  type Message,
  type OutboxEntry,
  type SwitchboardClient,
  type TypingEvent,
} from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { networkOf, withoutScheme } from './addresses.js';
import type { ComposedText } from './composer.js';
import './composer.js';
import type { Composer } from './composer.js';
import { ConsoleElement } from './console-element.js';
import type { CannedReply, DeskApi, DirectoryTeam, InboxItem, Note, TransferTarget } from './desk-api.js';
import type { DeskCommand } from './desk-commands.js';
import { logEntries } from './log-entries.js';
import './invite-form.js';
import './message-log.js';
import './transfer-dialog.js';
import type { TransferDialog } from './transfer-dialog.js';

/** Messages per history page (the bridge's default). */
const PAGE = 50;
/** A typing indicator whose `paused` never came goes away after this long. */
const TYPING_STALE_MS = 10_000;

@customElement('sb-conversation')
export class ConversationView extends ConsoleElement {
  @property({ attribute: false }) client!: SwitchboardClient;
  @property({ attribute: false }) desk!: DeskApi;
  @property({ attribute: false }) conversationId = '';
  /** The inbox's view of it, when it came from the inbox (the customer's name, ...). */
  @property({ attribute: false }) item: InboxItem | undefined;
  /** A message to show (a search hit): earlier pages are fetched until it is in the log. */
  @property({ attribute: false }) focusSeq = 0;
  /** Every address of the signed-in agent, their session's first (own-addresses.ts): a conversation assigned to any of them is "You". */
  @property({ attribute: false }) ownAddresses: string[] = [];
  /** Agents' names by address, as their teams name them. */
  @property({ attribute: false }) agentNames: ReadonlyMap<string, string> = new Map();
  @state() private conversation: Conversation | undefined;
  /** The offer running for the conversation's assignee, as its inbox item last told (none once taken up or moved on). */
  @state() private offer: InboxItem['offer'];
  @state() private messages = new Map<number, Message>();
  @state() private notes: Note[] = [];
  @state() private pending: OutboxEntry[] = [];
  @state() private hasMore = false;
  @state() private typingFrom = '';
  @state() private failures = new Map<string, string>();
  @state() private canned: CannedReply[] = [];
  @state() private error = '';
  @state() private transferError = '';
  @state() private directory: DirectoryTeam[] = [];
  /** The customer's name as the bridge knows their party, when the inbox did not say. */
  @state() private partyName = '';
  /**
   * Writing a reply to a closed conversation, which reopens it: message:send to a closed
   * conversation opens it again (docs/protocol.md, "Addition: conversations as implemented").
   */
  @state() private reopening = false;
  @query('sb-composer') private composer!: Composer;
  @query('sb-transfer') private transferDialog!: TransferDialog;
  private stops: (() => void)[] = [];
  /** Thumbnail links asked for, by file id (valid an hour: a log open longer asks again). */
  private thumbnails = new Map<string, { url: Promise<string>; until: number }>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private loaded = '';
  private readUpTo = 0;
  /** Live messages that came while the first page was being fetched. */
  private early: Message[] | undefined;
  /** The last seq an inbox item told of while the first page was on its way. */
  private behind = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.client) this.listen();
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const stop of this.stops.splice(0)) stop();
    clearTimeout(this.typingTimer);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  /** Back on the tab: what came meanwhile is on screen now, so it is read. */
  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible' && this.conversationId) this.markRead();
  };

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    // Open again (the reply went, or someone else reopened it): a later close starts with notes again.
    if (changed.has('conversation') && this.conversation?.state === 'open') this.reopening = false;
    if (changed.has('client') && this.client && this.isConnected) this.listen();
    if (changed.has('item') && this.item?.id === this.conversationId) {
      this.conversation = this.item;
      this.offer = this.item.offer;
    }
    if ((changed.has('conversationId') || changed.has('client')) && this.client && this.conversationId && this.loaded !== this.conversationId) {
      this.loaded = this.conversationId;
      // Each conversation opened tells whose it is, the same customer's too: the shell forgot them.
      this.told = '';
      void this.load(this.conversationId);
    } else if (changed.has('focusSeq') && this.focusSeq && !this.early) void this.reveal(this.conversationId);
  }

  private told = '';

  /** Tells the shell whose conversation this is, once known (the customer panel shows them). */
  protected override updated(): void {
    const { address } = this.customer();
    if (address && address !== this.told) {
      this.told = address;
      this.announce('customer', address);
    }
  }

  // --- loading and live updates ---------------------------------------------------------------

  private async load(id: string): Promise<void> {
    this.messages = new Map();
    // Links of the conversation shown before are not asked again here.
    this.thumbnails.clear();
    this.notes = [];
    this.failures = new Map();
    this.typingFrom = '';
    this.error = '';
    this.readUpTo = 0;
    this.hasMore = false;
    this.partyName = '';
    this.reopening = false;
    this.conversation = this.item?.id === id ? this.item : this.client.conversations.find((c) => c.id === id);
    this.offer = this.item?.id === id ? this.item.offer : undefined;
    this.pending = this.client.pending(id);
    this.early = [];
    this.behind = 0;
    try {
      if (!this.conversation) this.conversation = (await this.client.listConversations({ limit: 500 })).find((c) => c.id === id);
      const page = await this.client.history(id, { limit: PAGE });
      if (id !== this.conversationId) return;
      this.keep(page.messages);
      this.hasMore = page.hasMore;
      this.keep(this.early.filter((message) => this.shows(message)));
    } catch (error) {
      if (id === this.conversationId) this.error = (error as Error).message;
    }
    if (id === this.conversationId) {
      this.early = undefined;
      // Without a first page there is no end to catch up from (it would replay the whole history).
      if (!this.error && this.behind > this.lastSeq()) void this.catchUp();
      if (!this.error && this.focusSeq) void this.reveal(id);
    }
    const { address } = this.customer();
    if (address && !this.item?.customer.name)
      this.client.getParty(address as Address).then(
        (party) => id === this.conversationId && (this.partyName = party.name ?? ''),
        () => undefined,
      );
    // Notes and canned replies are desk extras: without them the conversation still works.
    this.desk.notes(id).then(
      (notes) => id === this.conversationId && (this.notes = notes),
      () => undefined,
    );
    // Of this conversation's team: an answer for one opened before comes too late to be kept.
    this.desk.cannedReplies(this.conversation?.team).then(
      (canned) => id === this.conversationId && (this.canned = canned),
      () => undefined,
    );
  }

  private listen(): void {
    for (const stop of this.stops.splice(0)) stop();
    const { client } = this;
    const mine = (conversationId: string) => conversationId === this.conversationId;
    this.stops.push(
      client.on('message', (message) => mine(message.conversationId) && this.live(message)),
      client.on('message:status', (status) => {
        if (!mine(status.conversationId)) return;
        const message = [...this.messages.values()].find((m) => m.id === status.id);
        if (status.error) this.failures = new Map(this.failures).set(status.id, status.error.message);
        if (message) this.keep([{ ...message, status: status.status }], true);
      }),
      client.on('typing', (event) => mine(event.conversationId) && this.typed(event)),
      client.on('outbox', () => (this.pending = client.pending(this.conversationId))),
      client.on('conversation', (conversation) => mine(conversation.id) && (this.conversation = { ...this.conversation, ...conversation })),
      this.desk.onNote((note) => mine(note.conversationId) && !this.notes.some((n) => n.id === note.id) && (this.notes = [...this.notes, note])),
      // Conversations this agent is no participant of send it no `message`: the inbox says what changed.
      this.desk.onInboxItem((item) => {
        if (!mine(item.id)) return;
        this.conversation = { ...this.conversation, ...item };
        this.offer = item.offer;
        // While the first page is on its way, catching up from nothing would fetch the oldest
        // messages and show them all: it waits for the page, and catches up from its end.
        if (this.early) this.behind = Math.max(this.behind, item.lastSeq);
        else if (item.lastSeq > this.lastSeq()) void this.catchUp();
      }),
    );
  }

  /**
   * A message from an event: kept when it falls within or after the pages shown, so replays of
   * older ones (a reconnect's sync) leave the paging as it is.
   */
  private live(message: Message): void {
    if (this.early) this.early.push(message);
    else if (this.shows(message)) this.keep([message]);
  }

  private shows(message: Message): boolean {
    return this.messages.size === 0 || message.seq >= Math.min(...this.messages.keys());
  }

  private lastSeq(): number {
    return Math.max(0, ...this.messages.keys());
  }

  private async catchUp(): Promise<void> {
    const id = this.conversationId;
    const page = await this.client.history(id, { afterSeq: this.lastSeq(), limit: 100 }).catch(() => undefined);
    if (page && id === this.conversationId) this.keep(page.messages);
  }

  private keep(messages: readonly Message[], replace = false): void {
    if (messages.length === 0) return;
    const next = new Map(this.messages);
    for (const message of messages) if (replace || !next.has(message.seq) || message.status) next.set(message.seq, message);
    this.messages = next;
    this.markRead();
  }

  /** What this agent has on screen is read (the page visible, newest message shown). */
  private markRead(): void {
    const last = this.lastSeq();
    if (last <= this.readUpTo || document.visibilityState === 'hidden') return;
    this.readUpTo = last;
    this.client.markRead(this.conversationId, last).catch(() => undefined);
    this.announce('conversation-read', { conversationId: this.conversationId, seq: last });
  }

  private typed(event: TypingEvent): void {
    if (event.from === this.client.session?.self) return;
    clearTimeout(this.typingTimer);
    this.typingFrom = event.state === 'composing' ? event.from : '';
    if (this.typingFrom) this.typingTimer = setTimeout(() => (this.typingFrom = ''), TYPING_STALE_MS);
  }

  /** Fetches earlier pages until the message `focusSeq` names is shown (the log scrolls to it). */
  private async reveal(id: string): Promise<void> {
    const seq = this.focusSeq;
    while (id === this.conversationId && seq === this.focusSeq && this.hasMore && this.messages.size > 0 && Math.min(...this.messages.keys()) > seq)
      await this.loadEarlier();
  }

  private async loadEarlier(): Promise<void> {
    const first = Math.min(...this.messages.keys());
    const id = this.conversationId;
    const page = await this.client.history(id, { beforeSeq: first, limit: PAGE });
    if (id !== this.conversationId) return;
    this.keep(page.messages);
    this.hasMore = page.hasMore;
  }

  // --- actions ---------------------------------------------------------------------------------

  /** Runs an action; its failure is shown, and answered ('' when it worked: another action's failure meanwhile is not its own). */
  private async act(work: () => Promise<unknown>): Promise<string> {
    this.error = '';
    try {
      await work();
      return '';
    } catch (error) {
      this.error = this.locale.t.actionFailed((error as Error).message);
      return this.error;
    }
  }

  private async compose(event: CustomEvent<ComposedText>): Promise<void> {
    const { text, note, files } = event.detail;
    const id = this.conversationId;
    // Once handed to the SDK a reply is its outbox's (shown pending, with Retry if refused).
    let handedOver = false;
    const failure = await this.act(async () => {
      if (note) {
        await this.writeNote(id, text);
      } else {
        // Each file is uploaded first; the message then names them (docs/protocol.md, "Files").
        const attachments = await Promise.all(files.map((file) => this.client.uploadFile(id, file)));
        const sent = this.client.send(id, text, attachments.length > 0 ? { attachments } : {});
        handedOver = true;
        this.pending = this.client.pending(id);
        this.keep([await sent]);
      }
    });
    if (failure && !handedOver && id === this.conversationId) this.composer?.giveBack(event.detail);
  }

  /**
   * Sends a message that failed on the customer's network again: its text and its files (each
   * uploaded again, since a file goes with one message only: docs/protocol.md, "Files").
   */
  private async resend(message: Message): Promise<void> {
    const id = message.conversationId;
    const attachments = await this.client.uploadAgain(id, message.attachments ?? []).catch((error: unknown) => {
      throw error instanceof FileUnreadableError ? new Error(this.locale.t.fileUnreadable(error.file.name)) : error;
    });
    await this.client.send(id, message.text, attachments.length > 0 ? { attachments } : {});
  }

  /** An image's thumbnail link, asked once per file while it is valid. */
  private readonly thumbnailLink = (fileId: string): Promise<string> => {
    const known = this.thumbnails.get(fileId);
    if (known && known.until > Date.now()) return known.url;
    const url = this.client.fileLink(fileId, 'thumbnail').then(
      (link) => {
        this.thumbnails.set(fileId, { url, until: Date.parse(link.expiresAt) - 60_000 });
        return link.url;
      },
      (error: unknown) => {
        this.thumbnails.delete(fileId);
        throw error;
      },
    );
    this.thumbnails.set(fileId, { url, until: Date.now() + 60_000 });
    return url;
  };

  /** Opens a file of the conversation through a signed link, in a new tab. */
  private async openFile(fileId: string): Promise<void> {
    // The tab is opened at once (within the click) so no popup blocker stops it; the link follows.
    const tab = window.open('', '_blank');
    await this.act(async () => {
      const { url } = await this.client.fileLink(fileId);
      if (tab) tab.location.href = url;
    });
  }

  private async writeNote(id: string, text: string): Promise<void> {
    const written = await this.desk.addNote(id, text, `note-${crypto.randomUUID()}`);
    if (id === this.conversationId && !this.notes.some((n) => n.id === written.id)) this.notes = [...this.notes, written];
  }

  /** Runs a command of the command box (:) as its button would; answers its failure, '' when it worked. */
  run(command: Exclude<DeskCommand, { kind: 'bridge' }>): Promise<string> {
    switch (command.kind) {
      case 'claim':
        return this.claim();
      case 'close':
        return this.close();
      case 'note':
        return this.act(() => this.writeNote(this.conversationId, command.text));
      default:
        return this.transferTo(command.to);
    }
  }

  /** Claims the conversation for this agent (c). */
  claim(): Promise<string> {
    return this.act(async () => (this.conversation = await this.desk.claim(this.conversationId)));
  }

  /** Closes the conversation (x). */
  close(): Promise<string> {
    return this.act(async () => (this.conversation = await this.client.closeConversation(this.conversationId)));
  }

  /** Turns the reply box of a closed conversation to replies (the reply sent reopens it), or back to notes. */
  private async reopen(): Promise<void> {
    this.reopening = !this.reopening;
    await this.updateComplete;
    if (this.reopening) this.composer?.focus();
  }

  /** Puts the cursor in the reply box (r). */
  focusComposer(): void {
    this.composer?.focus();
  }

  get transferOpen(): boolean {
    return this.transferDialog?.open ?? false;
  }

  private async openTransfer(): Promise<void> {
    this.transferError = '';
    await this.transferDialog.show();
    try {
      this.directory = await this.desk.directory();
    } catch (error) {
      this.transferError = (error as Error).message;
    }
  }

  private transferTo(to: TransferTarget): Promise<string> {
    return this.act(async () => (this.conversation = await this.desk.transfer(this.conversationId, to)));
  }

  // --- rendering -------------------------------------------------------------------------------

  /** "You" for one of the agent's own addresses, else the name the team gives the agent, else its id. */
  private agentLabel(assignee: string): string {
    if (this.ownAddresses.includes(assignee)) return this.locale.t.you;
    return this.agentNames.get(assignee) ?? withoutScheme(assignee).replace(/^a_/, '');
  }

  private customer(): { address: string; name: string } {
    const address = this.item?.customer.address ?? this.conversation?.participants[0] ?? '';
    return { address, name: this.item?.customer.name ?? (this.partyName || withoutScheme(address)) };
  }

  protected override render() {
    const { t } = this.locale;
    if (!this.conversationId) return html`<p class="muted placeholder">${t.pickConversation}</p>`;
    const { address, name } = this.customer();
    const closed = this.conversation?.state === 'closed';
    const self = this.client.session?.self ?? '';
    const assignee = this.conversation?.assignee;
    // Offered to this agent, with a deadline: claiming it takes the offer up, as answering does.
    const offeredToMe = this.offer !== undefined && this.offer.agent === self;
    const messages = [...this.messages.values()];
    const firstSeq = this.hasMore ? Math.min(...this.messages.keys()) : 0;
    return html`<div class="conversation-head">
        <button type="button" class="back" @click=${() => this.announce('back')}>${t.back}</button>
        <h2 id="conversation-title">${name} <span class="muted">· ${t.networkName(networkOf(address))}</span></h2>
        <span class="muted assignee">${assignee ? t.assignedTo(this.agentLabel(assignee)) : t.unassigned}</span>
        <button type="button" class="claim" ?disabled=${closed || (assignee !== undefined && !offeredToMe)} @click=${() => this.claim()}>${t.claim}</button>
        <button type="button" class="transfer" ?disabled=${closed} @click=${() => this.openTransfer()}>${t.transfer}</button>
        <button type="button" class="close" ?disabled=${closed} @click=${() => this.close()}>${t.close}</button>
        ${
          closed
            ? html`<button type="button" class="reopen" aria-pressed=${this.reopening ? 'true' : 'false'} @click=${() => this.reopen()}>${t.reopen}</button>`
            : nothing
        }
        ${this.conversation?.rating ? html`<span class="muted rating">${t.rated(this.conversation.rating)}</span>` : nothing}
        ${this.conversation?.subject ? html`<p class="subject"><span class="visually-hidden">${t.subject}: </span>${this.conversation.subject}</p>` : nothing}
      </div>
      ${
        networkOf(address) === 'web' && !closed
          ? html`<sb-invite .locale=${this.locale} .client=${this.client} .conversationId=${this.conversationId}></sb-invite>`
          : nothing
      }
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <!-- Focusable: the log scrolls, and a keyboard alone must be able to scroll it (WCAG 2.1.1). -->
      <sb-message-log
        tabindex="0"
        .locale=${this.locale}
        .entries=${logEntries(messages, this.notes, this.pending, firstSeq)}
        .self=${self}
        .customer=${address}
        .customerName=${name}
        .agentNames=${this.agentNames}
        .hasMore=${this.hasMore}
        .failures=${this.failures}
        .thumbnailLink=${this.thumbnailLink}
        .found=${this.focusSeq}
        @load-earlier=${() => this.loadEarlier()}
        @retry-pending=${(e: CustomEvent<string>) => this.act(() => this.client.retry(e.detail))}
        @discard-pending=${(e: CustomEvent<string>) => this.client.discard(e.detail)}
        @open-file=${(e: CustomEvent<string>) => this.openFile(e.detail)}
        @retry-message=${(e: CustomEvent<Message>) => this.act(() => this.resend(e.detail))}
      ></sb-message-log>
      <div class="typing-line" aria-live="polite">${this.typingFrom ? t.typing(this.typingFrom === address ? name : withoutScheme(this.typingFrom)) : ''}</div>
      ${closed ? html`<p class="muted closed-note">${t.closed} ${this.reopening ? t.replyReopens : t.closedNotesOnly}</p>` : nothing}
      <sb-composer
        .locale=${this.locale}
        .canned=${this.canned}
        ?notes-only=${closed && !this.reopening}
        ?reopens=${closed && this.reopening}
        .maxLength=${this.client.session?.maxTextLength ?? LIMITS.maxTextLength}
        @compose=${this.compose}
        @typing=${(e: CustomEvent<'composing' | 'paused'>) => this.client.typing(this.conversationId, e.detail)}
      ></sb-composer>
      <sb-transfer
        .locale=${this.locale}
        .teams=${this.directory}
        .self=${this.ownAddresses}
        .error=${this.transferError}
        @transfer-to=${(e: CustomEvent<TransferTarget>) => this.transferTo(e.detail)}
      ></sb-transfer>`;
  }
}
