/**
 * Waits for a promise, or for `ms`, whichever comes first; never rejects. For what a remote server
 * may be slow to take and must not hold up what follows: courtesies at shutdown (unregister,
 * unsubscribe), a handover's context line before its catch-up. Resolves with the promise's value
 * when it came in time; undefined when it did not, or rejected.
 */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
