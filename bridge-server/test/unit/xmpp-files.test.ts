// Files on XMPP (docs/networks/xmpp.md, "Files"): links fetched only from trusted origins and within
// the bridge's bounds, what a message's text keeps of them, the upload services' discovery, the
// stanzas a message with files becomes, and the configuration's origins.
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Address, Attachment } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import pino from 'pino';
import type { InboundMessage, InboundSink, NetworkFiles } from '../../src/networks/network.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { ClientCustomers } from '../../src/networks/xmpp/client-customers.js';
import { InboundFiles } from '../../src/networks/xmpp/inbound-files.js';
import { fetchLink } from '../../src/networks/xmpp/link-fetch.js';
import { chatStanza, outboundParts } from '../../src/networks/xmpp/outbound-files.js';
import { TrustedLinks, discoverUploadPrefixes } from '../../src/networks/xmpp/upload-services.js';
import { xmppNetworkConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';

const logger = pino({ level: 'silent' });
const OOB = 'jabber:x:oob';
const UPLOAD = 'urn:xmpp:http:upload:0';

/** A loopback HTTP server answering each path with its handler, counting the requests it got. */
async function httpServer(
  routes: Record<string, (respond: import('node:http').ServerResponse) => void>,
): Promise<{ origin: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '');
    const route = routes[request.url ?? ''];
    if (route) route(response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

describe('fetching a linked file (link-fetch.ts)', () => {
  let trusted: Awaited<ReturnType<typeof httpServer>>;
  let other: Awaited<ReturnType<typeof httpServer>>;
  before(async () => {
    other = await httpServer({ '/secret': (r) => r.end('internal') });
    trusted = await httpServer({
      '/file_share/abc/report%20v2.pdf': (r) => r.writeHead(200, { 'content-type': 'application/pdf; charset=binary' }).end('%PDF-1.4 bytes'),
      '/big': (r) => r.writeHead(200, { 'content-length': '2000' }).end(Buffer.alloc(2000)),
      '/big-chunked': (r) => {
        r.writeHead(200);
        for (let i = 0; i < 20; i++) r.write(Buffer.alloc(100));
        r.end();
      },
      '/to-other': (r) => r.writeHead(302, { location: `${other.origin}/secret` }).end(),
      '/to-self': (r) => r.writeHead(301, { location: '/file_share/abc/report%20v2.pdf' }).end(),
      '/gone': (r) => r.writeHead(410).end('gone'),
      '/slow': (r) => setTimeout(() => r.end('late'), 2000),
    });
  });
  after(() => {
    trusted.server.close();
    other.server.close();
    trusted.server.closeAllConnections();
  });
  const limits = () => ({ trusts: (url: URL) => url.origin === trusted.origin, maxBytes: 1000, timeoutMs: 10_000 });

  it('fetches from a trusted origin: the bytes, the name of the link, the declared type', async () => {
    const outcome = await fetchLink(`${trusted.origin}/file_share/abc/report%20v2.pdf`, limits());
    assert.ok(outcome.ok);
    assert.equal(outcome.file.name, 'report v2.pdf');
    assert.equal(outcome.file.declaredType, 'application/pdf');
    assert.equal(outcome.file.content.toString(), '%PDF-1.4 bytes');
  });

  it('never asks another origin, directly or through a redirect; follows one to the same origin', async () => {
    assert.equal((await fetchLink(`${other.origin}/secret`, limits())).ok, false);
    const redirected = await fetchLink(`${trusted.origin}/to-other`, limits());
    assert.deepEqual(redirected, { ok: false, reason: `${other.origin} is not a host the bridge fetches from` });
    assert.deepEqual(other.hits, []);
    assert.equal((await fetchLink(`${trusted.origin}/to-self`, limits())).ok, true);
  });

  it('refuses what is larger than the bound (declared or not), an error answer, a slow answer, a link that is no http(s)', async () => {
    assert.deepEqual(await fetchLink(`${trusted.origin}/big`, limits()), { ok: false, reason: 'larger than 1000 bytes' });
    assert.deepEqual(await fetchLink(`${trusted.origin}/big-chunked`, limits()), { ok: false, reason: 'larger than 1000 bytes' });
    assert.deepEqual(await fetchLink(`${trusted.origin}/gone`, limits()), { ok: false, reason: 'HTTP 410' });
    assert.deepEqual(await fetchLink(`${trusted.origin}/slow`, { ...limits(), timeoutMs: 200 }), { ok: false, reason: 'timed out' });
    assert.equal((await fetchLink('aesgcm://127.0.0.1/x#key', limits())).ok, false);
    assert.equal((await fetchLink('file:///etc/passwd', { ...limits(), trusts: () => true })).ok, false);
  });
});

describe("a message's links as text and files (inbound-files.ts)", () => {
  let upload: Awaited<ReturnType<typeof httpServer>>;
  let elsewhere: Awaited<ReturnType<typeof httpServer>>;
  before(async () => {
    upload = await httpServer({ '/f/a/cat.png': (r) => r.end('png bytes'), '/f/b/notes.txt': (r) => r.end('notes') });
    elsewhere = await httpServer({ '/f/a/cat.png': (r) => r.end('elsewhere') });
  });
  after(() => {
    upload.server.close();
    elsewhere.server.close();
  });

  const files = { maxFileBytes: 1000, link: () => '', read: () => Promise.resolve(null) } as NetworkFiles;
  const reader = (keeping: 'files' | 'no files' = 'files') => {
    const trusted = new TrustedLinks([upload.origin], logger);
    return new InboundFiles({ trusted, files: keeping === 'files' ? files : undefined, logger });
  };
  const message = (body: string | null, ...urls: string[]): Element =>
    xml('message', { type: 'chat' }, body === null ? null : xml('body', {}, body), ...urls.map((url) => xml('x', { xmlns: OOB }, xml('url', {}, url))));

  it('takes the file of an out-of-band link whose body is the link: no text left', async () => {
    const url = `${upload.origin}/f/a/cat.png`;
    const { text, files: got } = await reader().read(message(url, url));
    assert.equal(text, '');
    assert.deepEqual(
      got.map((file) => [file.name, file.content.toString()]),
      [['cat.png', 'png bytes']],
    );
  });

  it("keeps the sender's words and takes several files; a body that is only an upload link counts too", async () => {
    const [a, b] = [`${upload.origin}/f/a/cat.png`, `${upload.origin}/f/b/notes.txt`];
    const both = await reader().read(message(`Here they are\n${a}\n${b}`, a, b));
    assert.equal(both.text, 'Here they are');
    assert.deepEqual(
      both.files.map((file) => file.name),
      ['cat.png', 'notes.txt'],
    );
    const bare = await reader().read(message(` ${b} `));
    assert.equal(bare.text, '');
    assert.equal(bare.files[0]?.content.toString(), 'notes');
  });

  it('leaves an untrusted or failing link in the text as written, and adds an out-of-band one the body did not show', async () => {
    const foreign = `${elsewhere.origin}/f/a/cat.png`;
    assert.deepEqual(await reader().read(message(foreign, foreign)), { text: foreign, files: [] });
    assert.deepEqual(await reader().read(message(`look: ${foreign}`)), { text: `look: ${foreign}`, files: [] });
    assert.deepEqual(await reader().read(message('see the link', foreign)), { text: `see the link\n${foreign}`, files: [] });
    const missing = `${upload.origin}/f/none.png`;
    assert.deepEqual(await reader().read(message(null, missing)), { text: missing, files: [] });
    assert.deepEqual(elsewhere.hits, [], 'never asked');
  });

  it('fetches nothing when the bridge keeps no files', async () => {
    const url = `${upload.origin}/f/a/cat.png`;
    const before = upload.hits.length;
    assert.deepEqual(await reader('no files').read(message(url, url)), { text: url, files: [] });
    assert.equal(upload.hits.length, before);
  });
});

describe("a customer's file in client mode (client-customers.ts)", () => {
  it('reaches the core with the message, and a message that is only a link is one', async () => {
    const messages: InboundMessage[] = [];
    const sink = {
      isAgent: () => false,
      message: (input: InboundMessage) => {
        messages.push(input);
        // Stored with its file taken.
        return Promise.resolve({ id: 'm1', text: '', attachments: [{ id: 'f1', name: 'cat.png' }] });
      },
    } as unknown as InboundSink;
    const file = { name: 'cat.png', content: Buffer.from('png') };
    const files = { read: () => Promise.resolve({ text: '', files: [file] }) } as unknown as InboundFiles;
    const teams = [{ id: 'support', name: 'Support', sites: ['shop'] }];
    const door = new ClientCustomers({
      config: { team: 'support' },
      teams,
      sink,
      hosted,
      botJid: 'bot@example.org',
      files,
      send: () => undefined,
      stored: () => undefined,
    });
    const url = 'https://upload.example.org/f/cat.png';
    await door.receive(xml('message', { from: 'carol@example.com/phone', to: 'bot@example.org', type: 'chat' }, xml('x', { xmlns: OOB }, xml('url', {}, url))));
    assert.deepEqual(
      messages.map((m) => [m.text, m.files]),
      [['', [file]]],
    );
  });
});

describe('upload services (upload-services.ts, XEP-0363 section 2)', () => {
  it("trusts the upload path of the slots of the server's upload services, skipping the bridge's own domains", async () => {
    const asked: string[] = [];
    const request = (iq: Element): Promise<Element> => {
      const to = iq.attrs.to ?? '';
      const child = iq.children[0] as Element;
      asked.push(`${to} ${child.name} ${child.attrs.xmlns} from=${iq.attrs.from}`);
      const result = (...children: Element[]) => Promise.resolve(xml('iq', { type: 'result', from: to }, ...children));
      if (child.attrs.xmlns === 'http://jabber.org/protocol/disco#items')
        return result(
          xml(
            'query',
            { xmlns: child.attrs.xmlns },
            xml('item', { jid: 'web.example.org' }),
            xml('item', { jid: 'upload.example.org' }),
            xml('item', { jid: 'muc.example.org' }),
          ),
        );
      if (child.attrs.xmlns === 'http://jabber.org/protocol/disco#info')
        return result(
          xml('query', { xmlns: child.attrs.xmlns }, xml('feature', { var: to === 'upload.example.org' ? UPLOAD : 'http://jabber.org/protocol/muc' })),
        );
      if (child.name === 'request' && to === 'upload.example.org')
        return result(
          xml(
            'slot',
            { xmlns: UPLOAD },
            xml('put', { url: 'https://files.example.org:8443/u/x/p.txt' }),
            xml('get', { url: 'https://files.example.org:8443/u/x/p.txt' }),
          ),
        );
      return Promise.reject(new Error('item-not-found'));
    };
    const prefixes = await discoverUploadPrefixes(request, { server: 'example.org', from: 'web.example.org', own: ['web.example.org'] }, logger);
    assert.deepEqual(prefixes, ['https://files.example.org:8443/u/']);
    assert.ok(!asked.some((line) => line.startsWith('web.example.org')), 'its own domain is not asked');
    assert.ok(asked.every((line) => line.endsWith('from=web.example.org')));

    const trusted = new TrustedLinks(['http://127.0.0.1:5280'], logger);
    trusted.refresh(() => Promise.resolve(prefixes));
    const trusts = await trusted.trusts();
    assert.equal(trusts(new URL('https://files.example.org:8443/u/y/cat.png')), true);
    assert.equal(trusts(new URL('http://127.0.0.1:5280/x')), true);
    assert.equal(trusts(new URL('https://files.example.org/u/y/cat.png')), false, 'another port is another origin');
    assert.equal(trusts(new URL('https://files.example.org:8443/admin/status')), false, 'another path of the upload host');
    assert.equal(trusts(new URL('https://files.example.org:8443/u/../admin')), false, 'a path that leaves the prefix');
  });
});

describe('a message with files as stanzas (outbound-files.ts)', () => {
  const TO = 'xmpp:alice@example.org' as Address;
  const file = (id: string, name: string): Attachment => ({ id, name, type: 'image/png', size: 12_300, sha256: '0'.repeat(64) });
  const files = {
    maxFileBytes: 1000,
    link: (f: Attachment, to: Address) => `https://chat.example/v1/files/${f.id}/x?p=${to}&s=1`,
    read: () => Promise.resolve(null),
  } as NetworkFiles;

  it('is the link alone for one file without text, else the text then each file, each link in its out-of-band element', () => {
    const one = outboundParts('', [file('f_1', 'cat.png')], files, TO);
    assert.deepEqual(one, [{ body: 'https://chat.example/v1/files/f_1/x?p=xmpp:alice@example.org&s=1', oob: { url: one[0]!.body, desc: 'cat.png' } }]);
    const several = outboundParts('Two pictures', [file('f_1', 'a.png'), file('f_2', 'b.png')], files, TO);
    assert.deepEqual(
      several.map((part) => [part.body.slice(0, 36), part.oob?.desc]),
      [
        ['Two pictures', undefined],
        ['https://chat.example/v1/files/f_1/x?', 'a.png'],
        ['https://chat.example/v1/files/f_2/x?', 'b.png'],
      ],
    );
    assert.deepEqual(outboundParts('hi', undefined, files, TO), [{ body: 'hi' }]);
    // Without the bridge's files: one body naming the files.
    assert.match(outboundParts('hi', [file('f_1', 'a.png')], undefined, TO)[0]!.body, /^hi\n\[file\] a\.png \(12 kB\): not reachable/);
  });

  it('asks receipts and markers on the first stanza only, each with its own origin-id, everything escaped', () => {
    const [first, second] = outboundParts('a & b', [file('f_1', '<evil>&"name".png')], files, TO).map((part, index) =>
      chatStanza({ from: 'v_1@web.example.org', to: 'alice@example.org', messageId: 'm_1', index, part, active: true, nick: 'Dana <3', via: ['b_1'] }),
    );
    assert.equal(first!.attrs.id, 'm_1');
    assert.ok(first!.getChild('request', 'urn:xmpp:receipts') && first!.getChild('markable', 'urn:xmpp:chat-markers:0'));
    assert.equal(second!.attrs.id, 'm_1-2');
    assert.equal(second!.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, 'm_1-2');
    assert.equal(second!.getChild('request', 'urn:xmpp:receipts'), undefined);
    assert.equal(second!.getChildText('body'), second!.getChild('x', OOB)?.getChildText('url'));
    const wire = second!.toString();
    assert.ok(wire.includes('<desc>&lt;evil&gt;&amp;"name".png</desc>'), wire);
    assert.ok(wire.includes('&amp;s=1'), 'the link escaped too');
    assert.ok(first!.toString().includes('<body>a &amp; b</body>'));
  });
});

describe('files in the XMPP configuration', () => {
  const base = { type: 'xmpp', service: 'xmpp://127.0.0.1:5347', domain: 'web.example.org', password: 'x' };
  it('takes origins in fetchFrom, with an optional path prefix, normalized, and refuses queries and other schemes', () => {
    const parsed = xmppNetworkConfigSchema.parse({
      ...base,
      files: { fetchFrom: ['HTTPS://Files.Example.org:443/', 'http://127.0.0.1:5280', 'https://upload.example.org/share/', 'https://upload.example.org/x/up'] },
    });
    assert.deepEqual(parsed.files?.fetchFrom, [
      'https://files.example.org',
      'http://127.0.0.1:5280',
      'https://upload.example.org/share/',
      'https://upload.example.org/x/up/',
    ]);
    for (const bad of [
      'https://files.example.org/uploads?x=1',
      'https://files.example.org/#x',
      'https://u:p@files.example.org/',
      'ftp://files.example.org',
      'files.example.org',
    ])
      assert.equal(xmppNetworkConfigSchema.safeParse({ ...base, files: { fetchFrom: [bad] } }).success, false, bad);
  });
});
