/**
 * socket.io's packet parser (socket.io-parser 4, protocol 5) for text packets only: what the chat
 * chunk carries in the parser's place (rollup.config.mjs). The v1 API's payloads are JSON
 * (docs/protocol.md) and the bridge never sends binary attachments, so the binary half of the
 * parser (BINARY_EVENT and BINARY_ACK, with their buffers) is never used; every other packet is
 * encoded and decoded exactly as socket.io-parser does, and checked the same way. A binary packet
 * would be refused as socket.io refuses a malformed one: the connection closes ("parse error") and
 * reconnects.
 * https://github.com/socketio/socket.io/tree/main/packages/socket.io-parser
 */

export const protocol = 5;

export const PacketType = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4, BINARY_EVENT: 5, BINARY_ACK: 6 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export interface Packet {
  type: PacketType;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** Event names with a meaning of their own, which a packet never carries. */
const RESERVED_EVENTS = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

const isObject = (value: unknown) => Object.prototype.toString.call(value) === '[object Object]';

/** The payload each text packet type may carry (socket.io-parser's `isPayloadValid`). */
const VALID_PAYLOAD: Record<number, (payload: unknown) => boolean> = {
  [PacketType.CONNECT]: isObject,
  [PacketType.DISCONNECT]: (payload) => payload === undefined,
  [PacketType.EVENT]: (payload) =>
    Array.isArray(payload) && (typeof payload[0] === 'number' || (typeof payload[0] === 'string' && !RESERVED_EVENTS.includes(payload[0]))),
  [PacketType.ACK]: Array.isArray,
  [PacketType.CONNECT_ERROR]: (payload) => typeof payload === 'string' || isObject(payload),
};

export class Encoder {
  encode(packet: Packet): string[] {
    let text = String(packet.type);
    if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
    if (packet.id != null) text += String(packet.id);
    if (packet.data != null) text += JSON.stringify(packet.data);
    return [text];
  }
}

export class Decoder {
  private readonly listeners = new Set<(packet: Packet) => void>();

  on(_event: 'decoded', listener: (packet: Packet) => void): this {
    this.listeners.add(listener);
    return this;
  }

  off(_event: 'decoded', listener: (packet: Packet) => void): this {
    this.listeners.delete(listener);
    return this;
  }

  /** Decodes one packet and hands it to the listeners; throws on anything else (socket.io then closes the connection). */
  add(text: unknown): void {
    if (typeof text !== 'string') throw new Error('binary data is not part of the v1 API');
    const packet = decode(text);
    for (const listener of this.listeners) listener(packet);
  }

  destroy(): void {
    // Nothing is kept between packets (no binary attachments to wait for).
  }
}

/**
 * `<type>[<namespace>,][<ack id>][<JSON payload>]`, the namespace left out for `/`: socket.io-parser's
 * `decodeString` step by step (its quirks included), less the attachment count of binary packets.
 */
function decode(text: string): Packet {
  const type = Number(text.charAt(0));
  if (!Object.hasOwn(VALID_PAYLOAD, type))
    throw new Error(
      type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK ? 'binary packets are not part of the v1 API' : `unknown packet type ${type}`,
    );
  const packet: Packet = { type: type as PacketType, nsp: '/' };
  let i = 0;
  if (text.charAt(1) === '/') {
    const comma = text.indexOf(',', 1);
    i = comma === -1 ? text.length : comma;
    packet.nsp = text.substring(1, i);
  }
  // Characters that equal their Number() (digits; socket.io-parser's test, which a space passes too).
  const digit = (c: string) => c !== '' && Number(c) == (c as unknown as number);
  if (digit(text.charAt(i + 1))) {
    const start = i + 1;
    while (digit(text.charAt(i + 1))) i++;
    packet.id = Number(text.substring(start, i + 1));
  }
  if (text.charAt(++i)) {
    let payload: unknown;
    try {
      payload = JSON.parse(text.substring(i));
    } catch {
      payload = false;
    }
    if (!VALID_PAYLOAD[type]!(payload)) throw new Error('invalid payload');
    packet.data = payload;
  }
  return packet;
}
