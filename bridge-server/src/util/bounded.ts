/**
 * Waits for a promise, or for `ms`, whichever comes first; never rejects. For what a remote server
 * may be slow to take and must not hold up what follows: courtesies at shutdown (unregister,
 * unsubscribe), a handover's context line before its catch-up.
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
