/**
 * The console's shell: signs the agent in (or takes a client it is given), connects, and lays out
 * the inbox, the open conversation (or the reports) and the customer panel, one column at a time
 * on a phone. It owns what spans them: the keyboard shortcuts, the title badge and desktop
 * notifications, the theme, the locale and the connection state.
 */
import { type ConnectionState, type SwitchboardClient, createClient } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import './command-box.js';
import './outreach-dialog.js';
import type { OutreachDialog } from './outreach-dialog.js';
import type { CommandBox } from './command-box.js';
import { ConsoleElement } from './console-element.js';
import './conversation-view.js';
import type { ConversationView } from './conversation-view.js';
import './customer-panel.js';
import { DeskApi, type DirectoryTeam, type InboxItem } from './desk-api.js';
import { type DeskCommand, bridgeLine } from './desk-commands.js';
import { consoleLocale } from './i18n.js';
import './inbox-list.js';
import type { InboxList } from './inbox-list.js';
import { Notifier } from './notifier.js';
import './presence-toggle.js';
import './reports-view.js';
import { type ConsoleSession, type Credentials, SessionApi } from './session-api.js';
import { shortcutOf } from './shortcuts.js';
import './shortcuts-overlay.js';
import type { ShortcutsOverlay } from './shortcuts-overlay.js';
import { DEMO_IDENTITY } from './sign-in.js';
import { THEMES, type Theme, applyTheme, savedTheme } from './theme.js';
import { agentNames, ownAddresses } from './own-addresses.js';

type Pane = 'list' | 'conversation' | 'reports';

@customElement('sb-console')
export class ConsoleApp extends ConsoleElement {
  /** The bridge (default: this page's origin, where the bridge serves the console). */
  @property() server = location.origin;
  /** The console's HTTP API root (default: `api/` beside this module, `/agent/api/` as the bridge serves it). */
  @property({ attribute: 'api-base' }) apiBase = new URL('api/', import.meta.url).href;
  /** A connected agent client to use instead of signing in (embedding, tests). */
  @property({ attribute: false }) client: SwitchboardClient | undefined;
  @property() override lang = '';
  @state() private phase: 'loading' | 'sign-in' | 'ready' = 'loading';
  @state() private session: ConsoleSession | undefined;
  @state() private connection: ConnectionState = 'offline';
  @state() private connectionReason = '';
  @state() private selected = '';
  /** The message a search hit opened the selected conversation at (0: its end). */
  @state() private focusSeq = 0;
  @state() private item: InboxItem | undefined;
  /** The open conversation's customer, as its view found out. */
  @state() private customer = '';
  @state() private pane: Pane = 'list';
  @state() private theme: Theme = savedTheme();
  @state() private loadError = '';
  @state() private teams: DirectoryTeam[] = [];
  @state() private commandError = '';
  /** The bridge's answer to the last `/` command of the box. */
  @state() private commandAnswer = '';
  @query('sb-inbox') private inbox!: InboxList | null;
  /** Signed in by the form just now: the form and its focus are gone, so the focus goes to the inbox's view. */
  private focusInbox = false;
  @query('sb-conversation') private conversation!: ConversationView | null;
  @query('sb-shortcuts') private shortcuts!: ShortcutsOverlay;
  @query('sb-command-box') private commandBox!: CommandBox;
  @query('sb-outreach') private outreach!: OutreachDialog;
  private desk: DeskApi | undefined;
  private api!: SessionApi;
  private notifier!: Notifier;
  private stops: (() => void)[] = [];
  private signedInWithSession = false;
  private commandRunning = false;

  private readonly onKeydown = (event: KeyboardEvent) => this.shortcut(event);

  override connectedCallback(): void {
    super.connectedCallback();
    applyTheme(this.theme);
    this.api = new SessionApi(new URL(this.apiBase));
    document.addEventListener('keydown', this.onKeydown);
    if (this.client) this.use(this.client);
    else void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('keydown', this.onKeydown);
    for (const stop of this.stops.splice(0)) stop();
  }

  protected override updated(): void {
    const inbox = this.focusInbox && this.phase === 'ready' ? this.inbox : null;
    if (!inbox) return;
    this.focusInbox = false;
    void inbox.updateComplete.then(() => inbox.querySelector<HTMLElement>('.tabs [aria-pressed="true"]')?.focus());
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('lang')) {
      this.locale = consoleLocale(this.lang || navigator.language);
      this.notifier = new Notifier(this.locale.t.appTitle, this.locale.t.newMessageFrom, () => {
        return this.selfAddresses();
      });
      this.setAttribute('dir', this.locale.dir);
      document.title = this.locale.t.appTitle;
    }
    if (changed.has('client') && this.client && this.client !== changed.get('client') && this.isConnected) this.use(this.client);
  }

  // --- signing in and connecting ------------------------------------------------------------------

  private async start(): Promise<void> {
    try {
      this.session = await this.api.session();
    } catch (error) {
      this.loadError = (error as Error).message;
      this.phase = 'sign-in';
      return;
    }
    const { siteKey, agent } = this.session;
    if (this.session.signedIn && siteKey) return this.connect({ siteKey, agentSession: true, ...(agent ? { agentUserId: agent.userId } : {}) });
    const vouched = await this.identityAgain(this.session);
    if (vouched) this.connect(vouched);
    else this.phase = 'sign-in';
  }

  /**
   * Signed in by the website (or the demo) before on this device and not signed out: ask the same
   * address again, so a reload keeps the agent in. Only an address the bridge still offers; a
   * refusal (the website's own session ended) forgets it and shows the sign-in.
   */
  private async identityAgain(session: ConsoleSession): Promise<Credentials | undefined> {
    const url = this.api.rememberedIdentity();
    if (!url) return undefined;
    const offered =
      (session.methods.includes('identity') && url === session.identityUrl) || (session.methods.includes('demo') && url.startsWith(DEMO_IDENTITY));
    if (offered) {
      try {
        return await this.api.identity(url);
      } catch {
        // fall through: forgotten below
      }
    }
    this.api.forgetIdentity();
    return undefined;
  }

  private connect(credentials: Credentials): void {
    this.signedInWithSession = 'agentSession' in credentials;
    this.use(createClient({ url: this.server, ...credentials }));
  }

  private use(client: SwitchboardClient): void {
    if (this.desk?.client === client) return;
    for (const stop of this.stops.splice(0)) stop();
    this.client = client;
    this.desk = new DeskApi(client);
    this.connection = client.state;
    this.stops.push(
      client.on('state', (state, reason) => {
        this.connection = state;
        this.connectionReason = reason ?? '';
      }),
      // The session cookie expired or was revoked: sign in again.
      client.on('error', (error) => {
        if (error.code === 'unauthorized' && this.signedInWithSession) void this.signOut();
      }),
      this.desk.onInboxItem((item) => {
        this.notifier.changed(item, this.selected);
        if (item.id === this.selected) this.item = item;
      }),
    );
    this.phase = 'ready';
    // The agent's other addresses (and the team's names) come with the directory.
    void client.ready().then(
      () => this.loadTeams(),
      () => undefined,
    );
  }

  /** Every address of the signed-in agent (own-addresses.ts): their session's alone until the directory came. */
  private selfAddresses(): string[] {
    return ownAddresses(this.teams, this.client?.session?.self);
  }

  private async signOut(): Promise<void> {
    this.api.forgetIdentity();
    if (this.signedInWithSession && this.session) await this.api.logout(this.session.csrfToken).catch(() => undefined);
    this.client?.disconnect();
    for (const stop of this.stops.splice(0)) stop();
    this.client = undefined;
    this.desk = undefined;
    this.selected = '';
    // The next agent at this browser sees nothing of the last one's, the title's count included.
    this.notifier.reset();
    this.phase = 'loading';
    await this.start();
  }

  // --- navigation -----------------------------------------------------------------------------

  /** Opens a conversation (from the inbox, a search result, a past conversation), at message `seq` when given. */
  async open(conversationId: string, seq = 0): Promise<void> {
    this.selected = conversationId;
    this.focusSeq = seq;
    this.item = this.inbox?.items.find((item) => item.id === conversationId);
    this.customer = this.item?.customer.address ?? '';
    this.pane = 'conversation';
    await this.updateComplete;
    // On a phone the list is gone: the focus goes to the conversation's heading.
    this.querySelector<HTMLElement>('#conversation-title')?.setAttribute('tabindex', '-1');
    if (matchMedia('(max-width: 699px)').matches) this.querySelector<HTMLElement>('#conversation-title')?.focus();
  }

  private async back(): Promise<void> {
    this.pane = 'list';
    await this.updateComplete;
    this.querySelector<HTMLElement>(`sb-inbox [data-conversation="${CSS.escape(this.selected)}"]`)?.focus();
  }

  private shortcut(event: KeyboardEvent): void {
    if (this.phase !== 'ready') return;
    const command = shortcutOf(event);
    if (!command) return;
    if (command === 'escape') {
      this.shortcuts?.close();
      return;
    }
    if (this.shortcuts?.open || this.conversation?.transferOpen || this.commandBox?.open || this.outreach?.open) return;
    event.preventDefault();
    switch (command) {
      case 'next':
      case 'previous':
        return this.inbox?.step(command === 'next' ? 1 : -1);
      case 'next-unread':
        return this.inbox?.step(1, true);
      case 'reply':
        return this.conversation?.focusComposer();
      case 'claim':
        return void this.conversation?.claim();
      case 'close':
        return void this.conversation?.close();
      case 'command':
        return void this.showCommandBox();
      case 'outreach':
        return void this.showOutreach();
      case 'help':
        return void this.shortcuts.show();
      default:
        return;
    }
  }

  /** The directory (for the command box's completion and outreach's teams), asked again each time. */
  private loadTeams(): void {
    this.desk?.directory().then(
      (teams) => (this.teams = teams),
      () => undefined,
    );
  }

  /** The command box (:). */
  private async showCommandBox(): Promise<void> {
    this.commandError = '';
    this.commandAnswer = '';
    await this.commandBox.show();
    this.loadTeams();
  }

  /** A conversation started with a customer on their network (o). */
  private async showOutreach(): Promise<void> {
    await this.outreach.show();
    this.loadTeams();
  }

  /**
   * A command of the box: one of the bridge's (`/...`) is sent and its answer shown in the box;
   * any other is run by the open conversation as its button would.
   */
  private async runCommand(command: DeskCommand): Promise<void> {
    const { conversation, client } = this;
    const open = this.selected && conversation && this.pane !== 'reports' ? conversation : undefined;
    if (command.kind !== 'bridge' && !open) {
      this.commandError = this.locale.t.commandNeedsConversation;
      return;
    }
    // Enter pressed again while the command runs: once is what was meant (a note is not written twice).
    if (this.commandRunning || !client) return;
    this.commandRunning = true;
    this.commandError = '';
    this.commandAnswer = '';
    try {
      if (command.kind === 'bridge') this.commandAnswer = await client.command(bridgeLine(command.text, open ? this.selected : undefined));
      else {
        const failed = await open!.run(command);
        if (failed) this.commandError = failed;
        else this.commandBox.close();
      }
    } catch (error) {
      this.commandError = this.locale.t.actionFailed((error as Error).message);
    } finally {
      this.commandRunning = false;
    }
  }

  // --- rendering --------------------------------------------------------------------------------

  private renderTopbar() {
    const { t } = this.locale;
    const status = this.connection === 'online' ? '' : this.connection === 'connecting' ? t.connecting : t.offline(this.connectionReason);
    return html`<header class="topbar">
      <h1>${t.appTitle}</h1>
      <span class="connection muted" role="status">${status}</span>
      <sb-presence .locale=${this.locale} .client=${this.client}></sb-presence>
      <button
        type="button"
        class="reports-toggle"
        aria-pressed=${this.pane === 'reports' ? 'true' : 'false'}
        @click=${() => (this.pane = this.pane === 'reports' ? (this.selected ? 'conversation' : 'list') : 'reports')}
      >
        ${t.reports}
      </button>
      <label
        >${t.theme}
        <select
          class="theme"
          @change=${(e: Event) => {
            this.theme = (e.target as HTMLSelectElement).value as Theme;
            applyTheme(this.theme);
          }}
        >
          ${THEMES.map((theme) => html`<option value=${theme} ?selected=${theme === this.theme}>${t.themeName(theme)}</option>`)}
        </select></label
      >
      ${
        this.notifier.askable
          ? html`<button type="button" class="notifications" @click=${() => this.notifier.ask().then(() => this.requestUpdate())}>${t.notificationsOn}</button>`
          : nothing
      }
      <button type="button" class="outreach-open" @click=${() => this.showOutreach()}>${t.outreachTitle}</button>
      <button type="button" class="help" aria-label=${t.shortcuts} @click=${() => this.shortcuts.show()}>?</button>
      ${this.session ? html`<button type="button" class="sign-out" @click=${() => this.signOut()}>${t.signOut}</button>` : nothing}
    </header>`;
  }

  protected override render() {
    const { t } = this.locale;
    if (this.phase === 'loading') return html`<p class="muted" role="status">${t.connecting}</p>`;
    if (this.phase === 'sign-in' || !this.client || !this.desk) {
      return this.session
        ? html`<sb-sign-in
            .locale=${this.locale}
            .api=${this.api}
            .session=${this.session}
            @signed-in=${(e: CustomEvent<Credentials>) => {
              this.focusInbox = true;
              this.connect(e.detail);
            }}
          ></sb-sign-in>`
        : html`<p class="error" role="alert">${t.loadFailed(this.loadError)}</p>`;
    }
    return html`${this.renderTopbar()}
      <div
        class="workspace"
        data-pane=${this.pane}
        @open-conversation=${(e: CustomEvent<string>) => this.open(e.detail)}
        @open-message=${(e: CustomEvent<{ conversationId: string; seq: number }>) => this.open(e.detail.conversationId, e.detail.seq)}
        @inbox-items=${(e: CustomEvent<InboxItem[]>) => this.notifier.listed(e.detail)}
        @conversation-read=${(e: CustomEvent<{ conversationId: string }>) => {
          this.notifier.read(e.detail.conversationId);
          this.inbox?.markRead(e.detail.conversationId);
        }}
        @back=${() => this.back()}
        @customer=${(e: CustomEvent<string>) => (this.customer = e.detail)}
      >
        <sb-inbox .locale=${this.locale} .desk=${this.desk} .self=${this.selfAddresses()} .selected=${this.selected}></sb-inbox>
        <main aria-label=${this.pane === 'reports' ? t.reports : t.messages}>
          ${
            this.pane === 'reports'
              ? html`<sb-reports
                  .locale=${this.locale}
                  .desk=${this.desk}
                  .csvUrl=${(from: string, to: string, by: string) => this.api.reportCsvUrl(from, to, by)}
                  .token=${this.client.session?.token ?? ''}
                ></sb-reports>`
              : html`<sb-conversation
                  .locale=${this.locale}
                  .client=${this.client}
                  .desk=${this.desk}
                  .conversationId=${this.selected}
                  .focusSeq=${this.focusSeq}
                  .item=${this.item}
                  .ownAddresses=${this.selfAddresses()}
                  .agentNames=${agentNames(this.teams)}
                ></sb-conversation>`
          }
        </main>
        <aside aria-label=${t.customer}>
          ${
            this.selected && this.pane !== 'reports'
              ? html`<sb-customer-panel
                  .locale=${this.locale}
                  .client=${this.client}
                  .address=${this.customer}
                  .revision=${this.item ? `${this.item.state} ${this.item.customer.name ?? ''}` : ''}
                ></sb-customer-panel>`
              : nothing
          }
        </aside>
      </div>
      <sb-shortcuts .locale=${this.locale}></sb-shortcuts>
      <sb-outreach
        .locale=${this.locale}
        .client=${this.client}
        .teams=${this.teams}
        @open-conversation=${(e: CustomEvent<string>) => this.open(e.detail)}
      ></sb-outreach>
      <sb-command-box
        .locale=${this.locale}
        .teams=${this.teams}
        .error=${this.commandError}
        .answer=${this.commandAnswer}
        @desk-command=${(e: CustomEvent<DeskCommand>) => this.runCommand(e.detail)}
      ></sb-command-box>`;
  }
}
