/**
 * The console's locale, by the widget's mechanism (widget/src/i18n.ts): every visible string comes
 * from a catalogue (locales/, same keys in each language), dates and times are formatted with
 * Intl in the chosen locale, and Arabic is written right to left.
 */
import { ar } from './locales/ar.js';
import { type Catalogue, en } from './locales/en.js';
import { fr } from './locales/fr.js';

export type { Catalogue };

export const CATALOGUES: Record<string, Catalogue> = { en, fr, ar };
const RIGHT_TO_LEFT = new Set(['ar', 'he', 'fa', 'ur']);

export interface Locale {
  /** The BCP 47 tag used for Intl formatting. */
  tag: string;
  dir: 'ltr' | 'rtl';
  t: Catalogue;
  time(date: Date): string;
  day(date: Date): string;
}

/** The best catalogue for a BCP 47 tag (`fr-CA` -> fr), English when there is none. */
export function consoleLocale(tag: string | undefined): Locale {
  const requested = (tag || 'en').trim();
  const language = requested.toLowerCase().split(/[-_]/)[0] ?? 'en';
  const found = Object.hasOwn(CATALOGUES, language) ? CATALOGUES[language] : undefined;
  let used = found ? requested : 'en';
  try {
    Intl.getCanonicalLocales(used);
  } catch {
    used = language;
  }
  const time = new Intl.DateTimeFormat(used, { hour: 'numeric', minute: '2-digit' });
  const day = new Intl.DateTimeFormat(used, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  return {
    tag: used,
    dir: found && RIGHT_TO_LEFT.has(language) ? 'rtl' : 'ltr',
    t: found ?? en,
    time: (date) => time.format(date),
    day: (date) => day.format(date),
  };
}
