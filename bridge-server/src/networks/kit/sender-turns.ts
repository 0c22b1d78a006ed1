/**
 * What a network reads from its users, taken one sender at a time in the order it came (each
 * message's place among its sender's taken before the next starts), and settled when the network
 * stops here: a message that comes then, or that still waits for its sender's earlier ones, is
 * refused at once; those being handled are let finish for a while, so their answers go out over
 * the connection that brought them.
 */
import { bounded } from '../../util/bounded.js';
import { SerialQueues } from '../../util/serial.js';

export class SenderTurns {
  private readonly senders = new SerialQueues();
  /** Messages being handled (or waiting): the stop lets them finish. */
  private readonly handling = new Set<Promise<void>>();
  /** Messages waiting for their sender's earlier ones: a stop refuses them at once. */
  private readonly waiting = new Set<{ refuse: () => void; refused: boolean }>();
  private closing = false;

  /** Takes messages again (the network starts, here again). */
  open(): void {
    this.closing = false;
  }

  /**
   * Runs `handle` in `sender`'s turn (`release`: the sender's next message may start), or `refuse`
   * once the network stops. `handle` says itself what became of the message; it never rejects.
   */
  take(sender: string, refuse: () => void, handle: (release: () => void) => Promise<void>): void {
    if (this.closing) return refuse();
    const turn = { refuse, refused: false };
    this.waiting.add(turn);
    const handled = this.senders.run(sender, (release) => {
      this.waiting.delete(turn);
      return turn.refused ? Promise.resolve() : handle(release);
    });
    this.handling.add(handled);
    void handled.finally(() => this.handling.delete(handled));
  }

  /**
   * The network stops: what comes from now on, and what still waits for its turn, is refused (a
   * store that hangs would otherwise answer one a turn); what is being handled is let finish for up
   * to `ms` (a store that does not answer takes seconds to fail).
   */
  async settle(ms: number): Promise<void> {
    this.closing = true;
    for (const turn of this.waiting) {
      turn.refused = true;
      turn.refuse();
    }
    this.waiting.clear();
    if (this.handling.size > 0) await bounded(Promise.all(this.handling), ms);
  }
}
