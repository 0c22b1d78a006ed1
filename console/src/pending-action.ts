/**
 * What a console form shows of the action it runs (a sign-in, an invitation, an outreach, a
 * merge): `busy` while one runs (its buttons disabled), then the message of its failure (`error`)
 * until the next one. `reset` when the form shows something else (another conversation, another
 * customer): an action still running for what it showed before then changes nothing here.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class PendingAction implements ReactiveController {
  busy = false;
  error = '';
  /** Counts the runs and resets: an action whose number is not the last one's was overtaken. */
  private runs = 0;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    // Nothing to set up: the state lives as long as the form.
  }

  /** The form shows something else: no failure, and nothing running, as far as it is concerned. */
  reset(): void {
    this.runs++;
    this.busy = false;
    this.error = '';
    this.host.requestUpdate();
  }

  /**
   * Runs `action`; a failure shows `failed(its message)`. True when it succeeded and the form
   * still shows what it ran for (no `reset` since).
   */
  async run(action: () => Promise<unknown>, failed: (message: string) => string): Promise<boolean> {
    const run = ++this.runs;
    this.busy = true;
    this.error = '';
    this.host.requestUpdate();
    try {
      await action();
      return run === this.runs;
    } catch (error) {
      if (run === this.runs) this.error = failed((error as Error).message);
      return false;
    } finally {
      if (run === this.runs) {
        this.busy = false;
        this.host.requestUpdate();
      }
    }
  }
}
