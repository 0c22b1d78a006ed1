// Packets a burst emits to one client (a callback and the promise continuations it sets off) reach
// its transport in one send, in order; the next burst goes out the same way; a disconnect in the
// same burst still delivers what was emitted before it.
import assert from 'node:assert/strict';
import { type Server as HttpServer, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server, type Socket } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { coalescePackets } from '../../src/util/coalesced-packets.js';

/** How many packets each call to the connection's transport was given. */
function transportSends(socket: Socket): number[] {
  const sends: number[] = [];
  const transport = socket.conn.transport as unknown as { send(packets: unknown[]): void };
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    sends.push(packets.length);
    send(packets);
  };
  return sends;
}

describe('coalesced packets', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  const clients: ClientSocket[] = [];

  before(async () => {
    http = createServer();
    io = new Server(http);
    io.engine.on('connection', coalescePackets);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const client of clients) client.close();
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });

  /** A client on WebSocket, and its socket on the server. */
  async function connected(): Promise<{ client: ClientSocket; socket: Socket }> {
    const server = new Promise<Socket>((resolve) => io.once('connection', resolve));
    const client = connect(url, { transports: ['websocket'] });
    clients.push(client);
    const [socket] = await Promise.all([server, new Promise<void>((resolve) => client.once('connect', () => resolve()))]);
    return { client, socket };
  }

  /** The next `count` events the client receives, in order. */
  function received(client: ClientSocket, count: number): Promise<string[]> {
    const events: string[] = [];
    return new Promise((resolve) =>
      client.onAny((event: string, value: string) => {
        events.push(`${event}:${value}`);
        if (events.length === count) resolve(events);
      }),
    );
  }

  it("sends a burst's packets in one transport send, in order, and the next burst the same way", async () => {
    const { client, socket } = await connected();
    const sends = transportSends(socket);
    let arriving = received(client, 3);
    socket.emit('status', 'sent');
    await Promise.resolve(); // a continuation of the same burst
    socket.emit('message', 'hello');
    socket.emit('message', 'again');
    assert.deepEqual(await arriving, ['status:sent', 'message:hello', 'message:again']);
    assert.deepEqual(sends, [3], 'one send of the three packets');

    arriving = received(client, 2);
    socket.emit('message', 'later');
    socket.emit('status', 'read');
    assert.deepEqual((await arriving).slice(-2), ['message:later', 'status:read']);
    assert.deepEqual(sends, [3, 2]);
  });

  it('delivers what a burst emitted before disconnecting the client', { timeout: 5000 }, async () => {
    const { client, socket } = await connected();
    const events: string[] = [];
    client.on('message', (text: string) => events.push(`message:${text}`));
    const gone = new Promise<string>((resolve) => client.once('disconnect', resolve));
    socket.emit('message', 'goodbye');
    socket.disconnect(true);
    assert.equal(await gone, 'io server disconnect');
    assert.deepEqual(events, ['message:goodbye']);
  });

  it('leaves alone a connection without the flush it defers (another engine.io), rather than throw at its handshake', () => {
    const connection = { send: () => undefined };
    assert.doesNotThrow(() => coalescePackets(connection as unknown as Socket['conn']));
    assert.deepEqual(Object.keys(connection), ['send']);
  });
});
