/**
 * A file's size for people, in the interface's language: `812 bytes`, `14 kB`, `2.5 MB` (Intl's unit
 * names; English for a tag Intl refuses). Bytes are named in full: CLDR's short English form is `byte`.
 */
export function readableSize(bytes: number, locale: string): string {
  const [value, unit] = bytes < 1000 ? [bytes, 'byte'] : bytes < 1_000_000 ? [bytes / 1000, 'kilobyte'] : [bytes / 1_000_000, 'megabyte'];
  const options: Intl.NumberFormatOptions = { style: 'unit', unit, unitDisplay: unit === 'byte' ? 'long' : 'short', maximumFractionDigits: value < 10 ? 1 : 0 };
  try {
    return new Intl.NumberFormat(locale, options).format(value);
  } catch {
    return new Intl.NumberFormat('en', options).format(value);
  }
}
