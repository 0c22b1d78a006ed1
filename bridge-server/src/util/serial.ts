/**
 * Runs async tasks one after another per key, so decisions on shared state never interleave. A
 * task may let the next one start before it ends (`release`): once what must come first is done
 * (a message's place among its sender's messages is taken), the rest of it runs beside the next.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: (release: () => void) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const start = () => task(release);
    const next = previous.then(start, start);
    const tail = Promise.race([released, next.then(noop, noop)]);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

const noop = (): void => undefined;
