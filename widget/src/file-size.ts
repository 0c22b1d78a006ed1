/** A file's size for people, in the interface's language: `812 B`, `14 kB`, `2.5 MB` (Intl's unit names). */
export function readableSize(bytes: number, locale: string): string {
  const [value, unit] = bytes < 1000 ? [bytes, 'byte'] : bytes < 1_000_000 ? [bytes / 1000, 'kilobyte'] : [bytes / 1_000_000, 'megabyte'];
  try {
    return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: value < 10 ? 1 : 0 }).format(value);
  } catch {
    return `${Math.round(value)} ${unit}`;
  }
}
