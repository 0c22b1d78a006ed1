// The bridge's patch of SIP.js's URI writing (bridge-server/src/networks/sip/uri-escaping.ts, which
// says why it exists): it must still take effect, and SIP.js's own escaping must still be the one it
// replaces. A SIP.js upgrade that changes either fails here, not in a proxy that routes nowhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { URI, UserAgent } from 'sip.js';
import { escapeUser } from '../../src/networks/sip/uri-escaping.js';

/** What SIP.js does without the patch: run in a process of its own, which never loads it. */
function unpatched(): { escapes: string; reads: string | undefined; hasMethod: boolean } {
  const code = `
    import { URI, UserAgent } from 'sip.js';
    console.log(JSON.stringify({
      escapes: new URI('sip', 'irc:bob@libera', 'web.example.org').toString(),
      reads: UserAgent.makeURI('sip:irc%3Abob%40libera@web.example.org')?.user,
      hasMethod: typeof URI.prototype.escapeUser === 'function',
    }));`;
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { escapes: string; reads: string | undefined; hasMethod: boolean };
}

describe('SIP.js user part escaping (the patch in networks/sip/uri-escaping.ts)', () => {
  it('is still needed: SIP.js writes user parts through URI.prototype.escapeUser, leaving ":" bare, and decodes them when it reads', () => {
    const shipped = unpatched();
    assert.ok(shipped.hasMethod, 'SIP.js still has URI.prototype.escapeUser, the method the bridge replaces');
    assert.equal(shipped.escapes, 'sip:irc:bob%40libera@web.example.org', "SIP.js's own escaping (if this changed, review the patch)");
    assert.equal(shipped.reads, 'irc:bob@libera', 'SIP.js decodes a user part it parses');
  });

  it('takes effect: every URI SIP.js writes has its user part escaped as the bridge writes it', () => {
    assert.equal(new URI('sip', 'irc:bob@libera', 'web.example.org').toString(), 'sip:irc%3Abob%40libera@web.example.org');
    assert.equal(new URI('sip', 'irc:bob@libera', 'web.example.org').toRaw(), 'sip:irc%3Abob%40libera@web.example.org');
    // Parsed (and so decoded) then written again: the same URI, escaped once.
    assert.equal(UserAgent.makeURI('sip:irc%3Abob%40libera@web.example.org')!.toString(), 'sip:irc%3Abob%40libera@web.example.org');
    assert.equal(UserAgent.makeURI('sip:irc:bob%40libera@web.example.org')!.toString(), 'sip:irc%3Abob%40libera@web.example.org', 'the older form too');
    assert.equal(UserAgent.makeURI('sip:v_3fa9c@web.example.org')!.toString(), 'sip:v_3fa9c@web.example.org');
    assert.equal(UserAgent.makeURI('sip:+1555?x/y@example.org')!.toString(), 'sip:+1555?x/y@example.org', '"+", "?" and "/" stay as they are');
  });

  it('writes what a user part may hold, and escapes everything else', () => {
    assert.equal(escapeUser("a-_.!~*'()+?/"), "a-_.!~*'()+?/");
    assert.equal(escapeUser('u_Bob Smith:é@x'), 'u_Bob%20Smith%3A%C3%A9%40x');
  });
});
