// The element's documentation (attributes, events, parts, custom properties) is on the class.
import {
  type Address,
  type Attachment,
  type Continuation,
  LIMITS,
  type Message,
  type OutboxEntry,
  type Session,
  SwitchboardError,
  TypingTicker,
  actionOf,
  isBlankText,
  withCorrections,
} from '@switchboard/sdk';
import { LitElement, type PropertyDeclarations, type PropertyValues, html, nothing, svg } from 'lit';
import { Attachments } from './attachments.js';
import { ChatController, type ChatHost } from './chat-controller.js';
import { ContinueOn } from './continue-on.js';
import { isolate } from './continuation-address.js';
import { FileView } from './file-view.js';
import { type Locale, resolveLocale } from './i18n.js';
import { linkify } from './linkify.js';
import { styles } from './styles.js';
import { readableOn } from './colors.js';
import { openKey } from './launcher.js';
import { commentedOn, keepCommented } from './rating-comments.js';

/** The pre-chat and offline forms' fields that can be wrong, in the order they are shown. */
const DETAILS_FIELDS = ['email', 'message'] as const;
type DetailsField = (typeof DETAILS_FIELDS)[number];

export { readableOn };

export interface WidgetIdentity {
  userId: string;
  name?: string;
  email?: string;
  hash: string;
}

type Stage = 'chat' | 'prechat' | 'offline-form' | 'offline-sent';

/** Messages from one sender within this many ms share a header. */
const GROUP_WINDOW_MS = 5 * 60_000;
/** How far from its end the log may be scrolled and still count as following the conversation. */
const LOG_END_SLACK_PX = 48;
/** How long an announcement waits for the name of who wrote, at most. */
const NAME_WAIT_MS = 1000;
/** How close to the length limit the counter shows. */
const COUNTER_WITHIN = 500;
/** What `switchboard-error` says of an element without a site key (the script tag's `data-site-key`). */
const MISSING_SITE_KEY = "site-key: required; give the site key from the bridge's configuration (data-site-key on the widget.js script tag)";

/**
 * `<switchboard-chat>`: a chat launcher and panel for a website, rendering the state of the
 * headless SDK. Shadow DOM keeps host styles out; hosts theme it through `--switchboard-*` custom
 * properties and `::part`.
 *
 * @fires switchboard-ready - connected; `detail` is the session
 * @fires switchboard-open - the panel opened
 * @fires switchboard-close - the panel closed
 * @fires switchboard-message - a message from someone else arrived; `detail` is the message
 * @fires switchboard-unread - the unread count changed; `detail` is `{ count }`
 * @fires switchboard-error - the bridge refused something, or the element has no `site-key` (`bad_request`); `detail` is `{ code, message }`
 * @csspart launcher - the round button that opens the panel
 * @csspart badge - the unread count on the launcher
 * @csspart panel - the chat dialog
 * @csspart header - the panel's title bar
 * @csspart log - the message list
 * @csspart bubble - one message
 * @csspart composer - the message form
 * @csspart attach - the button that attaches files
 * @csspart files - the files of a message (image previews, file chips)
 * @csspart continue - "Continue on my IM": the action, its address and code forms, the banner while it continues
 * @csspart queue - the visitor's place in line while every agent is busy
 * @csspart rating - the rating question of a closed conversation and its five buttons
 * @cssprop --switchboard-accent - brand colour (launcher, header, own messages)
 * @cssprop --switchboard-on-accent - text on the brand colour
 * @cssprop --switchboard-background - panel background
 * @cssprop --switchboard-foreground - text colour
 * @cssprop --switchboard-muted - secondary text
 * @cssprop --switchboard-bubble - others' message background
 * @cssprop --switchboard-border - borders
 * @cssprop --switchboard-font - font family
 * @cssprop --switchboard-radius - panel corner radius
 * @cssprop --switchboard-offset - distance from the viewport's edge
 * @cssprop --switchboard-z-index - stacking order
 */
export class SwitchboardChat extends LitElement implements ChatHost {
  static override styles = styles;

  /** The reactive properties (lit's `static properties`: the same as its decorators, in fewer bytes). */
  static override properties: PropertyDeclarations = {
    siteKey: { attribute: 'site-key' },
    server: {},
    team: {},
    lang: {},
    theme: { reflect: true },
    position: { reflect: true },
    color: {},
    heading: {},
    prechat: {},
    sound: { type: Boolean },
    notifyTitle: { type: Boolean, attribute: 'notify-title' },
    rating: { type: Boolean },
    open: { type: Boolean, reflect: true },
    identity: { attribute: false },
    stage: { state: true },
    draft: { state: true },
    announcement: { state: true },
    formError: { state: true },
    fieldErrors: { state: true },
    sendError: { state: true },
    profileGiven: { state: true },
    dropping: { state: true },
    ratingNote: { state: true },
  };

  /** The site's public key, from the bridge's configuration. */
  siteKey = '';
  /** The bridge's base URL; defaults to this page's origin. */
  server = '';
  /** The team visitors talk to. */
  team = 'support';
  /** Interface language (BCP 47); defaults to the page's language. */
  override lang = '';
  /** `light`, `dark`, or `auto` (the system's preference). */
  theme: 'light' | 'dark' | 'auto' = 'auto';
  position: 'bottom-right' | 'bottom-left' = 'bottom-right';
  /** Brand colour (any CSS colour); text on it is chosen for contrast. */
  color = '';
  /** Title shown in the panel's header. */
  heading = '';
  /** Pre-chat form: `off`, `optional` (with Skip) or `required`. */
  prechat: 'off' | 'optional' | 'required' = 'off';
  /** Plays a short sound for new messages while the panel is closed or the tab hidden. */
  sound = false;
  /** Shows new messages in the tab title while the tab is hidden. */
  notifyTitle = false;
  /** Asks the visitor to rate a closed conversation (one question, 1 to 5, and a comment if they like). */
  rating = false;
  /** The comment on a rating being written. */
  ratingNote = '';
  open = false;
  /** A user the website vouches for (see `identify`). */
  identity: WidgetIdentity | null = null;

  private stage: Stage = 'chat';
  private draft = '';
  /** Counts `reset()`s: a send started before one does not bring its text back to whoever uses the device next. */
  private resets = 0;
  private announcement = '';
  /** Announcements being made, in order. */
  private announcing: Promise<void> = Promise.resolve();
  private formError = '';
  /** What is wrong with each field of the pre-chat or offline form, all of them at once. */
  private fieldErrors: Partial<Record<DetailsField, string>> = {};
  /** A message that never reached the outbox (its conversation could not be opened): said by the composer. */
  private sendError = '';
  private profileGiven = false;
  /** Files are dragged over the panel. */
  private dropping = false;

  private get input(): HTMLTextAreaElement | null {
    return this.renderRoot?.querySelector('textarea.input') ?? null;
  }

  private get log(): HTMLElement | null {
    return this.renderRoot?.querySelector('.log') ?? null;
  }

  private get launcher(): HTMLButtonElement | null {
    return this.renderRoot?.querySelector('.launcher') ?? null;
  }

  readonly chat = new ChatController(this, () => this.team);
  private readonly continueOn = new ContinueOn(this);
  private readonly attachments = new Attachments(this);
  private readonly fileView = new FileView(this);
  private previouslyFocused: Element | null = null;
  /** Opened before anything in the panel could take focus (the chat still connecting): the first field to render takes it. */
  private focusPending = false;
  /** The log is to show its end once this render is done (willUpdate: it showed it; the visitor sent something). */
  private followLog = false;
  /** The visitor's typing; before the conversation opens there is no one to tell, and the first key after it is said. */
  private readonly typing = new TypingTicker((state) => this.chat.typing(state));
  /** The page's own title while ours shows new messages; null when the title is the page's. */
  private originalTitle: string | null = null;
  private lastUnread = 0;

  get reading(): boolean {
    return this.open && document.visibilityState === 'visible';
  }

  /** A catalogue fetched on demand is there: render in its language. */
  private readonly localeArrived = () => this.requestUpdate();

  private get locale(): Locale {
    return resolveLocale(this.lang || document.documentElement.lang || navigator.language, this.localeArrived);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisibility);
    document.addEventListener('keydown', this.onDocumentKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisibility);
    document.removeEventListener('keydown', this.onDocumentKey);
  }

  protected override firstUpdated(): void {
    // The launcher paints first; the socket opens after.
    setTimeout(() => this.reconfigure(), 0);
    // A panel left open on another page of the site (or before a reload) opens again.
    if (this.siteKey && remembered(() => sessionStorage.getItem(openKey(this.siteKey)))) this.open = true;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // A log showing its end follows what this render adds (a message, the history arriving after a
    // reload); one the visitor scrolled up in stays where they read.
    if (this.atLogEnd()) this.followLog = true;
    if (this.hasUpdated && (changed.has('siteKey') || changed.has('server') || changed.has('identity') || changed.has('team'))) this.reconfigure();
    if (changed.has('color')) this.applyColor();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('open') && this.siteKey) {
      const key = openKey(this.siteKey);
      remembered(() => (this.open ? sessionStorage.setItem(key, '1') : sessionStorage.removeItem(key)));
    }
    if (changed.has('open')) {
      // However it changed (the launcher, Escape, show(), hide(), toggle(), the property, a panel
      // left open before a reload): the page hears it once per change.
      if (this.open !== (changed.get('open') ?? false)) this.fire(this.open ? 'switchboard-open' : 'switchboard-close', null);
      if (this.open) {
        this.chat.markRead();
        // Focus inside this element shows on the document as the host itself: remember the real one.
        const active = (this.getRootNode() as Document | ShadowRoot).activeElement;
        this.previouslyFocused = active === this ? (this.shadowRoot?.activeElement ?? this.launcher ?? null) : active;
        this.focusPending = true;
        void this.updateComplete.then(() => {
          this.scrollToEnd();
          this.focusInside();
        });
      } else if (changed.get('open') === true) {
        this.focusPending = false;
        const back = this.previouslyFocused instanceof HTMLElement && this.previouslyFocused.isConnected ? this.previouslyFocused : this.launcher;
        back?.focus();
      }
    }
    if (this.focusPending && this.open && !changed.has('open')) void this.updateComplete.then(() => this.focusInside());
    if (this.followLog) {
      this.followLog = false;
      this.scrollToEnd();
    }
    if (this.chat.unread !== this.lastUnread) {
      this.lastUnread = this.chat.unread;
      this.fire('switchboard-unread', { count: this.chat.unread });
    }
  }

  /**
   * Moves focus to the panel's first field once one is there, unless the visitor moved it
   * elsewhere meanwhile (it is left where they put it). Focus still on what had it when the panel
   * opened (a page's "Chat with us" button calling `Switchboard.open()`) moves in.
   */
  private focusInside(): void {
    if (!this.focusPending || !this.open) return;
    const active = (this.getRootNode() as Document | ShadowRoot).activeElement;
    if (active && active !== document.body && active !== this && !this.contains(active) && active !== this.previouslyFocused) {
      this.focusPending = false;
      return;
    }
    const target = this.shadowRoot?.querySelector<HTMLElement>('[autofocus], textarea.input, input:not([type="file"])') ?? this.input;
    target?.focus();
    // Not rendered yet, or not focusable yet (a field still hidden): the next render tries again.
    if (target && this.shadowRoot?.activeElement === target) this.focusPending = false;
  }

  private reconfigure(fresh = false): void {
    this.attachments.clear(); // uploads into the previous session's conversation
    if (!this.siteKey) {
      this.chat.configure(null);
      // Nothing to connect with: unavailable, as a page the bridge refused, and the page is told why.
      const missing = new SwitchboardError({ code: 'bad_request', message: MISSING_SITE_KEY });
      this.chat.refusal = missing;
      this.onError(missing);
      return;
    }
    const url = this.server || location.origin;
    this.chat.configure({ url, siteKey: this.siteKey, ...(this.identity ? { identity: this.identity } : {}) }, { fresh });
    this.profileGiven = Boolean(this.identity);
  }

  private applyColor(): void {
    // A value that is no CSS colour (a typo) would leave the launcher transparent: the default stays.
    if (!this.color || !CSS.supports('color', this.color)) {
      this.style.removeProperty('--switchboard-accent');
      this.style.removeProperty('--switchboard-on-accent');
      return;
    }
    this.style.setProperty('--switchboard-accent', this.color);
    this.style.setProperty('--switchboard-on-accent', readableOn(this.color));
  }

  // --- JS API ---------------------------------------------------------------------------------

  show(): void {
    this.open = true;
  }

  hide(): void {
    this.open = false;
  }

  toggle(): void {
    this.open = !this.open;
  }

  /** Switches to a user the website vouches for (after its login). */
  identify(identity: WidgetIdentity): void {
    this.identity = identity;
  }

  /** Forgets the visitor on this device (e.g. on logout) and starts afresh. */
  reset(): void {
    this.resets += 1;
    this.chat.client?.forget();
    this.continueOn.forget();
    this.sendError = '';
    this.draft = '';
    this.identity = null;
    this.stage = 'chat';
    this.profileGiven = false;
    this.reconfigure(true);
  }

  // --- ChatHost -------------------------------------------------------------------------------

  onSession(session: Session): void {
    this.fire('switchboard-ready', session);
    this.chat.client?.updateProfile({ pageUrl: location.href }).catch(() => undefined);
  }

  onIncoming(message: Message): void {
    const files = (message.attachments ?? []).map((file) => file.name);
    const said = [message.text.slice(0, 300), ...files].filter(Boolean).join(' · ');
    // Said once: the first message of an agent waits (briefly) for their name, in the order messages came.
    this.announcing = this.announcing
      .then(() => this.chat.nameSoon(message.from, NAME_WAIT_MS))
      .then((name) => {
        this.announcement = `${name ?? this.locale.t.agent}: ${said}`;
      });
    this.fire('switchboard-message', message);
    if (!this.reading) {
      if (this.sound) beep();
      if (this.notifyTitle && document.visibilityState === 'hidden') {
        this.originalTitle ??= document.title;
        document.title = `(${this.chat.unread}) ${this.locale.t.newMessageTitle}${this.originalTitle ? ` · ${this.originalTitle}` : ''}`;
      }
    }
  }

  /** Whether the log shows its last line (within a line's height), or is not there to scroll. */
  private atLogEnd(): boolean {
    const log = this.log;
    return !log || log.scrollHeight - log.scrollTop - log.clientHeight <= LOG_END_SLACK_PX;
  }

  onContinuation(continuation: Continuation): void {
    this.continueOn.changed(continuation, this.locale);
  }

  onQueuePosition(position: number): void {
    const { t } = this.locale;
    // While nobody is there, "an agent will be with you shortly" would promise what the header does not.
    if (position > 0 && this.chat.availability?.available === false) return;
    this.announcement = position > 0 ? t.queuePosition(position) : t.agentJoined;
  }

  announce(text: string): void {
    this.announcement = text;
  }

  onError(error: SwitchboardError): void {
    this.fire('switchboard-error', { code: error.code, message: error.message });
  }

  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') {
      if (this.originalTitle !== null) {
        document.title = this.originalTitle;
        this.originalTitle = null;
      }
      if (this.open) this.chat.markRead();
      this.requestUpdate();
    }
  };

  private readonly onDocumentKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && this.open && event.composedPath().includes(this)) this.closePanel();
  };

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  // --- actions --------------------------------------------------------------------------------

  private closePanel(): void {
    this.open = false;
  }

  private onLauncher(): void {
    this.open = !this.open;
  }

  private submit(event?: Event): void {
    event?.preventDefault();
    const text = this.draft;
    const files = this.attachments.ready;
    if (!this.canSend()) return;
    this.draft = '';
    this.attachments.clear();
    for (const file of files) this.sentFiles.set(file.id, file);
    this.typing.stop();
    this.sendError = '';
    // What the visitor sends shows, wherever they had scrolled to, and the log follows from there.
    this.followLog = true;
    const resets = this.resets;
    const intoKept = this.chat.showingKept;
    this.chat.send(text, files).catch((error: SwitchboardError) => {
      // Forgotten with the visitor (a logout): neither back in the composer nor reported.
      if (this.resets !== resets) return;
      // No conversation could be opened for it (no answer, the bridge draining, a wrong team), or
      // the one this tab kept would not take it (the bridge refused the device's token on its
      // return): it is in no outbox, so it goes back in the composer, said not sent, for the visitor
      // to send again.
      if (!this.chat.conversation || intoKept) {
        if (this.draft === '') this.draft = text;
        this.sendError = this.locale.t.failed;
      }
      this.onError(error);
    });
  }

  /** Text or uploaded files (no upload still running), within the length limit, while online or kept until it is. */
  private canSend(): boolean {
    const hasContent = !isBlankText(this.draft) || this.attachments.ready.length > 0;
    const deliverable = this.chat.state === 'online' || this.queuesWhileOffline;
    return hasContent && this.attachments.settled && deliverable && [...this.draft].length <= this.maxTextLength;
  }

  /** The longest text the bridge takes: the protocol's, or the lower one its session says. */
  private get maxTextLength(): number {
    return this.chat.session?.maxTextLength ?? LIMITS.maxTextLength;
  }

  /**
   * A message sent while offline waits in the SDK's outbox and goes out on reconnect, when there is
   * a conversation to put it in; a first message needs the bridge to open one. Not for a page the
   * bridge refused for good: it never reconnects.
   */
  private get queuesWhileOffline(): boolean {
    return this.chat.canQueue && !this.chat.refusal;
  }

  // --- files ----------------------------------------------------------------------------------

  /** Files sent from this page, by id: a queued message shows their names. */
  private readonly sentFiles = new Map<string, Attachment>();

  focusComposer(): void {
    void this.updateComplete.then(() => this.input?.focus());
  }

  /** Files chosen, pasted or dropped: uploaded at once, or, offline, once the connection is back. */
  private attach(files: FileList | null | undefined): void {
    if (!files || files.length === 0) return;
    this.attachments.add(files, this.locale);
  }

  private onFileChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.attach(input.files);
    input.value = '';
  }

  /**
   * An image (or any file) pasted into the composer is attached. Pasted text stays text, also when
   * the clipboard holds a picture of it too (as word processors put there).
   */
  private onPaste(event: ClipboardEvent): void {
    const data = event.clipboardData;
    const files = data?.files;
    if (!files || files.length === 0 || data.types.includes('text/plain')) return;
    event.preventDefault();
    this.attach(files);
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    // Taken, not left to the browser (it would open the file in the page's place).
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    this.dropping = true;
  }

  private onDrop(event: DragEvent): void {
    if (!this.dropping) return;
    event.preventDefault();
    this.dropping = false;
    this.attach(event.dataTransfer?.files);
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  private onInput(event: InputEvent): void {
    this.draft = (event.target as HTMLTextAreaElement).value;
    this.sendError = '';
    this.typing.key();
  }

  private async submitDetails(event: SubmitEvent, offline: boolean): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const field = (key: string) => {
      const value = data.get(key);
      return typeof value === 'string' ? value : '';
    };
    const name = field('name').trim();
    const email = field('email').trim();
    const message = field('message');
    const { t } = this.locale;
    const errors: Partial<Record<DetailsField, string>> = {};
    if ((offline || this.prechat === 'required') && !email) errors.email = `${t.email}: ${t.required}`;
    else if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) errors.email = t.invalidEmail;
    if (offline && !message.trim()) errors.message = `${t.messageLabel}: ${t.required}`;
    this.fieldErrors = errors;
    this.formError = '';
    const first = DETAILS_FIELDS.find((key) => errors[key] !== undefined);
    // The first field to mend takes focus, and its error is read with it (aria-describedby).
    if (first) return void this.updateComplete.then(() => form.querySelector<HTMLElement>(`[name="${first}"]`)?.focus());
    try {
      if (name || email) await this.chat.client?.updateProfile({ ...(name ? { name } : {}), ...(email ? { email } : {}) });
      this.profileGiven = true;
      if (offline) {
        await this.chat.send(message);
        this.stage = 'offline-sent';
      } else {
        this.stage = 'chat';
      }
    } catch (error) {
      this.formError = (error as Error).message;
    }
  }

  /** Loads the page before the earliest message shown, keeping in view what the visitor was reading. */
  private readonly showEarlier = async (): Promise<void> => {
    const log = this.log;
    const fromEnd = log ? log.scrollHeight - log.scrollTop : 0;
    try {
      await this.chat.loadEarlier();
    } catch (error) {
      return this.onError(error as SwitchboardError);
    }
    await this.updateComplete;
    if (!log) return;
    log.scrollTop = log.scrollHeight - fromEnd;
    // The button is gone once the start is reached: focus stays in the log, not on the page.
    if (!this.chat.hasEarlier) log.focus();
  };

  private scrollToEnd(): void {
    const log = this.log;
    if (log) log.scrollTop = log.scrollHeight;
  }

  // --- rendering ------------------------------------------------------------------------------

  /** Which view the panel shows now. */
  private currentStage(): Stage {
    if (this.stage === 'offline-sent') return this.stage;
    const { conversation, pending } = this.chat;
    const fresh = !conversation && pending.length === 0 && !this.chat.carriedShown;
    // Nobody to answer a new message: the offline form, also over a closed conversation found from
    // before (one closed while the visitor watches keeps its notice and rating).
    const startsAnew = fresh || (this.chat.restoredClosed && conversation?.state === 'closed' && pending.length === 0);
    if (startsAnew && this.chat.availability && !this.chat.availability.available && this.chat.state === 'online') return 'offline-form';
    if (fresh && this.prechat !== 'off' && !this.profileGiven) return 'prechat';
    return 'chat';
  }

  protected override render() {
    const locale = this.locale;
    const { t } = locale;
    const unread = this.chat.unread;
    return html`
      <div dir=${locale.dir} lang=${locale.tag}>
        ${this.open ? this.renderPanel(locale) : nothing}
        <button
          class="launcher"
          part="launcher"
          aria-label=${this.open ? t.closeChat : unread > 0 ? `${t.openChat}, ${t.unread(unread)}` : t.openChat}
          aria-expanded=${this.open ? 'true' : 'false'}
          aria-controls="panel"
          @click=${this.onLauncher}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            ${
              this.open
                ? svg`<path d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z" />`
                : svg`<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" />`
            }
          </svg>
          ${unread > 0 && !this.open ? html`<span class="badge" part="badge" aria-hidden="true">${unread > 99 ? '99+' : unread}</span>` : nothing}
        </button>
      </div>
    `;
  }

  private renderPanel(locale: Locale) {
    const { t } = locale;
    const chat = this.chat;
    // Refused for good (a wrong site key, a page the site does not list): no "connecting" forever;
    // a team the bridge does not have is not said to be online.
    const availability =
      chat.refusal || (chat.state === 'online' && chat.teamUnknown)
        ? t.errorTitle
        : chat.state !== 'online'
          ? t.connecting
          : chat.availability?.available === false
            ? this.repliesByEmail
              ? t.away
              : t.awayLater
            : t.online;
    const stage = this.currentStage();
    return html`
      <section
        id="panel"
        class="panel"
        part="panel"
        role="dialog"
        aria-modal="false"
        aria-labelledby="title"
        @dragover=${stage === 'chat' ? this.onDragOver : nothing}
        @drop=${this.onDrop}
      >
        <header part="header">
          <div class="titles">
            <h2 id="title">${this.heading || t.title}</h2>
            <p>${availability}</p>
          </div>
          <button class="icon-button" aria-label=${t.closeChat} @click=${this.closePanel}>×</button>
        </header>
        ${
          (chat.state !== 'online' && chat.client) || chat.refusal
            ? html`<div class="banner" role="status">${chat.refusal ? t.errorTitle : this.queuesWhileOffline ? t.offlineBanner : t.offlineBannerFirst}</div>`
            : nothing
        }
        ${stage === 'prechat' ? this.renderDetailsForm(locale, false) : nothing} ${stage === 'offline-form' ? this.renderDetailsForm(locale, true) : nothing}
        ${stage === 'chat' || stage === 'offline-sent' ? this.renderConversation(locale, stage) : nothing}
        <div class="sr-only" aria-live="polite">${this.announcement}</div>
        ${this.dropping ? html`<div class="drop-zone" @dragleave=${() => (this.dropping = false)}>${t.dropFiles}</div>` : nothing}
      </section>
    `;
  }

  private renderConversation(locale: Locale, stage: Stage) {
    const { t } = locale;
    const chat = this.chat;
    const messages = chat.messages;
    const pending = chat.pending;
    const length = [...this.draft].length;
    // Past the limit the counter says by how much, and is why the message field is invalid and Send is off.
    const max = this.maxTextLength;
    const over = Math.max(0, length - max);
    // Files chosen offline wait on their chips for the connection; a page refused for good takes none.
    const canAttach = !chat.refusal;
    return html`
      <div class="log" part="log" role="log" tabindex="0" aria-live="off" aria-label=${this.heading || t.title}>
        ${chat.hasEarlier ? html`<button type="button" class="link-button earlier" part="earlier" @click=${this.showEarlier}>${t.earlier}</button>` : nothing}
        ${messages.length === 0 && pending.length === 0 && !chat.carriedShown ? html`<p class="empty">${t.emptyState}</p>` : nothing}
        ${chat.carriedShown ? this.renderMessages(chat.carriedShown.messages, locale, chat.carriedShown.self) : nothing}
        ${this.renderMessages(messages, locale)} ${pending.map((entry) => this.renderPending(entry, locale))}
        ${
          chat.conversation?.state === 'closed'
            ? html`<p class="notice">${t.closed}</p>
                ${this.renderRating(chat.conversation.id, chat.conversation.rating, locale)}`
            : nothing
        }
        ${stage === 'offline-sent' ? html`<p class="notice" role="status">${this.repliesByEmail ? t.offlineThanks : t.offlineThanksLater}</p>` : nothing}
        ${
          chat.queuePosition && chat.availability?.available !== false
            ? html`<p class="notice queue" part="queue">${t.queuePosition(chat.queuePosition)}</p>`
            : nothing
        }
      </div>
      <div class="typing" aria-live="polite">${chat.othersTyping ? t.typing : ''}</div>
      ${this.continueOn.render(locale)}
      ${
        length > 0 && length >= max - COUNTER_WITHIN
          ? html`<div id="counter" class="counter ${over > 0 ? 'over' : ''}" aria-live="polite">
              ${over > 0 ? t.charactersOver(over) : t.charactersLeft(max - length)}
            </div>`
          : nothing
      }
      ${this.attachments.render(locale)} ${this.sendError ? html`<p class="field-error" part="send-error" role="alert">${this.sendError}</p>` : nothing}
      <form class="composer" part="composer" @submit=${this.submit}>
        <button
          type="button"
          class="icon-button attach"
          part="attach"
          aria-label=${t.attach}
          ?disabled=${!canAttach}
          @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input.file-input')?.click()}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z" />
          </svg>
        </button>
        <textarea
          class="input"
          rows="1"
          aria-label=${t.messageLabel}
          placeholder=${t.placeholder}
          .value=${this.draft}
          aria-invalid=${over > 0 ? 'true' : 'false'}
          aria-describedby=${over > 0 ? 'counter' : nothing}
          ?disabled=${Boolean(chat.refusal)}
          @input=${this.onInput}
          @keydown=${this.onKeydown}
          @paste=${this.onPaste}
        ></textarea>
        <button class="send" type="submit" aria-describedby=${over > 0 ? 'counter' : nothing} ?disabled=${!this.canSend()}>${t.send}</button>
        <input class="file-input" type="file" multiple hidden tabindex="-1" @change=${this.onFileChosen} />
      </form>
    `;
  }

  /** Messages grouped by sender; `self` is the visitor's address they were written with (before signing in, for those carried). */
  private renderMessages(messages: readonly Message[], locale: Locale, self?: Address) {
    const { t } = locale;
    let previous: Message | undefined;
    // The visitor's own words are one author, before and after signing in.
    const author = (from: Address) => (from === self || this.chat.isOwn(from) ? 'self' : from);
    return withCorrections(messages).map(({ message, edited, deleted }) => {
      const mine = author(message.from) === 'self';
      const startsGroup =
        !previous || author(previous.from) !== author(message.from) || Date.parse(message.sentAt) - Date.parse(previous.sentAt) > GROUP_WINDOW_MS;
      previous = message;
      const time = locale.time(new Date(message.sentAt));
      const name = mine ? t.you : (this.chat.nameOf(message.from) ?? t.agent);
      const body = this.renderBody(message, locale, { edited, deleted, actor: mine ? undefined : name });
      // The bubble keeps white space: its content stays on the template's one line.
      return html`
        ${startsGroup ? html`<div class="group-head ${mine ? 'mine' : ''}">${name} · <time datetime=${message.sentAt}>${time}</time></div>` : nothing}
        <div class="bubble ${mine ? 'mine' : ''}" part="bubble" data-seq=${message.seq}>${body}</div>
        ${mine ? this.renderStatus(message, t) : nothing}
      `;
    });
  }

  /**
   * A message's text, then its files, then "edited" when a correction's text stands in its place;
   * or, taken back, only that (in one line of the template: the bubble keeps white space).
   */
  private renderBody(
    { text, attachments }: Message,
    locale: Locale,
    { edited = false, deleted = false, actor }: { edited?: boolean; deleted?: boolean; actor?: string | undefined } = {},
  ) {
    if (deleted) return html`<span class="deleted">${locale.t.deleted}</span>`;
    // An action (`/me waves`, an IRC agent's CTCP ACTION or an XMPP client's XEP-0245 line) reads as one: "* Alice waves".
    const action = actor !== undefined ? actionOf(text) : undefined;
    return [
      action !== undefined ? html`<em class="action">* ${actor} ${renderText(action)}</em>` : renderText(text),
      attachments && attachments.length > 0 ? this.fileView.render(attachments, locale) : nothing,
      edited ? html` <span class="edited">${locale.t.edited}</span>` : nothing,
    ];
  }

  /** A queued message's files, by name when this page sent them. */
  private renderQueuedFiles(ids: string[] | undefined) {
    const names = (ids ?? []).map((id) => this.sentFiles.get(id)?.name).filter(Boolean);
    return names.length > 0 ? html`<div class="files queued">${names.map((name) => html`<span class="file-chip">${name}</span>`)}</div>` : nothing;
  }

  /**
   * Under a message of the visitor's: its status; a failed one says why when this page was told,
   * and offers to send its text again (the recipient's network refused it or gave up).
   */
  private renderStatus(message: Message, t: Locale['t']) {
    const failure = message.status === 'failed' ? this.chat.failureOf(message.id) : undefined;
    return html`<div class="status ${message.status === 'failed' ? 'failed' : ''}">
      <span>${statusLabel(message, t)}${failure ? `: ${failure.message}` : ''}${message.sentFrom ? ` · ${t.sentFrom(isolate(message.sentFrom))}` : ''}</span>
      ${
        this.chat.canSendAgain(message)
          ? html`<button
              class="link-button"
              data-send-again=${message.id}
              @click=${() => this.chat.sendAgain(message).catch((error: SwitchboardError) => this.onError(error))}
            >
              ${t.retry}
            </button>`
          : nothing
      }
    </div>`;
  }

  /**
   * One question after closing: how was it, 1 to 5 (buttons in a labelled group). Once rated, a
   * comment may follow (optional, as Chatwoot's and Intercom's ratings take one): sent with the
   * rating again, which it then goes with.
   */
  private renderRating(conversationId: string, given: number | undefined, { t }: Locale) {
    if (!this.rating) return nothing;
    if (given !== undefined) {
      const thanks = html`<p class="notice" role="status">${t.rateThanks}</p>`;
      if (commentedOn(this.siteKey, conversationId)) return thanks;
      return html`${thanks}
        <form class="rating-comment" part="rating-comment" @submit=${(event: SubmitEvent) => this.sendRatingNote(event, given)}>
          <label for="rating-comment">${t.rateComment}</label>
          <textarea
            id="rating-comment"
            rows="2"
            maxlength=${LIMITS.maxRatingCommentLength}
            .value=${this.ratingNote}
            @input=${(event: InputEvent) => (this.ratingNote = (event.target as HTMLTextAreaElement).value)}
          ></textarea>
          <button type="submit" ?disabled=${this.ratingNote.trim() === ''}>${t.rateCommentSend}</button>
        </form>`;
    }
    return html`<div class="rating" part="rating" role="group" aria-label=${t.ratePrompt}>
      <p>${t.ratePrompt}</p>
      ${[1, 2, 3, 4, 5].map((n) => html`<button type="button" aria-label=${t.rateOption(n)} @click=${() => this.chat.rate(n).catch((error: SwitchboardError) => this.onError(error))}>${'★'.repeat(n)}</button>`)}
    </div>`;
  }

  /** Sends the comment on the rating given; the form goes once the bridge took it. */
  private async sendRatingNote(event: SubmitEvent, rating: number): Promise<void> {
    event.preventDefault();
    const comment = this.ratingNote.trim();
    const conversationId = this.chat.conversation?.id;
    if (!comment || !conversationId) return;
    try {
      await this.chat.rate(rating, comment);
      keepCommented(this.siteKey, conversationId);
      this.ratingNote = '';
    } catch (error) {
      this.onError(error as SwitchboardError);
    }
  }

  private renderPending(entry: OutboxEntry, locale: Locale) {
    const { t } = locale;
    const failed = entry.state === 'failed';
    return html`
      <div class="bubble mine" part="bubble" data-pending=${entry.clientId}>${renderText(entry.text)}${this.renderQueuedFiles(entry.attachments)}</div>
      <div class="status ${failed ? 'failed' : ''}">
        ${
          failed
            ? html`<span>${t.failed}${entry.error ? `: ${entry.error.message}` : ''}</span>
                <button class="link-button" @click=${() => this.chat.client?.retry(entry.clientId).catch(() => undefined)}>${t.retry}</button>
                <button class="link-button" @click=${() => this.chat.client?.discard(entry.clientId)}>${t.discard}</button>`
            : html`<span>${t.sending}</span>`
        }
      </div>
    `;
  }

  /** Whether the bridge mails an agent's reply to a visitor who left: what the offline wording may promise. */
  private get repliesByEmail(): boolean {
    return this.chat.session?.repliesByEmail === true;
  }

  private renderDetailsForm(locale: Locale, offline: boolean) {
    const { t } = locale;
    const emailRequired = offline || this.prechat === 'required';
    const errors = this.fieldErrors;
    // One scroller for the intro and the form: a form taller than the panel (its errors shown, a
    // small screen) scrolls to its button instead of being cut off.
    return html`<div class="details-stage">
      <div class="log" part="log">
        <p>${offline ? (this.repliesByEmail ? t.offlineIntro : t.offlineIntroLater) : t.prechatIntro}</p>
      </div>
      <form class="details" @submit=${(event: SubmitEvent) => this.submitDetails(event, offline)} novalidate>
        <label>${t.name} <span class="sr-only">${t.optional}</span><input name="name" autocomplete="name" maxlength="200" /></label>
        <label
          >${t.email} ${emailRequired ? nothing : html`<span>${t.optional}</span>`}
          <input
            name="email"
            type="email"
            autocomplete="email"
            maxlength="320"
            ?required=${emailRequired}
            aria-required=${emailRequired ? 'true' : 'false'}
            aria-invalid=${errors.email ? 'true' : 'false'}
            aria-describedby=${errors.email ? 'email-error' : nothing}
        /></label>
        ${errors.email ? html`<p id="email-error" class="field-error">${errors.email}</p>` : nothing}
        ${
          offline
            ? html`<label
                  >${t.messageLabel}<textarea
                    name="message"
                    rows="3"
                    required
                    aria-required="true"
                    aria-invalid=${errors.message ? 'true' : 'false'}
                    aria-describedby=${errors.message ? 'message-error' : nothing}
                  ></textarea></label
                >${errors.message ? html`<p id="message-error" class="field-error">${errors.message}</p>` : nothing}`
            : nothing
        }
        ${this.formError ? html`<p class="field-error" role="alert">${this.formError}</p>` : nothing}
        <div class="actions">
          ${!offline && this.prechat === 'optional' ? html`<button type="button" class="secondary" @click=${() => (this.profileGiven = true)}>${t.skip}</button>` : nothing}
          <button type="submit" class="send" ?disabled=${this.chat.state !== 'online'}>${offline ? t.leaveMessage : t.start}</button>
        </div>
      </form>
    </div>`;
  }
}

/**
 * Text as text: only http(s)/mailto links become anchors; Lit escapes everything else. A link is
 * isolated left-to-right (`dir="ltr"`), so bidi controls in the text around it cannot reorder it.
 */
function renderText(text: string) {
  return linkify(text).map((part) =>
    part.kind === 'link' ? html`<a href=${part.href} dir="ltr" target="_blank" rel="noopener noreferrer">${part.text}</a>` : part.text,
  );
}

function statusLabel(message: Message, t: Locale['t']): string {
  switch (message.status) {
    case 'delivered':
      return t.delivered;
    case 'read':
      return t.read;
    case 'failed':
      return t.failed;
    default:
      return t.sent;
  }
}

/** Runs a storage access; storage may be blocked (privacy settings, sandboxed frames). */
function remembered<T>(access: () => T): T | undefined {
  try {
    return access();
  } catch {
    return undefined;
  }
}

let audio: AudioContext | undefined;
/** A short, quiet two-tone chime (no audio file to load). */
function beep(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, frequency] of [660, 880].entries()) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.06, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.18);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(now + i * 0.12);
      oscillator.stop(now + i * 0.12 + 0.2);
    }
  } catch {
    // No audio (autoplay policy, no device): the badge and title still tell.
  }
}

// Guarded: the npm package and the /widget.js bundle may both load on one page.
if (!customElements.get('switchboard-chat')) customElements.define('switchboard-chat', SwitchboardChat);

declare global {
  interface HTMLElementTagNameMap {
    'switchboard-chat': SwitchboardChat;
  }
}
