/**
 * A file's size as people read it, the same wherever it is shown (the widget, the console, the
 * lines that carry files on IM networks, email): decimal units with Intl's unit names in the
 * reader's language, `812 bytes`, `14 kB`, `2.5 MB`, `1.2 GB`; English for a tag Intl refuses.
 * Bytes are named in full: CLDR's short English form is `byte`.
 */
export function readableSize(bytes: number, locale = 'en'): string {
  const [value, unit] =
    bytes < 1000
      ? [bytes, 'byte']
      : bytes < 999_500
        ? [bytes / 1000, 'kilobyte']
        : bytes < 999_500_000
          ? [bytes / 1_000_000, 'megabyte']
          : [bytes / 1_000_000_000, 'gigabyte'];
  const options: Intl.NumberFormatOptions = {
    style: 'unit',
    unit,
    unitDisplay: unit === 'byte' ? 'long' : 'short',
    maximumFractionDigits: value < 9.95 ? 1 : 0,
  };
  try {
    return new Intl.NumberFormat(locale, options).format(value);
  } catch {
    return new Intl.NumberFormat('en', options).format(value);
  }
}
