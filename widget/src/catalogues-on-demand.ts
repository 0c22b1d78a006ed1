/**
 * The chat chunk's catalogues (in catalogues.ts's place in the /widget.js bundle, see
 * rollup.config.mjs): English is built in; another language is a small script fetched the first
 * time it is needed. The loader fetches the page's language before the chat runs, so the chat
 * paints in it at once; a language chosen later (a changed `lang`) shows in English until its
 * catalogue is there, then in its own.
 */
import { HANDOFF_KEY, type LoaderHandoff } from './handoff.js';
import { loadedCatalogues } from './locale-chunks.js';
import { type Catalogue, en } from './locales/en.js';

/** Who waits for each catalogue being fetched. */
const waiting = new Map<string, (() => void)[]>();

/** The URL of a language's chunk, from the loader that fetched this chat; undefined when it has none. */
function chunkOf(language: string): string | undefined {
  const handoff = (window as unknown as Record<string, LoaderHandoff | undefined>)[HANDOFF_KEY];
  return handoff?.localeChunk?.(language);
}

function fetchCatalogue(language: string, url: string, arrived: () => void): void {
  const callbacks = waiting.get(language);
  if (callbacks) return void callbacks.push(arrived);
  waiting.set(language, [arrived]);
  const script = document.createElement('script');
  script.src = url;
  script.async = true;
  const settle = () => {
    const called = waiting.get(language) ?? [];
    waiting.delete(language);
    script.remove();
    // Not there (offline, the bridge unreachable): English meanwhile, and the next render asks again.
    if (Object.hasOwn(loadedCatalogues(), language)) for (const callback of called) callback();
  };
  script.onload = settle;
  script.onerror = settle;
  document.head.append(script);
}

/** The catalogue of a language if it is here now; else fetches it when it exists, and calls `arrived` once it is. */
export function catalogueFor(language: string, arrived?: () => void): Catalogue | undefined {
  if (language === 'en') return en;
  const loaded = loadedCatalogues();
  if (Object.hasOwn(loaded, language)) return loaded[language];
  const url = chunkOf(language);
  if (url && arrived) fetchCatalogue(language, url, arrived);
  return undefined;
}
