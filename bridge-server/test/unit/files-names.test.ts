// File names as kept and shown (docs/protocol.md, "Files"): no folders, no control characters,
// at most 255 code points cut before the extension, `file` when nothing is left.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanName, nameForType } from '../../src/core/files/names.js';

describe('cleanName', () => {
  it('keeps a plain name as it is', () => {
    assert.equal(cleanName('report 2026.pdf'), 'report 2026.pdf');
    assert.equal(cleanName('Übersicht – März.xlsx'), 'Übersicht – März.xlsx');
  });

  it('drops folders, of either kind of slash', () => {
    assert.equal(cleanName('../a/b.png'), 'b.png');
    assert.equal(cleanName('..\\..\\windows\\system32\\evil.dll'), 'evil.dll');
    assert.equal(cleanName('/etc/passwd'), 'passwd');
  });

  it('removes control characters and direction overrides', () => {
    assert.equal(cleanName('a\u0000b\r\nc\u007f.txt'), 'abc.txt');
    assert.equal(cleanName('invoice\u202Egpj.exe'), 'invoicegpj.exe');
  });

  it('says `file` when nothing is left', () => {
    for (const name of ['', '..', '.', '../', '\u0000\u0001', '   ', 'a/']) assert.equal(cleanName(name), 'file', JSON.stringify(name));
  });

  it('keeps a name that starts with a dot, but not one of dots only', () => {
    assert.equal(cleanName('.htaccess'), '.htaccess');
    assert.equal(cleanName('...'), 'file');
  });

  it('drops trailing dots and spaces, as Windows does on saving, so the extension before them counts', () => {
    assert.equal(cleanName('x.txt.'), 'x.txt');
    assert.equal(cleanName('notes.pdf . .'), 'notes.pdf');
    assert.equal(nameForType(cleanName('x.txt.'), 'txt'), 'x.txt');
    assert.equal(nameForType(cleanName('run.exe.'), 'txt'), 'run.exe.txt');
  });

  it('cuts a long name to 255 code points before its extension', () => {
    const long = `${'é'.repeat(300)}.pdf`;
    const cleaned = cleanName(long);
    assert.equal([...cleaned].length, 255);
    assert.ok(cleaned.endsWith('.pdf'));
    const emoji = `${'🎉'.repeat(300)}`;
    assert.equal([...cleanName(emoji)].length, 255);
    assert.ok(cleanName(emoji).isWellFormed(), 'no surrogate pair split');
  });
});

describe('nameForType', () => {
  it('keeps a name whose extension names the type found, in any case or spelling', () => {
    assert.equal(nameForType('shot.PNG', 'png'), 'shot.PNG');
    assert.equal(nameForType('photo.jpeg', 'jpg'), 'photo.jpeg');
    assert.equal(nameForType('notes.md', 'txt'), 'notes.md');
    assert.equal(nameForType('data.csv', 'txt'), 'data.csv');
    assert.equal(nameForType('page.htm', 'html'), 'page.htm');
  });

  it('adds the extension of the type found to a name that claims another, so a download never runs', () => {
    assert.equal(nameForType('Invoice.pdf.hta', 'txt'), 'Invoice.pdf.hta.txt');
    assert.equal(nameForType('run.js', 'txt'), 'run.js.txt');
    assert.equal(nameForType('setup.bat', 'txt'), 'setup.bat.txt');
    assert.equal(nameForType('cat.png', 'html'), 'cat.png.html');
    assert.equal(nameForType('report', 'pdf'), 'report.pdf');
    assert.equal(nameForType('blob.exe', 'bin'), 'blob.exe.bin');
  });

  it('stays within the length limit, keeping the added extension', () => {
    const name = nameForType(`${'a'.repeat(255)}.exe`, 'txt');
    assert.equal([...name].length, 255);
    assert.ok(name.endsWith('.txt'));
  });
});
