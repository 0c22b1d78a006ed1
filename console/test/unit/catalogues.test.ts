// The console's catalogues speak their language: the same keys as English, nothing left in English
// but the words both languages share, and Arabic right to left.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOGUES, consoleLocale } from '../../src/i18n.js';
import { en } from '../../src/locales/en.js';

/** Keys whose text may be the same as English (words borrowed as they are). */
const SAME_IN: Record<string, Set<string>> = { fr: new Set(['conversations', 'messages', 'note', 'page', 'agents', 'viewCount']), ar: new Set<string>() };

/** Sample arguments: numbers, names, and the keys the lookups translate (views, kinds, networks, proofs, ...). */
const SAMPLES = [
  'Uma',
  'mine',
  'unassigned',
  'open',
  'closed',
  'message',
  'customer',
  'mailto',
  'web',
  'away',
  'team',
  'dark',
  'auto',
  'read',
  'network',
  'wrote',
];

const said = (entry: unknown): string =>
  typeof entry === 'function' ? SAMPLES.map((sample) => String((entry as (a: unknown, b: unknown) => unknown)(sample, 2))).join('|') : JSON.stringify(entry);

describe('console catalogues', () => {
  for (const [language, catalogue] of Object.entries(CATALOGUES).filter(([language]) => language !== 'en')) {
    it(`${language}: every key of English, each translated`, () => {
      assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(en).sort());
      const untranslated = Object.keys(en).filter(
        (key) => !SAME_IN[language]?.has(key) && said(en[key as keyof typeof en]) === said(catalogue[key as keyof typeof en]),
      );
      assert.deepEqual(untranslated, []);
    });
  }

  it('resolves a region to its language, Arabic right to left, an unknown language to English', () => {
    assert.equal(consoleLocale('fr-CA').t.signIn, 'Se connecter');
    assert.equal(consoleLocale('ar').dir, 'rtl');
    assert.equal(consoleLocale('xx').t, en);
    assert.equal(consoleLocale('xx').dir, 'ltr');
  });
});
