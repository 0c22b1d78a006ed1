// The chat chunk's text-only engine.io parser against engine.io-parser itself: the same text on the
// wire both ways for every packet type and for long-polling payloads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as engineIoParser from 'engine.io-parser';
import { type Packet, decodePacket, decodePayload, encodePacket, encodePayload, protocol } from '../../src/engine-io-text-parser.js';

const PACKETS: Packet[] = [
  { type: 'open', data: '{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' },
  { type: 'close' },
  { type: 'ping' },
  { type: 'pong' },
  { type: 'ping', data: 'probe' },
  { type: 'message', data: '2/v1,["message",{"text":"héllo 👋\\n"}]' },
  { type: 'message', data: '' },
  { type: 'upgrade' },
  { type: 'noop' },
];

const ODD = ['', '7', 'x', '4', '40/v1,{}', '9hello', ' 4'];

const encodedBy = (encode: (packet: Packet, supportsBinary: boolean, callback: (encoded: unknown) => void) => void, packet: Packet) => {
  let encoded: unknown;
  encode(packet, true, (text) => (encoded = text));
  return encoded;
};

describe('engine.io text parser', () => {
  it('speaks the same protocol revision', () => {
    assert.equal(protocol, engineIoParser.protocol);
  });

  it('encodes and decodes every packet type as engine.io-parser does', () => {
    for (const packet of PACKETS) {
      const text = encodedBy(engineIoParser.encodePacket as never, packet);
      assert.equal(encodedBy(encodePacket as never, packet), text);
      assert.deepEqual(decodePacket(text), engineIoParser.decodePacket(text as string, 'arraybuffer'));
    }
    for (const text of ODD) assert.deepEqual(decodePacket(text), engineIoParser.decodePacket(text, 'arraybuffer'), JSON.stringify(text));
  });

  it('encodes and decodes long-polling payloads as engine.io-parser does', () => {
    let expected = '';
    engineIoParser.encodePayload(PACKETS, (text) => (expected = text));
    let actual = '';
    encodePayload(PACKETS, (text) => (actual = text));
    assert.equal(actual, expected);
    assert.deepEqual(decodePayload(expected), engineIoParser.decodePayload(expected, 'arraybuffer'));
    const broken = `4hi${String.fromCharCode(30)}9${String.fromCharCode(30)}4after`;
    assert.deepEqual(decodePayload(broken), engineIoParser.decodePayload(broken, 'arraybuffer'));
  });

  it('hands binary data up unparsed, for the socket.io parser to refuse', () => {
    const buffer = new ArrayBuffer(2);
    assert.deepEqual(decodePacket(buffer), { type: 'message', data: buffer });
    assert.deepEqual(decodePacket('bAQI='), { type: 'message', data: { base64: true, data: 'AQI=' } });
  });
});
