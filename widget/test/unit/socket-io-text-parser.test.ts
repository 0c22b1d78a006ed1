// The chat chunk's text-only socket.io parser against socket.io-parser itself: the same text on
// the wire both ways, the same packets decoded, the same packets refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as socketIoParser from 'socket.io-parser';
import { Decoder, Encoder, PacketType, protocol } from '../../src/socket-io-text-parser.js';

/** Packets the SDK sends and the bridge answers with, on the `/v1` namespace and the main one. */
const PACKETS = [
  { type: PacketType.CONNECT, nsp: '/v1', data: { siteKey: 'site', token: 't' } },
  { type: PacketType.CONNECT, nsp: '/v1', data: { sid: 'abc' } },
  { type: PacketType.DISCONNECT, nsp: '/v1' },
  { type: PacketType.EVENT, nsp: '/v1', data: ['message:send', { conversationId: 'c1', clientId: 'k', text: 'Hello, "world"\n👋' }], id: 12 },
  { type: PacketType.EVENT, nsp: '/v1', data: ['message', { id: 'm1', seq: 3, text: 'a,b/c' }], id: 0 },
  { type: PacketType.EVENT, nsp: '/v1', data: ['typing', { conversationId: 'c1', state: 'composing' }] },
  { type: PacketType.EVENT, nsp: '/', data: [42, null] },
  { type: PacketType.ACK, nsp: '/v1', data: [{ ok: true, conversations: [] }], id: 7 },
  { type: PacketType.ACK, nsp: '/v1', data: [], id: 1234567 },
  { type: PacketType.CONNECT_ERROR, nsp: '/v1', data: { message: 'unauthorized', data: { code: 'unauthorized', message: 'token: expired' } } },
  { type: PacketType.CONNECT_ERROR, nsp: '/v1', data: 'Invalid namespace' },
];

/** Text off the beaten path, some of which socket.io-parser refuses and some it takes. */
const ODD = [
  '',
  ' ',
  '0',
  '1',
  '2',
  '9',
  'x',
  '7/v1,[]',
  '2/v1,{"a":1}',
  '2/v1,["connect"]',
  '2/v1,[true]',
  '3/v1,1{}',
  '0/v1,[]',
  '0/v1',
  '1/v1,{}',
  '1/v1,',
  '4/v1,1',
  '4/v1,"refused"',
  '2/v1,[',
  '2/v1',
  '2/v1,12',
  '2/v1,1 2["a"]',
  '2/v1,007["a"]',
  '2/v1,1.5["a"]',
  '2["a"]',
  '21["a"]',
  '2/v1["a"]',
  '3/v1,12',
  '0{"sid":"x"}',
];

function outcome(decoder: { add(text: unknown): void; on(event: 'decoded', listener: (packet: unknown) => void): unknown }, text: string): unknown {
  try {
    return decodeWith(decoder, text);
  } catch {
    return 'refused';
  }
}

function decodeWith(decoder: { add(text: unknown): void; on(event: 'decoded', listener: (packet: unknown) => void): unknown }, text: unknown): unknown {
  let decoded: unknown;
  decoder.on('decoded', (packet) => (decoded = packet));
  decoder.add(text);
  return decoded;
}

describe('socket.io text parser', () => {
  it('speaks the same protocol revision', () => {
    assert.equal(protocol, socketIoParser.protocol);
    for (const name of Object.keys(socketIoParser.PacketType).filter((key) => Number.isNaN(Number(key))))
      assert.equal(PacketType[name as keyof typeof PacketType], socketIoParser.PacketType[name as keyof typeof socketIoParser.PacketType]);
  });

  it('encodes every packet as socket.io-parser does', () => {
    for (const packet of PACKETS) assert.deepEqual(new Encoder().encode(packet), new socketIoParser.Encoder().encode(packet));
  });

  it('decodes what socket.io-parser encodes into the same packets', () => {
    for (const packet of PACKETS) {
      const [text] = new socketIoParser.Encoder().encode(packet) as string[];
      assert.deepEqual(decodeWith(new Decoder(), text), decodeWith(new socketIoParser.Decoder(), text), text);
    }
  });

  it('takes and refuses odd text as socket.io-parser does, and refuses binary data', () => {
    for (const text of ODD) assert.deepEqual(outcome(new Decoder(), text), outcome(new socketIoParser.Decoder(), text), JSON.stringify(text));
    assert.throws(() => new Decoder().add('51-/v1,["file",{"_placeholder":true,"num":0}]'), /binary/);
    assert.throws(() => new Decoder().add(new ArrayBuffer(4)), /binary/);
  });

  it('stops handing packets to a listener once it is removed', () => {
    const decoder = new Decoder();
    const seen: unknown[] = [];
    const listener = (packet: unknown) => seen.push(packet);
    decoder.on('decoded', listener);
    decoder.add('2/v1,["a"]');
    decoder.off('decoded', listener);
    decoder.add('2/v1,["b"]');
    assert.equal(seen.length, 1);
  });
});
