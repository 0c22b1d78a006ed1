// The bytes of IRC lines as text: UTF-8, or windows-1252 for a line that is not valid UTF-8, each
// line on its own, cut on the bytes before decoding. Against a real ngircd:
// integration/irc-encodings.test.ts. Lines ngircd cut to 512 bytes (its `[CUT]` mark): integration/irc.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beforeServerCut, serverCutNotice } from '../../src/networks/irc/inbound.js';
import { LineDecodingTransport, decodeIrcLine } from '../../src/networks/irc/line-decoding.js';

/** The lines a transport emits for these reads of its socket. */
function linesOf(...reads: Buffer[]): string[] {
  const transport = new LineDecodingTransport({});
  const lines: string[] = [];
  transport.on('line', (line: string) => lines.push(line));
  for (const read of reads) transport.onSocketData(read);
  return lines;
}

describe('IRC line decoding', () => {
  it('reads valid UTF-8 as UTF-8', () => {
    assert.equal(decodeIrcLine(Buffer.from(':a PRIVMSG b :Ça coûte 20 € ✓\r\n')), ':a PRIVMSG b :Ça coûte 20 € ✓\r\n');
  });

  it('reads a line that is not UTF-8 as windows-1252, its euro sign and curly quotes included', () => {
    const latin = Buffer.concat([Buffer.from(':a PRIVMSG b :'), Buffer.from([0xc7, 0x61, 0x20, 0x80, 0x20, 0x92, 0x20, 0xe9]), Buffer.from('\r\n')]);
    assert.equal(decodeIrcLine(latin), ':a PRIVMSG b :Ça € ’ é\r\n');
  });

  it('reads a UTF-8 line a server cut inside a character (then adding [CUT]) as UTF-8, without that character', () => {
    const full = Buffer.from(`:a PRIVMSG b :${'é'.repeat(5)}`);
    const cut = Buffer.concat([full, Buffer.from([0xc3]), Buffer.from('[CUT]\r\n')]);
    assert.equal(decodeIrcLine(cut), `:a PRIVMSG b :${'é'.repeat(5)}[CUT]\r\n`);
    const emoji = Buffer.concat([Buffer.from(':a PRIVMSG b :ok 🎉 '), Buffer.from('🎉').subarray(0, 3)]);
    assert.equal(decodeIrcLine(emoji), ':a PRIVMSG b :ok 🎉 ');
    // windows-1252 with one accent, or several: no valid UTF-8 character beside it.
    assert.equal(decodeIrcLine(Buffer.from([0x63, 0x61, 0x66, 0xe9])), 'café');
    assert.equal(decodeIrcLine(Buffer.from([0x63, 0xe9, 0x20, 0xe8])), 'cé è');
    // UTF-8 broken twice is not a cut: windows-1252.
    assert.equal(decodeIrcLine(Buffer.concat([Buffer.from('é'), Buffer.from([0xc3, 0x20, 0xc3, 0x20])])), 'Ã©Ã Ã ');
  });

  it('decodes each line on its own: a windows-1252 line between UTF-8 ones changes neither', () => {
    const lines = linesOf(Buffer.concat([Buffer.from('one é\r\n'), Buffer.from([0x74, 0x77, 0x6f, 0x20, 0xe9, 0x0d, 0x0a]), Buffer.from('three é\r\n')]));
    assert.deepEqual(lines, ['one é\r\n', 'two é\r\n', 'three é\r\n']);
  });

  it('keeps a character split across two reads whole, and a line without its end until the end comes', () => {
    const bytes = Buffer.from('café €\r\nnext');
    const lines = linesOf(bytes.subarray(0, 4), bytes.subarray(4, 7), bytes.subarray(7));
    assert.deepEqual(lines, ['café €\r\n']);
    assert.deepEqual(linesOf(bytes.subarray(0, 8), bytes.subarray(8), Buffer.from(' line\n')), ['café €\r\n', 'next line\n']);
  });
});

describe('a line ngircd cut (its [CUT] mark)', () => {
  it('is read without the mark when it is as long as a cut line, and left as written when shorter', () => {
    const long = 'x'.repeat(460);
    assert.equal(beforeServerCut(`${long}[CUT]`), long);
    assert.equal(beforeServerCut('see the [CUT] tag'), undefined);
    assert.equal(beforeServerCut('a short line ending in [CUT]'), undefined, "a short line's [CUT] is the sender's own");
    assert.equal(beforeServerCut(long), undefined);
  });

  it("tells the sender the line's last words (40 characters at most, whole characters)", () => {
    assert.equal(
      serverCutNotice(`${'x'.repeat(400)} and then the order number 👍👍 `),
      'Your line was too long for the IRC server, which cut its end: it stops at "…xxxxxxxxxxx and then the order number 👍👍". Send the rest in another line.',
    );
  });
});
