import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attachment } from '@switchboard/protocol';
import { dccOfferedFile, dccRefusal, fileLinesText } from '../../src/networks/irc/files.js';
import { shortFileName } from '../../src/networks/kit/file-lines.js';
import { RefusalNotices } from '../../src/networks/irc/refusal-notices.js';
import { toIrcLines } from '../../src/networks/irc/lines.js';
import type { NetworkFiles } from '../../src/networks/network.js';

const files: NetworkFiles = {
  link: (file, recipient) => `https://chat.example/v1/files/${file.id}/${encodeURIComponent(file.name)}?p=${encodeURIComponent(recipient)}&e=1&s=x`,
  read: () => Promise.resolve(null),
  maxFileBytes: 10_000_000,
};
const file = (name: string, size = 1200): Attachment => ({ id: `f_${name.length}`, name, type: 'application/pdf', size, sha256: 'a'.repeat(64) });

describe('IRC files', () => {
  it('writes one line per file, with a link signed for the recipient', () => {
    const text = fileLinesText({ attachments: [file('report.pdf'), file('a.png', 48_000)] }, files, 'irc:alice@libera');
    assert.deepEqual(text.split('\n'), [
      '[file] report.pdf (1.2 kB): https://chat.example/v1/files/f_10/report.pdf?p=irc%3Aalice%40libera&e=1&s=x',
      '[file] a.png (48 kB): https://chat.example/v1/files/f_5/a.png?p=irc%3Aalice%40libera&e=1&s=x',
    ]);
    assert.equal(fileLinesText({}, files, 'irc:alice@libera'), '');
  });

  it('shows a long name shortened to 100 bytes, its extension kept, so the file stays one line of 512 bytes; the link serves it whole', () => {
    const link = `https://chat.example.org/v1/files/f_0mxddbsan084becb5429d5936e32b/${'e'.repeat(40)}.png?p=irc%3Aalice%40libera&e=1796653232&s=${'A'.repeat(43)}`;
    const linked: NetworkFiles = { ...files, link: () => link };
    for (const name of [`${'\u00e9'.repeat(251)}.png`, `${'\u{1F600}'.repeat(200)}.png`, 'x'.repeat(255)]) {
      const text = fileLinesText({ attachments: [file(name)] }, linked, 'irc:alice@libera');
      const shown = /^\[file\] (.*) \(1\.2 kB\): /.exec(text)![1]!;
      assert.ok(Buffer.byteLength(shown) <= 100, shown);
      assert.ok(shown.endsWith(name.endsWith('.png') ? '\u2026.png' : '\u2026'), shown);
      // Relayed by the bot past maxPuppets, with its prefix: still one line.
      const { lines } = toIrcLines(`[Visitor #3fa9c] ${text}`, { target: 'alice', prefixBytes: 80, maxLines: 10 });
      assert.equal(lines.length, 1, name.slice(0, 10));
    }
    assert.equal(shortFileName('report.pdf', 100), 'report.pdf', 'a short name as it is');
    assert.equal(
      fileLinesText({ attachments: [file(`${'\u00e9'.repeat(251)}.png`)] }, files, 'irc:alice@libera').includes(
        encodeURIComponent(`${'\u00e9'.repeat(251)}.png`),
      ),
      true,
      'the link names the whole file',
    );
  });

  it('keeps a hostile file name from writing a command of its own', () => {
    const name = 'x.png\r\nQUIT :bye\rPRIVMSG #ops :hi\u0000\u0001DCC SEND evil\u0001';
    const text = fileLinesText({ attachments: [file(name)] }, files, 'irc:alice@libera');
    const { lines } = toIrcLines(text, { target: 'alice', prefixBytes: 80, maxLines: Number.POSITIVE_INFINITY });
    for (const line of lines) {
      const wire = `PRIVMSG alice :${line}`;
      assert.doesNotMatch(wire, /[\r\n\u0000\u0001]/, 'no line break, NUL or CTCP on the wire');
    }
    // The name's pieces are text of PRIVMSG lines to the recipient, never lines of their own.
    assert.ok(lines.some((line) => line.startsWith('QUIT :bye')));
  });

  it('recognises DCC file offers and names the file', () => {
    assert.equal(dccOfferedFile({ type: 'DCC', message: 'DCC SEND report.pdf 2130706433 5000 1024' }), 'report.pdf');
    assert.equal(dccOfferedFile({ type: 'DCC', message: 'DCC SEND "my report.pdf" 2130706433 5000 1024' }), 'my report.pdf');
    assert.equal(dccOfferedFile({ type: 'DCC', message: 'DCC SSEND a.bin 1 2 3' }), 'a.bin');
    assert.equal(dccOfferedFile({ type: 'DCC', message: 'DCC CHAT chat 2130706433 5000' }), null);
    assert.equal(dccOfferedFile({ type: 'VERSION', message: 'VERSION' }), null);
    assert.match(dccRefusal('a.pdf'), /^"a\.pdf" was not received: files are not carried over IRC here .*paste the link instead\.$/);
  });

  it('tells a sender once a minute at most', () => {
    const told = new RefusalNotices(60_000, 2);
    assert.equal(told.tell('Dave', 0), true);
    assert.equal(told.tell('dave', 30_000), false);
    assert.equal(told.tell('dave', 61_000), true);
    assert.equal(told.tell('erin', 61_000), true);
    assert.equal(told.tell('frank', 61_000), true); // dave, the longest told, is forgotten
    assert.equal(told.tell('dave', 62_000), true);
  });
});
