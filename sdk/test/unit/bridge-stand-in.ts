// A bridge stand-in for the client's unit tests: a socket.io server on the v1 namespace that
// answers with the contract's payloads, and records what it received.
import { once } from 'node:events';
import { type Server as HttpServer, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NAMESPACE, type Session } from '@switchboard/protocol';
import { after, before } from 'node:test';
import { Server, type Socket } from 'socket.io';
import { type SwitchboardClient, createClient } from '../../src/client.js';
import type { SwitchboardError } from '../../src/errors.js';

export type Handler = (payload: Record<string, unknown>) => Record<string, unknown>;

/**
 * Answers every event as the contract says; `handlers` name the answers of the ones under test.
 * `http` is the HTTP server it runs on (one with routes of its own, for HTTP calls).
 */
export function standIn(session: Session, handlers: Record<string, Handler>, http: HttpServer = createServer()) {
  const io = new Server(http);
  const received: [string, unknown][] = [];
  let socket: Socket | undefined;
  io.of(NAMESPACE).on('connection', (s) => {
    socket = s;
    s.onAny((event: string, payload: Record<string, unknown>, ack?: (response: unknown) => void) => {
      received.push([event, payload]);
      const handler = handlers[event];
      if (event === 'conversation:list') ack?.({ ok: true, conversations: [] });
      else if (handler) {
        try {
          ack?.({ ok: true, ...handler(payload) });
        } catch (error) {
          ack?.({ ok: false, error: (error as SwitchboardError).toJSON() });
        }
      } else ack?.({ ok: true });
    });
    s.emit('session', session);
  });
  return {
    received,
    push: (event: string, payload: unknown) => socket!.emit(event, payload),
    async listen(): Promise<string> {
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    },
    close: () => io.close(),
  };
}

/**
 * The suite's client: connected to `bridge` before its tests (its session read), disconnected with
 * the stand-in closed after them. What is returned stands for it from the first test on.
 */
export function clientOfSuite(bridge: ReturnType<typeof standIn>): SwitchboardClient {
  let client: SwitchboardClient | undefined;
  before(async () => {
    client = createClient({ url: await bridge.listen(), siteKey: 'shop', storage: null, ackTimeoutMs: 2000 });
    await client.ready();
  });
  after(async () => {
    client?.disconnect();
    await bridge.close();
  });
  return new Proxy({} as SwitchboardClient, {
    get(_target, property) {
      const value: unknown = Reflect.get(client!, property, client);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(client) : value;
    },
  });
}
