/**
 * The widget's locale: every visible string comes from a catalogue (locales/); dates and times are
 * formatted with Intl in the chosen locale.
 */
import { catalogueFor } from './catalogues.js';
import { type Catalogue, en } from './locales/en.js';

export type { Catalogue };

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur']);

export interface Locale {
  /** The BCP 47 tag used for Intl formatting. */
  tag: string;
  dir: 'ltr' | 'rtl';
  t: Catalogue;
  time(date: Date): string;
}

/**
 * The best catalogue for a BCP 47 tag (`fr-CA` -> fr), English when there is none. Where
 * catalogues are fetched on demand (the /widget.js bundle), English stands in until the
 * language's own is there, and `arrived` is called then: resolve again.
 */
export function resolveLocale(tag: string | undefined, arrived?: () => void): Locale {
  const requested = (tag || 'en').trim();
  const language = requested.toLowerCase().split(/[-_]/)[0] ?? 'en';
  const found = catalogueFor(language, arrived);
  const used = found ? requested : 'en';
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat(used, { hour: 'numeric', minute: '2-digit' });
  } catch {
    formatter = new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit' });
  }
  return { tag: used, dir: RTL_LANGUAGES.has(language) && found ? 'rtl' : 'ltr', t: found ?? en, time: (date) => formatter.format(date) };
}
