// docs/support-desk.md, "Signing agents in": the Express backend example, run as written (its
// `express` import pointed at this repository's), serves an agent identity the bridge accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HandshakeAuth } from '@switchboard/protocol';
import express, { type Express } from 'express';
import { identityHash } from '../../src/gateway/tokens.js';
import { ORIGIN, SECRET, type TestBridge, agentAuth, call, connect, connectError, startBridge } from '../helpers.js';

const DOC = fileURLToPath(new URL('../../../docs/support-desk.md', import.meta.url));

/** The example's code, from the section. */
function example(): string {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(text.indexOf('## Signing agents in'));
  const code = /```js\n([\s\S]*?)\n```/.exec(section);
  assert.ok(code, 'the Express example is in the section');
  return code[1]!;
}

interface SignedInUser {
  id: string;
  name: string;
  isSupportAgent: boolean;
}

describe('docs/support-desk.md: the Express identityUrl example', () => {
  let t: TestBridge;
  let dir: string;
  let server: Server;
  let backend: string;
  /** Who the site's own login says is signed in (what its session middleware would set). */
  let user: SignedInUser | undefined;

  before(async () => {
    t = await startBridge({
      sites: [{ key: 'shop', origins: [ORIGIN], identitySecret: SECRET }],
      teams: [{ id: 'support', sites: ['shop'], members: ['web:a_alice'] }],
      console: { identityUrl: `${ORIGIN}/switchboard/agent-identity` },
    });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-identity-example-'));
    const file = join(dir, 'backend.mjs');
    writeFileSync(file, example().replace("from 'express'", `from '${import.meta.resolve('express')}'`));
    process.env.SWITCHBOARD_IDENTITY_SECRET = SECRET;
    const { app } = (await import(pathToFileURL(file).href)) as { app: Express };
    const site = express();
    site.use((req, _res, next) => {
      if (user) Object.assign(req, { user });
      next();
    });
    site.use(app);
    server = site.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    backend = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.SWITCHBOARD_IDENTITY_SECRET;
  });

  it('answers a signed-in agent an identity the bridge signs in, and refuses anyone else', async () => {
    user = { id: 'alice', name: 'Alice', isSupportAgent: true };
    const answer = await fetch(`${backend}/switchboard/agent-identity`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const login = (await answer.json()) as { siteKey: string; identity: NonNullable<HandshakeAuth['identity']> };
    assert.equal(login.siteKey, 'shop');
    const { session } = await connect(t, { siteKey: login.siteKey, identity: login.identity });
    assert.equal(session.role, 'agent');
    assert.equal(session.self, 'web:a_alice');
    assert.equal(session.name, 'Alice');

    // A made-up identity is refused by the bridge.
    assert.equal((await connectError(t, { siteKey: 'shop', identity: { ...login.identity, userId: 'mallory' } })).code, 'unauthorized');

    user = { id: 'carol', name: 'Carol', isSupportAgent: false };
    assert.equal((await fetch(`${backend}/switchboard/agent-identity`)).status, 401);
    user = undefined;
    assert.equal((await fetch(`${backend}/switchboard/agent-identity`)).status, 401);
  });
});

// The console is served by the bridge (`/agent`): its identity handshake, its reconnections with the
// agent's token and its uploads come from the bridge's own origin, which a site's `origins` need not list.
describe("the console's identity sign-in from the bridge's own origin", () => {
  let t: TestBridge;

  before(async () => {
    t = await startBridge({
      sites: [{ key: 'shop', origins: [ORIGIN], identitySecret: SECRET }],
      teams: [{ id: 'support', sites: ['shop'], members: ['web:a_alice'] }],
      console: { identityUrl: `${ORIGIN}/switchboard/agent-identity` },
    });
  });
  after(() => t.stop());

  it('connects the agent, resumes with its token and uploads a file, while a visitor from there stays refused', async () => {
    const own = { origin: t.url };
    const { session } = await connect(t, agentAuth('alice', 'shop'), own);
    assert.equal(session.self, 'web:a_alice');
    assert.equal((await connect(t, { siteKey: 'shop', token: session.token }, own)).session.self, 'web:a_alice');

    const { socket: visitor } = await connect(t, { siteKey: 'shop' });
    const conversation = await call(visitor, 'conversation:open', { team: 'support' });
    assert.equal(conversation.ok, true);
    const upload = await fetch(`${t.url}/v1/files?conversationId=${conversation.conversation.id}&name=notes.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, origin: t.url },
      body: 'the order number is 1234',
    });
    assert.equal(upload.status, 201, await upload.clone().text());
    const { file } = (await upload.json()) as { file: { id: string } };
    const read = await fetch(`${t.url}/v1/files/${file.id}`, { headers: { authorization: `Bearer ${session.token}`, origin: t.url } });
    assert.equal(read.status, 200);
    assert.equal(await read.text(), 'the order number is 1234');

    // Only agents: the site's visitors, anonymous or signed in, still come from its listed origins.
    assert.equal((await connectError(t, { siteKey: 'shop' }, own)).code, 'forbidden');
    assert.equal(
      (await connectError(t, { siteKey: 'shop', identity: { userId: 'dana', hash: identityHash(SECRET, 'visitor', 'dana') } }, own)).code,
      'forbidden',
    );
    // And another page keeps being refused, agent or not.
    assert.equal((await connectError(t, agentAuth('alice', 'shop'), { origin: 'http://evil.test' })).code, 'forbidden');
  });
});
