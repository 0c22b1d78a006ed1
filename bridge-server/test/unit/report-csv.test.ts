import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell, reportCsv } from '../../src/core/reports/csv.js';

const figures = { count: 0, averageSeconds: 0, medianSeconds: 0 };

describe('report CSV', () => {
  it('quotes commas, quotes and line ends (RFC 4180)', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell(12.5), '12.5');
  });

  it('guards against formula injection: text starting with = + - @ tab or CR is prefixed with a quote', () => {
    assert.equal(csvCell('=HYPERLINK("http://evil.test","x")'), `"'=HYPERLINK(""http://evil.test"",""x"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-2'), "'-2");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\tx'), "'\tx");
    assert.equal(csvCell('\rx'), `"'\rx"`);
    assert.equal(csvCell(-2), '-2', "the bridge's own numbers stay numbers");
  });

  it('writes a header and one line per row, CRLF-terminated', () => {
    const csv = reportCsv({
      from: '2026-01-01',
      to: '2026-01-31',
      by: 'agent',
      rows: [
        {
          key: '=cmd|x',
          conversations: 3,
          firstResponse: { count: 2, averageSeconds: 30.5, medianSeconds: 30.5 },
          resolution: figures,
          csat: { count: 1, average: 4, satisfied: 1 },
        },
      ],
    });
    const lines = csv.split('\r\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.split(',')[0], 'key');
    assert.equal(lines[1], "'=cmd|x,3,2,30.5,30.5,0,0,0,1,4,1");
    assert.equal(lines[2], '');
  });
});
