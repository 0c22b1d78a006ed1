import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { NAMESPACE } from '@switchboard/protocol';
import { Server } from 'socket.io';
import { Connection } from '../../src/connection.js';

describe('SDK connection transports', () => {
  const http = createServer();
  const io = new Server(http, { transports: ['polling'] }); // a proxy in front that lets no WebSocket through
  let connection: Connection | undefined;
  after(async () => {
    connection?.disconnect();
    await io.close();
  });

  it('falls back to long-polling when WebSocket, tried first, cannot connect', { timeout: 10_000 }, async () => {
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const connected = new Promise<string>((resolve) => io.of(NAMESPACE).on('connection', (socket) => resolve(socket.conn.transport.name)));
    const { port } = http.address() as AddressInfo;
    connection = new Connection(
      { url: `http://127.0.0.1:${port}`, ackTimeoutMs: 1000, transports: ['websocket', 'polling'] },
      { auth: () => ({}), accepted: () => {}, refused: () => false },
    );
    connection.connect();
    assert.equal(await connected, 'polling');
  });
});
