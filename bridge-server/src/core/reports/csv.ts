/**
 * A report as CSV (RFC 4180): every cell quoted when it holds a comma, a quote or a line end, and a
 * cell starting with = + - @ (or a tab or carriage return) prefixed with ' so that a spreadsheet
 * shows it as text rather than running it as a formula (OWASP, "CSV Injection").
 */
import type { ReportResult } from '@switchboard/protocol';

const HEADER = [
  'key',
  'conversations',
  'first_response_count',
  'first_response_average_seconds',
  'first_response_median_seconds',
  'resolution_count',
  'resolution_average_seconds',
  'resolution_median_seconds',
  'csat_count',
  'csat_average',
  'csat_satisfied',
];

export function csvCell(value: string | number): string {
  let text = String(value);
  // Numbers are the bridge's own: only text can carry a formula.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function reportCsv(report: ReportResult): string {
  const lines = [HEADER.join(',')];
  for (const row of report.rows) {
    const cells = [
      row.key,
      row.conversations,
      row.firstResponse.count,
      row.firstResponse.averageSeconds,
      row.firstResponse.medianSeconds,
      row.resolution.count,
      row.resolution.averageSeconds,
      row.resolution.medianSeconds,
      row.csat.count,
      row.csat.average,
      row.csat.satisfied,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
