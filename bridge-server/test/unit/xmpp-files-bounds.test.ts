// Where and how much the bridge fetches of what XMPP parties link (docs/networks/xmpp.md, "Files"):
// only under a trusted path prefix (not the whole upload host), within bounds on concurrent fetches,
// bytes held and fetches per sender, and at most the attachments a message may have; every link not
// fetched stays text.
import assert from 'node:assert/strict';
import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import pino from 'pino';
import type { NetworkFiles } from '../../src/networks/network.js';
import { FetchBudget } from '../../src/networks/xmpp/fetch-budget.js';
import { InboundFiles } from '../../src/networks/xmpp/inbound-files.js';
import { fetchLink } from '../../src/networks/xmpp/link-fetch.js';
import { isUnder, uploadPrefixOf } from '../../src/networks/xmpp/trusted-links.js';
import { TrustedLinks } from '../../src/networks/xmpp/upload-services.js';

const logger = pino({ level: 'silent' });
const OOB = 'jabber:x:oob';

/** A loopback HTTP server: `/file_share/<anything>` answers its last segment, after `held` lets go of it when set. */
async function uploadHost(): Promise<{ origin: string; hits: string[]; server: Server; holding: ServerResponse[] }> {
  const hits: string[] = [];
  const holding: ServerResponse[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    hits.push(path);
    if (path.startsWith('/file_share/hold/')) holding.push(response);
    else if (path === '/file_share/to-admin') response.writeHead(302, { location: '/admin/secret' }).end();
    else if (path.startsWith('/file_share/big/')) response.end(Buffer.alloc(600));
    else if (path.startsWith('/file_share/')) response.end(path.split('/').pop());
    else response.end('internal answer');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server, holding };
}

const message = (from: string, body: string | null, ...urls: string[]): Element =>
  xml('message', { type: 'chat', from }, body === null ? null : xml('body', {}, body), ...urls.map((url) => xml('x', { xmlns: OOB }, xml('url', {}, url))));

describe('trusted prefixes (trusted-links.ts)', () => {
  it("learns a service's upload path from its slot's GET URL: the URL without the slot's token and the file's name", () => {
    assert.equal(uploadPrefixOf('http://127.0.0.1:5280/file_share/0f3c-uuid/switchboard-probe.txt'), 'http://127.0.0.1:5280/file_share/');
    assert.equal(uploadPrefixOf('https://x.example.org/a/b/tok/name.txt?s=1'), 'https://x.example.org/a/b/');
    assert.equal(uploadPrefixOf('ftp://x.example.org/a/tok/name'), null);
  });

  it('takes a link under the prefix only: not another path, not one that leaves it, not an encoded slash', () => {
    const prefix = 'http://127.0.0.1:5280/file_share/';
    const under = (link: string) => isUnder(new URL(link), prefix);
    assert.equal(under('http://127.0.0.1:5280/file_share/abc/cat.png'), true);
    assert.equal(under('http://127.0.0.1:5280/admin'), false);
    assert.equal(under('http://127.0.0.1:5280/file_share'), false);
    assert.equal(under('http://127.0.0.1:5280/file_sharex/a'), false);
    assert.equal(under('http://127.0.0.1:5280/file_share/../admin'), false);
    assert.equal(under('http://127.0.0.1:5280/file_share/%2e%2e/admin'), false);
    assert.equal(under('http://127.0.0.1:5280/file_share/..%2Fadmin'), false);
    assert.equal(under('http://127.0.0.1:5280/file_share/..%5cadmin'), false);
    assert.equal(under('http://127.0.0.1:5281/file_share/abc/cat.png'), false);
    assert.equal(isUnder(new URL('http://127.0.0.1:5280/anything'), 'http://127.0.0.1:5280'), true, 'an origin alone is its whole host');
  });
});

describe('links under a trusted prefix only, within bounds (inbound-files.ts, fetch-budget.ts)', () => {
  let host: Awaited<ReturnType<typeof uploadHost>>;
  before(async () => {
    host = await uploadHost();
  });
  after(() => {
    host.server.closeAllConnections();
    host.server.close();
  });
  const files = { maxFileBytes: 1000, link: () => '', read: () => Promise.resolve(null) } as NetworkFiles;
  const reader = (bounds = {}) => new InboundFiles({ trusted: new TrustedLinks([`${host.origin}/file_share/`], logger), files, logger, bounds });

  it('leaves a link to another path of the upload host as text, never asked, and follows no redirect out of the prefix', async () => {
    const before = host.hits.length;
    const admin = `${host.origin}/admin/secret`;
    assert.deepEqual(await reader().read(message('a@x.org/r', admin, admin)), { text: admin, files: [] });
    assert.deepEqual(host.hits.slice(before), [], 'never asked');
    const redirect = `${host.origin}/file_share/to-admin`;
    assert.deepEqual(await reader().read(message('a@x.org/r', redirect, redirect)), { text: redirect, files: [] });
    assert.deepEqual(host.hits.slice(before), ['/file_share/to-admin']);
    const trusts = (url: URL) => isUnder(url, `${host.origin}/file_share/`);
    assert.equal((await fetchLink(redirect, { trusts, maxBytes: 1000, timeoutMs: 2000 })).ok, false);
  });

  it(`fetches at most ${LIMITS.maxMessageAttachments} links of a message; the others stay text`, async () => {
    const links = Array.from({ length: LIMITS.maxMessageAttachments + 2 }, (_, i) => `${host.origin}/file_share/m/f${i}.txt`);
    const before = host.hits.length;
    const { text, files: got } = await reader().read(message('many@x.org/r', links.join('\n'), ...links));
    assert.equal(got.length, LIMITS.maxMessageAttachments);
    assert.equal(text, links.slice(LIMITS.maxMessageAttachments).join('\n'));
    assert.equal(host.hits.length - before, LIMITS.maxMessageAttachments);
  });

  it('fetches at most so many at once, all senders together; a link beyond stays text', async () => {
    const inbound = reader({ concurrent: 2 });
    const held = (n: number) => `${host.origin}/file_share/hold/h${n}.txt`;
    const slow = [inbound.read(message('a@x.org/r', null, held(1))), inbound.read(message('b@x.org/r', null, held(2)))];
    while (host.holding.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const free = `${host.origin}/file_share/c/free.txt`;
    assert.deepEqual(await inbound.read(message('c@x.org/r', null, free)), { text: free, files: [] });
    for (const response of host.holding.splice(0)) response.end('late');
    assert.deepEqual(
      (await Promise.all(slow)).map((read) => read.files.length),
      [1, 1],
    );
    assert.equal((await inbound.read(message('c@x.org/r', null, free))).files.length, 1, 'free again once they ended');
  });

  it('holds at most so many fetched bytes at once; a link beyond stays text', async () => {
    const inbound = reader({ bytes: 1000 });
    const [a, b] = [`${host.origin}/file_share/big/a.bin`, `${host.origin}/file_share/big/b.bin`];
    const read = await inbound.read(message('d@x.org/r', `${a}\n${b}`, a, b));
    assert.equal(read.files.length, 1, 'two of 600 bytes are more than 1000');
    assert.equal(read.text, read.files[0]!.name === 'a.bin' ? b : a);
    assert.equal((await inbound.read(message('d@x.org/r', null, a))).files.length, 1, 'given back once the message is read');
  });

  it("bounds each sender's fetches in a minute, not the others'", async () => {
    const inbound = reader({ perSenderPerMinute: 2 });
    const link = (n: number) => `${host.origin}/file_share/s/s${n}.txt`;
    const read = await inbound.read(message('e@x.org/r', null, link(1), link(2), link(3)));
    assert.equal(read.files.length, 2);
    assert.equal(read.text, link(3));
    assert.deepEqual(await inbound.read(message('E@x.org/other', null, link(4))), { text: link(4), files: [] }, 'the same sender');
    assert.equal((await inbound.read(message('f@x.org/r', null, link(5)))).files.length, 1);
  });
});

describe('the fetch budget (fetch-budget.ts)', () => {
  it('frees the place of an ended fetch, gives back its bytes once released, and lets a sender fetch again after a minute', () => {
    let now = 0;
    const budget = new FetchBudget({ concurrent: 1, bytes: 10, perSenderPerMinute: 1 }, () => now);
    const first = budget.start('a');
    assert.ok(!('refused' in first));
    assert.equal(first.hold(8), true);
    assert.equal(first.hold(3), false);
    assert.deepEqual(budget.start('b'), { refused: 'the bridge is fetching too many files at once' });
    first.end();
    first.end();
    assert.deepEqual(budget.start('a'), { refused: 'too many files from this sender in a minute' });
    const second = budget.start('b');
    assert.ok(!('refused' in second));
    assert.equal(second.hold(3), false, 'the first still holds its bytes');
    first.release();
    first.release();
    assert.equal(second.hold(10), true);
    second.release();
    now = 60_000;
    assert.ok(!('refused' in budget.start('a')));
  });
});
