import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ircLower, puppetNick, sanitizeNick } from '../../src/networks/irc/nicks.js';

const VALID = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

describe('IRC puppet nicks', () => {
  it('makes any name a valid nick within NICKLEN (RFC 2812 section 2.3.1)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 })), fc.integer({ min: 9, max: 30 }), (name, nickLen) => {
        const nick = sanitizeNick(name, nickLen);
        assert.match(nick, VALID);
        assert.ok(nick.length <= nickLen);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps readable names readable', () => {
    assert.equal(sanitizeNick('Dana Scully', 30), 'Dana_Scully');
    assert.equal(sanitizeNick('Zoë', 30), 'Zoe');
    assert.equal(sanitizeNick('42 answers', 30), 'v42_answers');
    // Letters without an ASCII form are written in Latin letters, not dropped.
    assert.equal(sanitizeNick('Łukasz Øster', 30), 'Lukasz_Oster');
    assert.equal(sanitizeNick('Иван Петров', 30), 'Ivan_Petrov');
    assert.equal(sanitizeNick('Σωκράτης', 30), 'Sokratis');
    assert.equal(sanitizeNick('渡辺', 30), 'DuBian');
    assert.equal(sanitizeNick('Straße', 30), 'Strasse');
    // A symbol or an emoji is no letter: it is not written out by name.
    assert.equal(sanitizeNick('😀 Smile ★', 30), 'Smile');
    assert.equal(sanitizeNick('😀', 30), 'visitor');
    assert.equal(sanitizeNick('a very long name indeed', 9), 'a_very_lo');
  });

  it('resolves collisions deterministically and visibly, per visitor', () => {
    const taken = new Set(['dana']);
    const first = puppetNick('Dana', 'v_7f3a9c', { nickLen: 16, taken: (n) => taken.has(n) });
    assert.equal(first, 'Dana|7f3');
    assert.equal(puppetNick('Dana', 'v_7f3a9c', { nickLen: 16, taken: (n) => taken.has(n) }), first);
    taken.add(ircLower(first));
    assert.equal(puppetNick('Dana', 'v_7f3a9c', { nickLen: 16, taken: (n) => taken.has(n) }), 'Dana|7f32');
    assert.equal(puppetNick('Dana', 'v_0b1c2d', { nickLen: 16, taken: (n) => taken.has(n) }), 'Dana|0b1');
  });

  it('fits the suffix within a short NICKLEN', () => {
    const nick = puppetNick('Alexandria', 'v_7f3a9c', { nickLen: 9, taken: (n) => n === 'alexandri' });
    assert.equal(nick, 'Alexa|7f3');
    assert.ok(nick.length <= 9);
  });

  it("compares nicks with the server's casemapping", () => {
    assert.equal(ircLower('Dana[1]\\~', 'rfc1459'), 'dana{1}|^');
    assert.equal(ircLower('Dana[1]\\~', 'strict-rfc1459'), 'dana{1}|~');
    assert.equal(ircLower('Dana[1]\\~', 'ascii'), 'dana[1]\\~');
    const nick = puppetNick('Ab[c]', 'v_1', { nickLen: 16, casemapping: 'rfc1459', taken: (n) => n === 'ab{c}' });
    assert.equal(nick, 'Ab[c]|1');
  });
});
