import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { decodeWholeCharacters } from '../../src/networks/xmpp/whole-characters.js';

/** What of an xmpp.js connection the decoding uses: a socket, a parser, `_onData`. */
function connection() {
  const written: string[] = [];
  const entity: EventEmitter & { socket: object; parser: { write(text: string): void } | null; _onData(data: Buffer | string): void } = Object.assign(
    new EventEmitter(),
    { socket: {}, parser: { write: (text: string) => void written.push(text) }, _onData: (_data: Buffer | string) => undefined },
  );
  decodeWholeCharacters(entity);
  return { entity, written };
}

describe("XMPP stream reading (xmpp.js's _onData replaced)", () => {
  it('holds the first bytes of a character until the rest come', () => {
    const { entity, written } = connection();
    const bytes = Buffer.from('<body>é€</body>');
    entity._onData(bytes.subarray(0, 7));
    entity._onData(bytes.subarray(7));
    assert.equal(written.join(''), '<body>é€</body>');
    assert.ok(!written.join('').includes('\ufffd'));
  });

  it('reads nothing after the stream ended, rather than throw from the socket event (the parser is gone)', () => {
    const { entity, written } = connection();
    entity.parser = null;
    assert.doesNotThrow(() => entity._onData(Buffer.from('<message/>')));
    assert.deepEqual(written, []);
  });
});
