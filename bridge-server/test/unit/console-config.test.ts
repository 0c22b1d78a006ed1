import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config.js';
import { DECOY_HASH, decoyFor, hashPassword, parseHash, verifyPassword } from '../../src/console/passwords.js';

const HASH = 'scrypt$16384$8$1$Sg8kxbv1xbrAoVO42NVXqg==$O88LLbtTbm+T2IdwwK+gLvyqLBYVemsobWwbFOUdkpE=';
const base = (console: unknown, teams: unknown[] = [{ id: 'support', sites: ['shop'], members: ['web:a_alice', 'xmpp:bob@example.org'] }]) => ({
  store: { type: 'sqlite', path: 'db.sqlite' },
  sites: [{ key: 'shop' }, { key: 'blog' }],
  teams,
  console,
});

function problems(raw: unknown): string {
  try {
    parseConfig(raw, 'test.json', '/base');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

describe('console configuration', () => {
  it('has its defaults when left out', () => {
    const config = parseConfig(base(undefined), 'test.json', '/base');
    assert.deepEqual(config.console, { path: '/agent', accounts: [], demoSignIn: false });
  });

  it('accepts an account of a web agent of a team serving its site', () => {
    const config = parseConfig(base({ accounts: [{ site: 'shop', agent: 'alice', passwordHash: HASH }], identityUrl: '/sso/agent' }), 'test.json', '/base');
    assert.equal(config.console.accounts.length, 1);
    assert.equal(config.console.identityUrl, '/sso/agent');
  });

  it('names each wrong account: unknown site, not a web agent, a team not serving the site, twice the same agent', () => {
    const message = problems(
      base({
        accounts: [
          { site: 'nope', agent: 'alice', passwordHash: HASH },
          { site: 'shop', agent: 'bob', passwordHash: HASH },
          { site: 'blog', agent: 'alice', passwordHash: HASH },
          { site: 'shop', agent: 'alice', passwordHash: HASH },
          { site: 'shop', agent: 'alice', passwordHash: HASH },
        ],
      }),
    );
    assert.match(message, /console\.accounts\[0\]\.site: no site has the key "nope"/);
    assert.match(message, /console\.accounts\[1\]\.agent: no team serving site "shop" has a member with the address web:a_bob/);
    assert.match(message, /console\.accounts\[2\]\.agent: no team serving site "blog" has a member with the address web:a_alice/);
    assert.match(message, /console\.accounts\[4\]\.agent: "alice" already has an account \(console\.accounts\[0\]\)/);
  });

  it('refuses a malformed hash, a hash of unaffordable cost, a bad path or identityUrl, naming the field', () => {
    const account = (passwordHash: string) => ({ accounts: [{ site: 'shop', agent: 'alice', passwordHash }] });
    assert.match(problems(base(account('secret'))), /console\.accounts\[0\]\.passwordHash: must be a hash printed by `switchboard-bridge hash-password`/);
    assert.match(problems(base(account(HASH.replace('16384', '16000')))), /passwordHash/);
    assert.match(problems(base(account(HASH.replace('16384', '4194304')))), /passwordHash/);
    assert.match(problems(base({ path: '/agent/' })), /console\.path: must be a path such as \/agent/);
    assert.match(problems(base({ identityUrl: 'javascript:alert(1)' })), /console\.identityUrl: must be an http\(s\) URL/);
    assert.match(problems(base({ identityUrl: '//evil.example' })), /console\.identityUrl/);
    assert.match(problems(base({ acounts: [] })), /console: Unrecognized key: "acounts"/);
  });
});

describe('console passwords', () => {
  it('hashes with a random salt and verifies in constant time; a wrong password, a malformed hash and the decoy fail', async () => {
    const one = await hashPassword('correct horse battery');
    const two = await hashPassword('correct horse battery');
    assert.notEqual(one, two);
    assert.ok(parseHash(one));
    assert.equal(await verifyPassword('correct horse battery', one), true);
    assert.equal(await verifyPassword('correct horse batterY', one), false);
    assert.equal(await verifyPassword('correct horse battery', 'scrypt$1$1$1$x$y'), false);
    assert.equal(await verifyPassword('', DECOY_HASH), false);
    assert.equal(await verifyPassword('alice-demo-password', HASH), true);
  });

  it("makes the decoy for unknown usernames at the accounts' own cost (the most common, the dearer on a tie)", async () => {
    const costOf = (hash: string) => {
      const { N, r, p, hash: key } = parseHash(hash)!;
      return { N, r, p, keyBytes: key.length };
    };
    const dear = { N: 32_768, r: 8, p: 1 };
    const cheap = { N: 1024, r: 8, p: 1 };
    const [d1, d2, c1] = await Promise.all([hashPassword('one', dear), hashPassword('two', dear), hashPassword('three', cheap)]);
    assert.deepEqual(costOf(decoyFor([c1, d1, d2])), { ...dear, keyBytes: 32 });
    assert.deepEqual(costOf(decoyFor([c1, d1])), { ...dear, keyBytes: 32 }, 'a tie: the dearer');
    assert.deepEqual(costOf(decoyFor([c1])), { ...cheap, keyBytes: 32 });
    assert.equal(decoyFor([]), DECOY_HASH, 'no accounts: the default cost');
    assert.equal(await verifyPassword('one', decoyFor([d1])), false, 'no password matches it');
  });

  it('reads NFC and NFD spellings of a password alike', async () => {
    const hash = await hashPassword('caf\u00e9-secret');
    assert.equal(await verifyPassword('cafe\u0301-secret', hash), true);
  });
});
