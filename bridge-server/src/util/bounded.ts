/**
 * Waits for a promise, or for `ms`, whichever comes first; never rejects. For courtesies to a
 * remote server at shutdown (unregister, unsubscribe) that must not hold the shutdown up.
 */
export function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}
