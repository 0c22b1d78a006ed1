// Signed links to files (docs/protocol.md, "Files", "Reading"): bound to the file, its variant, the
// party and the expiry; any change, or time past the expiry, and the link opens nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FileLinks, type LinkClaims, linkName } from '../../src/core/files/links.js';

const links = new FileLinks('a-secret-for-the-links-of-these-tests');
const NOW = Date.parse('2026-12-01T12:00:00Z');
const claims: LinkClaims = { fileId: 'f_1', variant: 'original', party: 'xmpp:alice@example.org', expires: NOW / 1000 + 60 };

function queryOf(path: string): Record<string, string> {
  return Object.fromEntries(new URL(path, 'http://bridge.test').searchParams);
}

describe('FileLinks', () => {
  it('makes a link that verifies, naming its party and expiry', () => {
    const path = links.path(claims, 'a report.pdf');
    assert.match(path, /^\/v1\/files\/f_1\/a_report\.pdf\?p=xmpp%3Aalice%40example\.org&e=\d+&s=[\w-]+$/);
    assert.deepEqual(links.verify('f_1', queryOf(path), NOW), { ok: true, claims });
  });

  it('refuses a link whose signature, party, expiry, file or variant was changed', () => {
    const query = queryOf(links.path(claims, 'x'));
    const tampered = (change: Record<string, string>, fileId = 'f_1') => links.verify(fileId, { ...query, ...change }, NOW);
    const flipped = query.s!.startsWith('A') ? `B${query.s!.slice(1)}` : `A${query.s!.slice(1)}`;
    assert.deepEqual(tampered({ s: flipped }), { ok: false, reason: 'signature' });
    assert.deepEqual(tampered({ p: 'xmpp:mallory@example.org' }), { ok: false, reason: 'signature' });
    assert.deepEqual(tampered({ e: String(Number(query.e) + 3600) }), { ok: false, reason: 'signature' });
    assert.deepEqual(tampered({ variant: 'thumbnail' }), { ok: false, reason: 'signature' });
    assert.deepEqual(tampered({}, 'f_2'), { ok: false, reason: 'signature' });
    assert.deepEqual(tampered({ s: '' }), { ok: false, reason: 'signature' });
  });

  it('refuses a link of another secret', () => {
    const other = new FileLinks('another-secret-for-another-bridge');
    assert.deepEqual(links.verify('f_1', queryOf(other.path(claims, 'x')), NOW), { ok: false, reason: 'signature' });
  });

  it('refuses an expired link, from its expiry on', () => {
    const query = queryOf(links.path(claims, 'x'));
    assert.equal(links.verify('f_1', query, claims.expires * 1000 - 1).ok, true);
    assert.deepEqual(links.verify('f_1', query, claims.expires * 1000), { ok: false, reason: 'expired' });
  });

  it('binds the thumbnail variant', () => {
    const thumb = { ...claims, variant: 'thumbnail' as const };
    const query = queryOf(links.path(thumb, 'x'));
    assert.equal(query.variant, 'thumbnail');
    assert.deepEqual(links.verify('f_1', query, NOW), { ok: true, claims: thumb });
    const { variant: _variant, ...withoutVariant } = query;
    assert.deepEqual(links.verify('f_1', withoutVariant, NOW), { ok: false, reason: 'signature' });
  });

  it('refuses malformed queries', () => {
    assert.deepEqual(links.verify('f_1', {}, NOW), { ok: false, reason: 'malformed' });
    assert.deepEqual(links.verify('f_1', { p: 'x', e: 'soon', s: 'y' }, NOW), { ok: false, reason: 'malformed' });
    assert.deepEqual(links.verify('f_1', { p: 'x', e: '1', s: 'y', variant: 'big' }, NOW), { ok: false, reason: 'malformed' });
  });

  it('names a link in short ASCII, so it stays whole on an IRC line, keeping the extension', () => {
    assert.equal(linkName('a report.pdf'), 'a_report.pdf');
    assert.equal(linkName('Café déjà vu.png'), 'Cafe_deja_vu.png');
    assert.equal(linkName('请看这个截图.png'), 'file.png');
    assert.equal(linkName(`${'скриншот'.repeat(20)}.jpeg`), 'file.jpeg');
    const long = linkName(`${'x'.repeat(100)}.jpeg`);
    assert.equal(long.length, 40);
    assert.ok(long.endsWith('.jpeg'));
    assert.equal(linkName('...'), 'file');
    assert.equal(linkName('../../etc/passwd'), 'etc_passwd');
  });
});
