/**
 * Every catalogue, at hand at once: what the npm package and its `<switchboard-chat>` use. The
 * /widget.js bundle uses catalogues-on-demand.ts in this module's place (rollup.config.mjs), so
 * that a page downloads its own language only. Add a language by adding a catalogue here and
 * under locales/.
 */
import { ar } from './locales/ar.js';
import { type Catalogue, en } from './locales/en.js';
import { fr } from './locales/fr.js';

export const CATALOGUES: Record<string, Catalogue> = { en, fr, ar };

/**
 * The catalogue of a language (a lowercase primary subtag), undefined when there is none. Here
 * every catalogue is present, so `arrived` (called when one fetched on demand is there) never is.
 */
export function catalogueFor(language: string, _arrived?: () => void): Catalogue | undefined {
  return Object.hasOwn(CATALOGUES, language) ? CATALOGUES[language] : undefined;
}
