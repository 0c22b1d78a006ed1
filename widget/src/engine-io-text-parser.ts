/**
 * engine.io's packet parser (engine.io-parser 5, protocol 4) for text packets only: what the chat
 * chunk carries in its place (rollup.config.mjs), beside the text-only socket.io parser
 * (socket-io-text-parser.ts). Above it every packet is text, so the binary half (Blobs,
 * ArrayBuffers, base64 over long-polling, WebTransport's streams) is never used; text packets and
 * long-polling payloads are encoded and decoded exactly as engine.io-parser does. Binary data that
 * arrives anyway is handed up as engine.io-parser hands it where ArrayBuffer is missing, and the
 * socket.io parser refuses it: the connection closes ("parse error") and reconnects.
 * https://github.com/socketio/socket.io/tree/main/packages/engine.io-parser
 */

export const protocol = 4;

export type PacketType = 'open' | 'close' | 'ping' | 'pong' | 'message' | 'upgrade' | 'noop' | 'error';

export interface Packet {
  type: PacketType;
  data?: unknown;
}

/** Each type's digit on the wire is its index. */
const PACKET_TYPES: readonly PacketType[] = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];

const ERROR_PACKET: Packet = { type: 'error', data: 'parser error' };

/** Packets of a long-polling payload are separated by the ASCII record separator. */
const SEPARATOR = String.fromCharCode(30);

export function encodePacket({ type, data }: Packet, _supportsBinary: boolean, callback: (encoded: string) => void): void {
  callback(String(PACKET_TYPES.indexOf(type)) + ((data as string | undefined) || ''));
}

export function decodePacket(encoded: unknown): Packet {
  if (typeof encoded !== 'string') return { type: 'message', data: encoded };
  const digit = encoded.charAt(0);
  if (digit === 'b') return { type: 'message', data: { base64: true, data: encoded.substring(1) } };
  const type = /^[0-6]$/.test(digit) ? PACKET_TYPES[Number(digit)]! : undefined;
  if (!type) return ERROR_PACKET;
  return encoded.length > 1 ? { type, data: encoded.substring(1) } : { type };
}

export function encodePayload(packets: Packet[], callback: (encoded: string) => void): void {
  const encoded: string[] = [];
  for (const packet of packets) encodePacket(packet, false, (text) => encoded.push(text));
  callback(encoded.join(SEPARATOR));
}

export function decodePayload(payload: string): Packet[] {
  const packets: Packet[] = [];
  for (const encoded of payload.split(SEPARATOR)) {
    const packet = decodePacket(encoded);
    packets.push(packet);
    if (packet.type === 'error') break;
  }
  return packets;
}
