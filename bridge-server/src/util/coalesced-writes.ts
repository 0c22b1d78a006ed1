/**
 * Writes a socket is given in one turn of the event loop leave together: the first write of a turn
 * corks the socket and the turn's end (`setImmediate`) uncorks it, so the packets of a burst (the
 * messages one commit released, a stanza and its receipt) cost one system call and one TCP
 * segment instead of one each. Nothing waits longer than the rest of the current turn.
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
      setImmediate(uncork);
    }
    return write(...args);
  };
  // A write followed by destroy() in the same turn (an error answer, then the connection closed:
  // Node's own 400 to a bad request, a refused upgrade) still leaves as it would uncorked.
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error): Socket => {
    uncork();
    return destroy(error);
  };
}
