/**
 * Writes a socket is given in one burst leave together: the first write corks the socket and a
 * `process.nextTick` uncorks it, which runs once the callback that wrote and the promise
 * continuations it set off are done. The packets a commit releases (each message to its
 * recipients, each sender's acknowledgement) or a stanza and its receipt then cost one system call
 * and one TCP segment instead of one each, and nothing waits for another turn of the event loop.
 * https://nodejs.org/api/stream.html#writablecork
 */
import type { Socket } from 'node:net';

const COALESCED = Symbol('coalesced writes');

export function coalesceWrites(socket: Socket): void {
  const marked = socket as Socket & { [COALESCED]?: true };
  if (marked[COALESCED]) return;
  marked[COALESCED] = true;
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = (...args: unknown[]): boolean => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  };
  // A write followed by destroy() in the same burst (an error answer, then the connection closed:
  // Node's own 400 to a bad request, a refused upgrade) still leaves as it would uncorked.
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (...args: Parameters<Socket['destroy']>): Socket => {
    uncork();
    return destroy(...args);
  };
}
