/**
 * The /widget.js bundle's languages other than English are small scripts of their own
 * (`/widget/chat-<language>-<hash>.js`, built by rollup.config.mjs): each puts its catalogue here,
 * on the page's window, where the chat chunk finds it, whichever of the two ran first.
 */
import type { Catalogue } from './locales/en.js';

const LOCALES_KEY = '__switchboardLocales';

/** The catalogues the page has loaded, by language. */
export function loadedCatalogues(): Record<string, Catalogue | undefined> {
  const page = window as unknown as Record<string, Record<string, Catalogue | undefined> | undefined>;
  return (page[LOCALES_KEY] ??= {});
}

/** What a locale chunk runs. */
export function registerCatalogue(language: string, catalogue: Catalogue): void {
  loadedCatalogues()[language] = catalogue;
}
