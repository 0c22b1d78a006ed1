/**
 * The senders a network keeps something for only while they keep writing (a customer whose
 * presence it follows): each is let go once silent for `idleMs`, and past `max` senders the
 * longest silent is let go first, so what is kept stays bounded whoever writes.
 */
import type { Address } from '@switchboard/protocol';
import { type Clock, type Timer, systemClock } from '../../util/clock.js';

export interface RecentSendersOptions {
  idleMs: number;
  max: number;
  /** A sender is let go (silent too long, or the longest silent past `max`). */
  onLetGo(address: Address): void;
  clock?: Clock;
}

export class RecentSenders {
  /** When each sender last wrote, the longest silent first (a sender who writes moves to the end). */
  private readonly lastWrote = new Map<Address, number>();
  private timer: Timer | undefined;

  constructor(private readonly options: RecentSendersOptions) {}

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  has(address: Address): boolean {
    return this.lastWrote.has(address);
  }

  /** `address` wrote now; true when it is a new sender here. */
  wrote(address: Address): boolean {
    const known = this.lastWrote.delete(address);
    this.lastWrote.set(address, this.clock.now().getTime());
    if (!known && this.lastWrote.size > this.options.max) this.letGo(this.lastWrote.keys().next().value!);
    this.arm();
    return !known;
  }

  /** Lets everyone go without telling (the network stops). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.lastWrote.clear();
  }

  private letGo(address: Address): void {
    this.lastWrote.delete(address);
    this.options.onLetGo(address);
  }

  /** One timer, for the longest silent sender; one who wrote since then only makes it look again. */
  private arm(): void {
    if (this.timer) return;
    const oldest = this.lastWrote.values().next();
    if (oldest.done) return;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        const now = this.clock.now().getTime();
        for (const [address, at] of this.lastWrote) {
          if (now - at < this.options.idleMs) break;
          this.letGo(address);
        }
        this.arm();
      },
      oldest.value + this.options.idleMs - this.clock.now().getTime(),
    );
  }
}
