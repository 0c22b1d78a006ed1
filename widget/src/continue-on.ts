/**
 * "Continue on my IM": the visitor picks one of the networks the site enables
 * (`session.continueOn`), types their address there, then the code the bridge sent to it; while
 * active, a banner says where the chat continues, with Stop. An agent's invitation opens the same
 * form on the network it names. The bridge's refusals are shown as it words them.
 */
import { type Continuation, LIMITS, type SwitchboardError } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import type { ChatController } from './chat-controller.js';
import { codeDigits, continuationAddress, isolate } from './continuation-address.js';
import type { Locale } from './i18n.js';

export interface ContinueOnHost {
  readonly chat: ChatController;
  readonly renderRoot: HTMLElement | DocumentFragment;
  readonly updateComplete: Promise<boolean>;
  requestUpdate(): void;
  /** Says a change aloud (the panel's live region). */
  announce(text: string): void;
}

export class ContinueOn {
  /** The network whose address form is open; '' while it is closed. */
  private network = '';
  /** The address last typed, kept for "send a new code" and when the form opens again. */
  private address = '';
  private error = '';
  private busy = false;

  constructor(private readonly host: ContinueOnHost) {}

  /** Forgets what the visitor typed (`reset()`: another visitor may use this page next). */
  forget(): void {
    this.network = '';
    this.address = '';
    this.error = '';
  }

  /** A change the bridge made (a code sent, proven, stopped from the IM client, expired): said aloud. */
  changed(continuation: Continuation, { t }: Locale): void {
    const where = isolate(continuation.address);
    if (continuation.state === 'active') {
      this.error = '';
      this.host.announce(t.continuingOn(where));
    } else if (continuation.state === 'stopped' && continuation.reason !== 'replaced') {
      this.network = '';
      this.host.announce(t.stoppedOn(where));
    }
  }

  render(locale: Locale) {
    const { chat } = this.host;
    const networks = chat.session?.continueOn ?? [];
    const conversation = chat.conversation;
    if (networks.length === 0 || conversation?.state !== 'open') return nothing;
    const { t } = locale;
    const continuation = chat.continuation;
    const offline = this.busy || chat.state !== 'online';
    if (continuation?.state === 'active')
      return html`<div class="continue" part="continue" role="status">
        <span>${t.continuingOn(isolate(continuation.address))}</span>
        <button type="button" class="secondary" ?disabled=${offline} @click=${() => this.stop()}>${t.stop}</button>
      </div>`;
    const pending = continuation?.state === 'pending' ? continuation : null;
    if (!pending && !this.network) {
      const offer = chat.offer?.conversationId === conversation.id && networks.includes(chat.offer.network) ? chat.offer : null;
      return html`<div class="continue" part="continue">
        ${
          offer
            ? html`<p role="status">${t.invited(t.networkName(offer.network))}</p>
                <button type="button" class="send" @click=${() => this.open(offer.network)}>${t.continueOn}</button>
                <button type="button" class="secondary" @click=${() => this.dismissOffer()}>${t.notNow}</button>`
            : html`<button type="button" class="link-button" @click=${() => this.open(networks[0]!)}>${t.continueOn}</button>`
        }
        ${this.error ? this.renderError() : nothing}
      </div>`;
    }
    // One form for both steps (the address, then the code), so focus stays in its one field.
    const asksCode = pending?.proof === 'code';
    const hint = pending
      ? [
          pending.attemptsLeft === undefined ? '' : t.attemptsLeft(pending.attemptsLeft),
          pending.expiresAt ? t.expiresAt(locale.time(new Date(pending.expiresAt))) : '',
        ]
          .filter(Boolean)
          .join(' · ')
      : t.addressExample(this.network);
    return html`<form
      class="details continue"
      part="continue"
      novalidate
      aria-label=${t.continueOn}
      @submit=${(event: SubmitEvent) => this.submit(event, locale)}
    >
      <p>${pending ? (asksCode ? t.codeSent : t.replyAsked)(isolate(pending.address)) : t.continueIntro}</p>
      ${
        pending
          ? nothing
          : html`<label
              >${t.network}
              <select @change=${(event: Event) => this.pick((event.target as HTMLSelectElement).value)}>
                ${networks.map((network) => html`<option value=${network} ?selected=${network === this.network}>${t.networkName(network)}</option>`)}
              </select></label
            >`
      }
      ${
        pending && !asksCode
          ? nothing
          : html`<label
              >${pending ? t.code : t.yourAddress}
              <input
                name="value"
                dir="ltr"
                .value=${pending ? '' : this.address}
                inputmode=${pending ? 'numeric' : 'email'}
                autocomplete=${pending ? 'one-time-code' : this.network === 'mailto' ? 'email' : 'off'}
                aria-invalid=${this.error ? 'true' : 'false'}
                aria-describedby="continue-hint continue-error"
            /></label>`
      }
      <p id="continue-hint" class="hint">${hint}</p>
      ${this.renderError()}
      <div class="actions">
        ${pending ? html`<button type="button" class="link-button" ?disabled=${offline} @click=${() => this.resend(pending)}>${t.newCode}</button>` : nothing}
        <button type="button" class="secondary" ?disabled=${this.busy} @click=${() => (pending ? this.stop() : this.close())}>${t.cancel}</button>
        ${pending && !asksCode ? nothing : html`<button type="submit" class="send" ?disabled=${offline}>${pending ? t.confirm : t.sendCode}</button>`}
      </div>
    </form>`;
  }

  private renderError() {
    return html`<p id="continue-error" class="field-error" role="alert">${this.error}</p>`;
  }

  private open(network: string): void {
    this.host.chat.offer = null;
    this.pick(network);
    this.focusField();
  }

  private pick(network: string): void {
    this.network = network;
    this.error = '';
    this.host.requestUpdate();
  }

  private close(): void {
    this.network = '';
    this.error = '';
    this.host.requestUpdate();
  }

  private dismissOffer(): void {
    this.host.chat.offer = null;
    this.host.requestUpdate();
  }

  /** The address step asks for a code; the code step checks it. */
  private submit(event: SubmitEvent, { t }: Locale): void {
    event.preventDefault();
    const typed = new FormData(event.target as HTMLFormElement).get('value');
    const value = typeof typed === 'string' ? typed : '';
    if (this.host.chat.continuation?.state === 'pending') {
      const code = codeDigits(value);
      if (code.length !== LIMITS.continuationCodeLength) return this.fail(t.invalidCode(LIMITS.continuationCodeLength));
      return this.run((client, id) => client.verifyContinuation(id, code));
    }
    this.address = value;
    const address = continuationAddress(this.network, value);
    if (!address) return this.fail(t.invalidAddress);
    this.run((client, id) => client.continueOn(id, address));
  }

  private resend(continuation: Continuation): void {
    this.run((client, id) => client.continueOn(id, continuation.address));
  }

  private stop(): void {
    this.run((client, id) => client.stopContinuation(id));
  }

  /** One request at a time; what the bridge refuses is shown as it says it, and the field gets focus again. */
  private run(request: (client: NonNullable<ChatController['client']>, conversationId: string) => Promise<Continuation>): void {
    const { client, conversation } = this.host.chat;
    if (!client || !conversation || this.busy) return;
    this.busy = true;
    this.error = '';
    this.host.requestUpdate();
    request(client, conversation.id)
      .then(() => this.focusField())
      .catch((error: SwitchboardError) => this.fail(error.message))
      .finally(() => {
        this.busy = false;
        this.host.requestUpdate();
      });
  }

  private fail(message: string): void {
    this.error = message;
    this.host.requestUpdate();
    this.focusField();
  }

  private focusField(): void {
    void this.host.updateComplete.then(() => this.host.renderRoot.querySelector<HTMLElement>('.continue input, .continue button')?.focus());
  }
}
