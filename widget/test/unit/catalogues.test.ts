// Every catalogue speaks its own language: the same keys as English, and none left in English
// (the few words that are the same in both are named).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOGUES } from '../../src/catalogues.js';
import { en } from '../../src/locales/en.js';

/** Keys whose text may be the same as English in a language (a word borrowed as is). */
const SAME_IN = { fr: new Set(['messageLabel', 'agent', 'code']), ar: new Set<string>() } as Record<string, Set<string>>;

/** What a catalogue entry says, with sample arguments for the ones that take some. */
function said(entry: unknown): string {
  return typeof entry === 'function' ? String((entry as (...args: unknown[]) => unknown)('mailto', 2)) : String(entry);
}

describe('widget catalogues', () => {
  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    if (language === 'en') continue;
    it(`${language}: every key of English, each translated`, () => {
      assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(en).sort());
      const english = Object.entries(en).filter(([key, entry]) => !SAME_IN[language]?.has(key) && said(entry) === said(catalogue[key as keyof typeof en]));
      assert.deepEqual(
        english.map(([key]) => key),
        [],
      );
    });
  }
});
