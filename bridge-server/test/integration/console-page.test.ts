// The agent console's page as the bridge serves it (docs/protocol.md, "HTTP", "The agent
// console"): under any console.path with its module named there, revalidated by ETag while the
// hashed modules are cached for good, the demo's agents named by the session, and files under
// server.publicUrl allowed as images.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, bodyOf, startBridge } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/console/', import.meta.url));
const SERVER = { host: '127.0.0.1', port: 0, drainSeconds: 2 };
const TEAMS = [
  {
    id: 'support',
    sites: [SITE],
    members: [{ id: 'alice', name: 'Alice', addresses: ['web:a_alice', 'xmpp:alice@desk.test'] }, 'web:a_bob', 'xmpp:carol@desk.test'],
  },
  { id: 'sales', sites: [SITE], members: ['web:a_bob', 'web:a_dora'] },
];

interface SessionAnswer {
  methods: string[];
  demoAgents?: string[];
}

describe('console page', () => {
  /** The default path, the demo's sign-in on, files under a public URL of another origin. */
  let demo: TestBridge;
  /** Another path, no demo sign-in, no public URL. */
  let elsewhere: TestBridge;
  before(async () => {
    [demo, elsewhere] = await Promise.all([
      startBridge(
        { server: { ...SERVER, publicUrl: 'https://chat.example.com/bridge' }, teams: TEAMS, console: { demoSignIn: true } },
        { consoleDist: FIXTURE },
      ),
      startBridge({ server: SERVER, teams: TEAMS, console: { path: '/support/desk', identityUrl: '/sso' } }, { consoleDist: FIXTURE }),
    ]);
  });
  after(() => Promise.all([demo.stop(), elsewhere.stop()]));

  it('serves the page under any console.path, naming its module there', async () => {
    for (const path of ['/support/desk', '/support/desk/', '/support/desk/conversations/c_1', '/support/desk/index.html']) {
      const page = await fetch(`${elsewhere.url}${path}`);
      assert.equal(page.status, 200, path);
      const html = await page.text();
      assert.match(html, /<script type="module" src="\/support\/desk\/console-test\.js"><\/script>/, path);
      assert.doesNotMatch(html, /\/agent\//, path);
    }
    const module = await fetch(`${elsewhere.url}/support/desk/console-test.js`);
    assert.equal(module.status, 200);
    assert.match(module.headers.get('content-type')!, /javascript/);
    assert.equal((await fetch(`${elsewhere.url}/support/desk/api/session`)).status, 200);
    assert.equal((await fetch(`${elsewhere.url}/agent`)).status, 404);
    assert.match(await (await fetch(`${demo.url}/agent`)).text(), /src="\/agent\/console-test\.js"/, 'the default path as built');
  });

  it('serves the page with no-cache and an ETag (304 while unchanged), the hashed modules cached for good', async () => {
    const page = await fetch(`${elsewhere.url}/support/desk/conversations/c_1`);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const etag = page.headers.get('etag');
    assert.ok(etag, 'an ETag');
    // As a browser revalidates (fetch() would add `Cache-Control: no-cache`, which asks for the page whatever its ETag).
    const revalidate = (tag: string) => ({ headers: { 'if-none-match': tag, 'cache-control': 'max-age=0' } });
    const again = await fetch(`${elsewhere.url}/support/desk`, revalidate(etag));
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    assert.equal((await fetch(`${elsewhere.url}/support/desk`, revalidate('"another"'))).status, 200);
    assert.notEqual((await fetch(`${demo.url}/agent`)).headers.get('etag'), etag, 'the page under another path is another page');
    const page2 = await fetch(`${elsewhere.url}/support/desk/index.html`);
    assert.equal(page2.headers.get('cache-control'), 'no-cache', 'index.html by its name is the page too');

    const module = await fetch(`${elsewhere.url}/support/desk/console-test.js`);
    assert.match(module.headers.get('cache-control')!, /max-age=31536000/);
    assert.match(module.headers.get('cache-control')!, /immutable/);
  });

  it("names the demo's agents in the session when the demo sign-in is on, and nobody otherwise", async () => {
    const session = await bodyOf<SessionAnswer>(await fetch(`${demo.url}/agent/api/session`));
    assert.ok(session.methods.includes('demo'));
    assert.deepEqual(session.demoAgents, ['alice', 'bob', 'dora']);
    const other = await bodyOf<SessionAnswer>(await fetch(`${elsewhere.url}/support/desk/api/session`));
    assert.deepEqual(other.methods, ['identity']);
    assert.equal('demoAgents' in other, false);
  });

  it("allows images and media from server.publicUrl's origin", async () => {
    const policy = (await fetch(`${demo.url}/agent`)).headers.get('content-security-policy')!;
    assert.match(policy, /img-src 'self' data: blob: https:\/\/chat\.example\.com;/);
    assert.match(policy, /media-src 'self' blob: https:\/\/chat\.example\.com;/);
    const without = (await fetch(`${elsewhere.url}/support/desk`)).headers.get('content-security-policy')!;
    assert.match(without, /img-src 'self' data: blob:;/);
    assert.match(without, /media-src 'self' blob:;/);
  });
});
