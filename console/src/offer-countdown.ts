/**
 * The time left on an offer (docs/support-desk.md, "Routing"): the conversation's assignee has until
 * `InboxItem.offer.expiresAt` to answer or claim it before it moves on to the next agent. A timer
 * (role="timer", not a live region): screen readers read it when they reach it, never each second.
 */
import type { InboxItem } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';
import { Ticker } from './ticker.js';

/** `1:05`: minutes and seconds left. */
const minutesSeconds = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

@customElement('sb-offer-countdown')
export class OfferCountdown extends ConsoleElement {
  @property({ attribute: false }) offer: InboxItem['offer'];
  /** The reading agent's addresses: their own offer asks them to answer. */
  @property({ attribute: false }) self: readonly string[] = [];
  private readonly ticker = new Ticker(this);

  protected override render() {
    const { offer } = this;
    if (!offer) return nothing;
    const deadline = Date.parse(offer.expiresAt);
    const left = Math.ceil((deadline - Math.max(this.ticker.now, Date.now())) / 1000);
    // Over: it moved on, or stayed with its agent for want of another; the next inbox item says which.
    if (!(left > 0)) return nothing;
    const { t } = this.locale;
    const by = this.locale.time(new Date(deadline));
    return html`<span class="offer-countdown" role="timer"
      >${this.self.includes(offer.agent) ? t.offerYours(minutesSeconds(left), by) : t.offerTheirs(minutesSeconds(left), by)}</span
    >`;
  }
}
