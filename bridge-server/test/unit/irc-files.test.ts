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

  it('shows a long name shortened, its extension kept, so the file stays on one line of 512 bytes; the link serves it whole', () => {
    const name = `${'\u00e9'.repeat(251)}.png`; // 255 characters of two bytes each
    const text = fileLinesText({ attachments: [file(name)] }, files, 'irc:alice@libera');
    assert.ok(text.startsWith(`[file] ${'\u00e9'.repeat(55)}\u2026.png (1.2 kB): https://chat.example/v1/files/f_255/`), text);
    assert.ok(text.includes(encodeURIComponent(name)), 'the link names the whole file');
    const real = `https://chat.example.org/v1/files/f_0mxddbsan084becb5429d5936e32b/${'e'.repeat(40)}.png?p=irc%3Aalice%40libera&e=1796653232&s=${'A'.repeat(43)}`;
    const { lines } = toIrcLines(`[file] ${shortFileName(name, 60)} (1.2 kB): ${real}`, { target: 'alice', prefixBytes: 80, maxLines: 10 });
    assert.equal(lines.length, 1, 'one line');
    assert.equal(fileLinesText({ attachments: [file('report.pdf')] }, files, 'irc:alice@libera').split(' ')[1], 'report.pdf', 'a short name as it is');
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
