import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toIrcLines } from '../../src/networks/irc/lines.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const PREFIX = ':v_7f3a9c!switchboard@bridge.example.org '.length;
const options = { target: 'alice', prefixBytes: PREFIX, maxLines: 1000 };
/** What each line costs on the wire, as the server relays it. */
const wire = (line: string) => PREFIX + bytes(`PRIVMSG alice :${line}\r\n`);
const segments = (text: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.index);

const texts = fc
  .array(
    fc.constantFrom(
      'a',
      'word ',
      ' ',
      'é',
      '\u{1F600}',
      '\u{1F469}\u200D\u{1F4BB}',
      'e\u0301',
      '中',
      '\n',
      '\r\n',
      '\r',
      '\u0000',
      '\u0001',
      '\t',
      'x'.repeat(40),
      // One grapheme of hundreds of bytes ("zalgo" text: stacked combining marks).
      `Z${'\u0301'.repeat(100)}`,
      `Z${'\u0301'.repeat(190)}`,
    ),
    { maxLength: 200 },
  )
  .map((parts) => parts.join(''));

describe('IRC lines', () => {
  it('keeps every line within 512 bytes with the relay prefix and CR LF, and nothing unsafe on the wire', () => {
    fc.assert(
      fc.property(texts, (text) => {
        for (const line of toIrcLines(text, options).lines) {
          assert.ok(wire(line) <= 512, `${wire(line)} bytes`);
          assert.doesNotMatch(line, /[\r\n\u0000\u0001]/);
          assert.ok(line.length > 0);
          assert.ok(line.isWellFormed());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a line within 512 bytes when a grapheme of hundreds of bytes follows a cut before a space', () => {
    const text = `${'x'.repeat(240)} ${'y'.repeat(150)}Z${'\u0301'.repeat(190)} end`;
    const { lines } = toIrcLines(text, options);
    for (const line of lines) assert.ok(wire(line) <= 512, `${wire(line)} bytes`);
    assert.equal(lines.join(''), text);
  });

  it('never drops or alters a character: the lines join back into the text (line breaks and trailing blanks aside)', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const expected = text
          .split(/\r\n|\r|\n/)
          .map((line) => line.replace(/[ \t]+$/, ''))
          .join('')
          .replaceAll('\u0000', '\uFFFD')
          .replaceAll('\u0001', '\uFFFD');
        assert.equal(toIrcLines(text, options).lines.join(''), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts only between graphemes (never inside an emoji sequence or before a combining mark)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('\u{1F469}\u200D\u{1F4BB}', 'e\u0301', '\u{1F1EB}\u{1F1F7}', 'ab'), { minLength: 100, maxLength: 400 }).map((p) => p.join('')),
        (text) => {
          const { lines } = toIrcLines(text, options);
          let at = 0;
          const boundaries = new Set(segments(text));
          for (const line of lines.slice(0, -1)) {
            at += line.length;
            assert.ok(boundaries.has(at), `cut at ${at} is inside a grapheme`);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('prefers to cut before a space, which starts the next line (trailing spaces get trimmed in transit)', () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const { lines } = toIrcLines(words, options);
    assert.ok(lines.length > 1);
    for (const line of lines.slice(0, -1)) assert.doesNotMatch(line, / $/);
    for (const line of lines.slice(1)) assert.match(line, /^ word/);
    assert.equal(lines.join(''), words);
  });

  it('starts a new line at each line break and skips empty ones', () => {
    assert.deepEqual(toIrcLines('one\ntwo\r\n\r\nthree\rfour', options).lines, ['one', 'two', 'three', 'four']);
  });

  it('cuts what is beyond the maximum and says so in a last line', () => {
    const text = Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n');
    const { lines, truncated } = toIrcLines(text, { ...options, maxLines: 4 });
    assert.equal(truncated, true);
    assert.deepEqual(lines, ['line 0', 'line 1', 'line 2', '[message cut: 7 more lines]']);
    assert.equal(toIrcLines('short', { ...options, maxLines: 4 }).truncated, false);
  });

  it("cuts a command's answer after its first line instead, keeping its heading and its last lines", () => {
    const text = ['Last 10 of #3fa9c:', ...Array.from({ length: 10 }, (_, i) => `line ${i}`)].join('\n');
    const { lines, truncated } = toIrcLines(text, { ...options, maxLines: 5, cut: 'after-first' });
    assert.equal(truncated, true);
    assert.deepEqual(lines, ['Last 10 of #3fa9c:', '[7 lines cut]', 'line 7', 'line 8', 'line 9']);
    assert.deepEqual(toIrcLines('a\nb\nc', { ...options, maxLines: 3, cut: 'after-first' }).lines, ['a', 'b', 'c']);
  });

  it('neutralises CTCP, except /me which becomes ACTION on every line', () => {
    assert.deepEqual(toIrcLines('\u0001VERSION\u0001', options).lines, ['\uFFFDVERSION\uFFFD']);
    const action = toIrcLines(`/me waves ${'hello '.repeat(120)}`, options);
    assert.ok(action.lines.length > 1);
    for (const line of action.lines) {
      assert.match(line, /^\u0001ACTION \S[^\u0001]*\u0001$/, 'one space after ACTION, on every line');
      assert.ok(wire(line) <= 512);
    }
    assert.equal(action.lines.map((line) => line.slice('\u0001ACTION '.length, -1)).join(' '), `waves ${'hello '.repeat(120).trimEnd()}`);
    assert.deepEqual(toIrcLines('/me', options).lines, ['/me']);
  });

  it("removes formatting codes and control characters from the sender's text: an agent reads words, never hidden or ringing text", () => {
    const text = '\u0002BOLD\u0002 \u000304,01red\u000f \u001dital\u001d \u0007bell \u001b[31mesc\u00041a2b3cx\u0016\u001f\u001e\u0011end\ttab';
    assert.deepEqual(toIrcLines(text, options).lines, ['BOLD red ital bell [31mescxend\ttab']);
    // Lines, their breaks and a comma after a colour's digits stay as written.
    assert.deepEqual(toIrcLines('a\u0003,b\r\nc', options).lines, ['a,b', 'c']);
  });

  it('refuses a target and prefix that leave no room for text', () => {
    assert.throws(() => toIrcLines('x', { ...options, prefixBytes: 500 }), RangeError);
  });
});
