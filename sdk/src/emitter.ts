/** A minimal typed event emitter (no dependency, works in browsers and Node). */
export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();
  /** once()'s wrappers, each with the listener the app gave (what off() is called with). */
  private readonly onceOf = new WeakMap<object, unknown>();

  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  once<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const wrapped = ((...args: Parameters<Events[E]>) => {
      this.off(event, wrapped);
      (listener as (...a: Parameters<Events[E]>) => void)(...args);
    }) as Events[E];
    this.onceOf.set(wrapped, listener);
    return this.on(event, wrapped);
  }

  /** Removes a listener, whether added with on() or once(). */
  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    if (set.delete(listener)) return;
    for (const entry of set) if (this.onceOf.get(entry) === listener) set.delete(entry);
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        // A failing app listener must not break the client's own bookkeeping.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
