// Writes a socket is given in one burst (a callback and the promise continuations it sets off)
// leave together once the burst is over, in order, once each.
import assert from 'node:assert/strict';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { coalesceWrites } from '../../src/util/coalesced-writes.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('coalesced writes', () => {
  let received = '';
  let arrived: (() => void) | undefined;
  const server = createServer((socket) =>
    socket.on('data', (chunk) => {
      received += chunk.toString();
      arrived?.();
    }),
  );
  let client: Socket;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
  });
  after(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("holds a burst's writes until it is over, then sends them all in order", async () => {
    coalesceWrites(client);
    coalesceWrites(client); // once is enough: a second call changes nothing
    const written: string[] = [];
    client.write('one ', () => written.push('one'));
    client.write('two ');
    await Promise.resolve(); // a continuation of the same burst
    client.write('three', () => written.push('three'));
    assert.equal(client.writableCorked, 1, 'corked once for the burst');
    assert.equal(client.writableLength, 'one two three'.length, 'nothing left yet');
    await nextTurn();
    assert.equal(client.writableCorked, 0);
    while (received.length < 'one two three'.length) await new Promise<void>((resolve) => (arrived = resolve));
    assert.equal(received, 'one two three');
    assert.deepEqual(written, ['one', 'three'], 'each callback once, in order');
  });

  it('sends what was written before a destroy() in the same burst (an error answer, then the connection closed)', { timeout: 5000 }, async () => {
    const other = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => other.once('connect', resolve));
    coalesceWrites(other);
    const before = received;
    other.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    other.destroy();
    while (!received.endsWith('400 Bad Request\r\n\r\n')) await new Promise<void>((resolve) => (arrived = resolve));
    assert.equal(received.slice(before.length), 'HTTP/1.1 400 Bad Request\r\n\r\n');
  });

  it('corks again for the next burst, and leaves a socket that ended alone', async () => {
    received = '';
    client.write('four');
    assert.equal(client.writableCorked, 1);
    client.end();
    assert.equal(client.writableCorked, 0, 'end() sends what was held');
    await nextTurn();
    while (received.length < 'four'.length) await new Promise<void>((resolve) => (arrived = resolve));
    assert.equal(received, 'four');
    assert.equal(client.writableCorked, 0);
  });
});
