/** Re-renders its host every second while connected: the inbox's waiting times tick. */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class Ticker implements ReactiveController {
  private timer: ReturnType<typeof setInterval> | undefined;
  now = Date.now();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly everyMs = 1000,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.timer = setInterval(() => {
      this.now = Date.now();
      this.host.requestUpdate();
    }, this.everyMs);
  }

  hostDisconnected(): void {
    clearInterval(this.timer);
  }
}
