import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import { webHostedParties } from '../../src/networks/web/hosted.js';

describe('IRC addresses', () => {
  const addresses = new IrcAddresses('libera', webHostedParties);

  it("names a nick of this network by a lowercased address, and reads the nick back only from this network's", () => {
    assert.equal(addresses.addressOf('Dave'), 'irc:dave@libera');
    assert.equal(addresses.nickOf('irc:Dave@libera'), 'Dave');
    assert.equal(addresses.nickOf('irc:dave@oftc'), null);
    assert.equal(addresses.nickOf('irc:1bad@libera'), null);
    assert.equal(addresses.nickOf('xmpp:dave@libera'), null);
    assert.equal(addresses.nickOf('irc:dave'), null);
  });

  it("makes one address of nicks the server takes for one (CASEMAPPING), keeping a given address's spelling", () => {
    let casemapping: 'ascii' | 'rfc1459' = 'rfc1459';
    const mapped = new IrcAddresses('libera', webHostedParties, () => casemapping);
    assert.equal(mapped.addressOf('Ed[W]\\'), 'irc:ed{w}|@libera');
    assert.equal(mapped.addressOf('ed{w}|'), 'irc:ed{w}|@libera');
    assert.equal(mapped.normalize('irc:ED[w]\\@libera'), 'irc:ed{w}|@libera');
    mapped.keep(['irc:ed[w]\\@libera']);
    assert.equal(mapped.addressOf('Ed{W}|'), 'irc:ed[w]\\@libera', "the configured agent's address");
    casemapping = 'ascii'; // ngircd: only A-Z fold
    assert.equal(mapped.addressOf('Ed{W}|'), 'irc:ed{w}|@libera', 'another user');
    assert.equal(mapped.addressOf('Ed[W]\\'), 'irc:ed[w]\\@libera');
  });

  it('normalizes what a user typed for this network', () => {
    assert.equal(addresses.normalize('irc:Dave'), 'irc:dave@libera');
    assert.equal(addresses.normalize('irc:Dave@libera'), 'irc:dave@libera');
    assert.equal(addresses.normalize('irc:dave@oftc'), null);
    assert.equal(addresses.normalize('irc:two words'), null);
    assert.equal(addresses.normalize('sip:dave@x.test'), null);
  });

  it("shows a party by the name it gave, else its id (a hosted party's) or its address's user part, on one line", () => {
    assert.equal(addresses.nameOf('web:v_7f3a'), 'v_7f3a');
    assert.equal(addresses.nameOf('xmpp:carl@example.org'), 'carl');
    assert.equal(addresses.nameOf('sip:a@b@x.test'), 'a@b');
    assert.equal(addresses.nameOf('web:v_7f3a', 'Ann\r\nPRIVMSG #x :hi'), 'Ann PRIVMSG #x :hi');
    assert.equal(addresses.nameOf('web:v_7f3a', '   '), 'visitor');
    // Cut at 32 characters between user-perceived ones: a family emoji whole or not at all.
    assert.equal(addresses.nameOf('web:v_7f3a', `${'a'.repeat(30)}\u{1F468}\u200D\u{1F469}\u200D\u{1F467}`), 'a'.repeat(30));
    assert.equal(addresses.isIrc('irc:dave@oftc'), true);
    assert.equal(addresses.isIrc('web:v_7f3a'), false);
  });
});
