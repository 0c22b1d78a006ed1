/**
 * Packets emitted to one client in one burst leave in one transport write. engine.io sends a
 * connection's first packet at once and keeps the next ones until the transport reports that one
 * written (its `drain`, a tick or more later): a commit that releases two events for one client
 * (a message's `sent` status, then the reply to it) cost two writes and two system calls. Here
 * the connection's flush waits for `process.nextTick`, which runs once the callback and the
 * promise continuations that emitted are done, and sends everything they queued together; the
 * socket's own coalescing (coalesced-writes.ts) then makes it one system call.
 * https://github.com/socketio/engine.io-protocol (packets are sent in order, as buffered)
 */
import type { Socket } from 'socket.io';

/** engine.io's connection under a socket.io client. */
type EngineSocket = Socket['conn'];

/** engine.io's connection as far as this needs it: the flush its typings keep private. */
interface Flushable {
  flush?: () => void;
}

/**
 * Defers `connection`'s flush to the end of the burst. An engine.io without that flush (a later
 * version) is left as it is, its packets sent as they come: the bridge still runs, and
 * coalesced-packets.test.ts fails to say the burst is no longer one send.
 */
export function coalescePackets(connection: EngineSocket): void {
  const flushable = connection as unknown as Flushable;
  if (typeof flushable.flush !== 'function') return;
  const flush = flushable.flush.bind(flushable);
  let scheduled = false;
  flushable.flush = () => {
    if (scheduled) return;
    scheduled = true;
    process.nextTick(() => {
      scheduled = false;
      flush();
    });
  };
}
