// Files between web visitors and XMPP agents (docs/networks/xmpp.md, "Files"), against a real
// Prosody with its HTTP File Upload (mod_http_file_share, XEP-0363): an agent's upload reaches the
// visitor as an attachment, a visitor's file reaches the agent as its link with an out-of-band
// element (XEP-0066), and a link elsewhere (another host, or another path of the upload host) stays
// text, never fetched. Component and client modes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Attachment, Message } from '@switchboard/protocol';
import { type TestBridge, type WebVisitor, call, collect, next, openVisitor, startBridge, until } from '../helpers.js';
import { prosodyClientNetwork, prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, connectAgent, fileMessage, retraction, uploadFile, xml, bare } from '../xmpp-agent.js';

type Stanza = ReturnType<typeof xml>;

const OOB = 'jabber:x:oob';
/** A 1x1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
/** A Windows program (its MZ and PE headers), a type no site takes by default. */
const PROGRAM = Buffer.alloc(512);
PROGRAM.write('MZ');
PROGRAM.writeUInt32LE(128, 0x3c);
PROGRAM.write('PE\0\0', 128, 'latin1');
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** A visitor's upload (POST /v1/files) into their conversation. */
async function uploadFromVisitor(t: TestBridge, v: WebVisitor, name: string, content: Buffer): Promise<Attachment> {
  const query = new URLSearchParams({ conversationId: v.conversationId, name });
  const response = await fetch(`${t.url}/v1/files?${query.toString()}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${v.session.token}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(content),
  });
  const answer = (await response.json()) as { file: Attachment };
  assert.equal(response.status, 201, JSON.stringify(answer));
  return answer.file;
}

/** The bytes of a file of a message, as the visitor reads them through a signed link. */
async function bytesAtVisitor(v: WebVisitor, file: Attachment): Promise<Buffer> {
  const link = await call(v.socket, 'file:link', { fileId: file.id });
  assert.ok(link.ok, JSON.stringify(link));
  const response = await fetch(link.url);
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

/** A web server the bridge has no reason to trust, counting what it is asked. */
async function foreignServer(): Promise<{ origin: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

/** A stanza carrying one out-of-band link whose body is that link alone. */
const isFileLink = (stanza: Stanza) => {
  const url = stanza.getChild('x', OOB)?.getChildText('url');
  return stanza.is('message') && url !== undefined && url !== null && stanza.getChildText('body') === url;
};

describe('files on XMPP (component mode) against a real Prosody with HTTP File Upload', () => {
  let prosody: ProsodyServer;
  let t: TestBridge;
  let alice: Agent;
  let foreign: Awaited<ReturnType<typeof foreignServer>>;

  before(async () => {
    prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['carol', 'carolpw'],
      ],
      fileShare: {},
    });
    foreign = await foreignServer();
    t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: ['test-site'], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await prosody?.destroy();
    foreign?.server.close();
  });

  const visitor = async () => {
    const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
    return { ...v, jid: `${v.self.slice(4)}@${prosody.componentDomain}` };
  };

  it('gives the visitor the file an agent uploaded to the server (XEP-0363) and linked (XEP-0066), in the order the agent wrote', async () => {
    const v = await visitor();
    const atVisitor = collect(v.socket, 'message');
    const url = await uploadFile(alice, prosody.upload!.domain, { name: 'invoice 42.pdf', type: 'application/pdf', content: PDF });
    await alice.send(fileMessage(v.jid, url, 'f-1'));
    await alice.send(xml('message', { type: 'chat', to: v.jid, id: 'f-2' }, xml('body', {}, 'That is the invoice')));
    await until(() => atVisitor.length >= 2, 10_000, 'both messages at the visitor');
    const [file, words] = atVisitor as [Message, Message];
    assert.equal(file.text, '', 'the link alone was the file');
    assert.deepEqual(
      file.attachments?.map(({ name, type, size, sha256: hash }) => ({ name, type, size, sha256: hash })),
      [{ name: 'invoice 42.pdf', type: 'application/pdf', size: PDF.length, sha256: sha256(PDF) }],
    );
    assert.equal(words.text, 'That is the invoice', 'the next message after the file');
    assert.deepEqual(await bytesAtVisitor(v, file.attachments[0]!), PDF);
  });

  it("keeps an agent's words beside the file, and reads the image's size", async () => {
    const v = await visitor();
    const url = await uploadFile(alice, prosody.upload!.domain, { name: 'screen.png', type: 'image/png', content: PNG });
    const got = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(fileMessage(v.jid, url, 'f-3', `Look at this:\n${url}`));
    const message = await got;
    assert.equal(message.text, 'Look at this:');
    assert.deepEqual(
      message.attachments?.map(({ name, type, width, height }) => ({ name, type, width, height })),
      [{ name: 'screen.png', type: 'image/png', width: 1, height: 1 }],
    );
  });

  it('leaves a link to a host the bridge does not trust as the agent wrote it, never fetched, and writes an out-of-band one the body did not show', async () => {
    const v = await visitor();
    const url = `${foreign.origin}/cat.png`;
    const atVisitor = collect(v.socket, 'message');
    await alice.send(fileMessage(v.jid, url, 'f-4'));
    await alice.send(fileMessage(v.jid, url, 'f-5', 'Here is the picture'));
    await until(() => atVisitor.length >= 2, 10_000, 'both messages at the visitor');
    assert.deepEqual(
      atVisitor.map((m) => [m.text, m.attachments?.length ?? 0]),
      [
        [url, 0],
        [`Here is the picture\n${url}`, 0],
      ],
    );
    assert.deepEqual(foreign.hits, []);
  });

  it("leaves a link to the upload service's host outside its upload path as text, never fetched", async () => {
    const beside = prosody.upload!.beside;
    // It is there to fetch: another HTTP module of the same Prosody serves it.
    assert.equal(await (await fetch(beside.url)).text(), beside.content);
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    };
    try {
      const v = await visitor();
      const got = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
      await alice.send(fileMessage(v.jid, beside.url, 'f-6'));
      const message = await got;
      assert.deepEqual([message.text, message.attachments?.length ?? 0], [beside.url, 0]);
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(
      fetched.filter((url) => url.startsWith(prosody.upload!.origin)),
      [],
      'never fetched',
    );
  });

  it("shows the agent a visitor's image as its link alone with an out-of-band element, the link giving the same bytes", async () => {
    const v = await visitor();
    const file = await uploadFromVisitor(t, v, 'photo.png', PNG);
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'p-1', text: '', attachments: [file.id] });
    assert.ok(sent.ok, JSON.stringify(sent));
    const stanza = await alice.next((s) => bare(s.attrs.from) === v.jid && isFileLink(s));
    assert.equal(stanza.attrs.id, sent.message.id, 'one stanza, the message itself: receipts name it');
    assert.ok(stanza.getChild('request', 'urn:xmpp:receipts'));
    assert.equal(stanza.getChild('x', OOB)?.getChildText('desc'), 'photo.png');
    const response = await fetch(stanza.getChildText('body')!);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), PNG);
  });

  it("answers a customer's file the site refuses with an error saying why, not a receipt, and tells the agent (XEP-0184, RFC 6120 section 8.3)", async () => {
    const carol = await connectAgent(prosody.c2sPort, 'carol', 'carolpw');
    try {
      const team = `support@${prosody.componentDomain}`;
      const url = await uploadFile(carol, prosody.upload!.domain, { name: 'setup.exe', type: 'application/octet-stream', content: PROGRAM });
      await carol.send(
        xml(
          'message',
          { type: 'chat', to: team, id: 'rf-1' },
          xml('body', {}, url),
          xml('x', { xmlns: OOB }, xml('url', {}, url)),
          xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'rf-1' }),
          xml('request', { xmlns: 'urn:xmpp:receipts' }),
        ),
      );
      const error = await carol.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'rf-1', 10_000);
      assert.equal(bare(error.attrs.from), team);
      assert.ok(error.getChild('error')?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      assert.equal(
        error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
        'File not accepted: setup.exe: application/x-msdownload is not taken here. The file was not delivered.',
      );
      // The agent reads that a file was refused.
      await alice.next(
        (s) => s.is('message') && (s.getChildText('body') ?? '').includes('[file not accepted: setup.exe: application/x-msdownload is not taken here]'),
      );
      assert.equal(
        carol.stanzas.some((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'rf-1'),
        false,
        'no receipt for what was not delivered',
      );
    } finally {
      await carol.stop();
    }
  });

  it('takes back every stanza of a message with a file when its XMPP sender retracts it (XEP-0424)', async () => {
    // A customer on XMPP writes to the team's JID: words and a file, which the agent gets as two stanzas.
    const carol = await connectAgent(prosody.c2sPort, 'carol', 'carolpw');
    try {
      const team = `support@${prosody.componentDomain}`;
      const url = await uploadFile(carol, prosody.upload!.domain, { name: 'broken.png', type: 'image/png', content: PNG });
      const seen = alice.stanzas.length;
      await carol.send(
        xml(
          'message',
          { type: 'chat', to: team, id: 'c-1' },
          xml('body', {}, `Here is the broken part\n${url}`),
          xml('x', { xmlns: OOB }, xml('url', {}, url)),
          xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'c-1' }),
        ),
      );
      // From the customer's JID under the component (XEP-0106), as the agent writes back to them.
      const carolJid = `xmpp\\3acarol\\40localhost@${prosody.componentDomain}`;
      const file = await alice.next((s) => alice.stanzas.indexOf(s) >= seen && bare(s.attrs.from) === carolJid && s.getChild('x', OOB) !== undefined);
      const words = alice.stanzas.slice(seen).find((s) => bare(s.attrs.from) === carolJid && s.getChildText('body') === 'Here is the broken part')!;
      assert.equal(file.attrs.id, `${words.attrs.id}-2`);
      await carol.send(retraction(team, 'c-2', 'c-1'));
      const retracted = () =>
        alice.stanzas
          .slice(seen)
          .map((s) => s.getChild('retract', 'urn:xmpp:message-retract:1')?.attrs.id)
          .filter(Boolean)
          .sort();
      await until(() => retracted().length >= 2, 10_000, 'both stanzas taken back');
      assert.deepEqual(retracted(), [words.attrs.id, file.attrs.id]);
    } finally {
      await carol.stop();
    }
  });

  it('sends the words first, then each file as a stanza of its own; the message is sent once', async () => {
    const v = await visitor();
    const [photo, invoice] = [await uploadFromVisitor(t, v, 'photo.png', PNG), await uploadFromVisitor(t, v, 'invoice.pdf', PDF)];
    const seen = alice.stanzas.length;
    const sent = await call(v.socket, 'message:send', {
      conversationId: v.conversationId,
      clientId: 'p-2',
      text: 'Both <files> & more',
      attachments: [photo.id, invoice.id],
    });
    assert.ok(sent.ok, JSON.stringify(sent));
    await alice.next((s) => bare(s.attrs.from) === v.jid && s.getChild('x', OOB)?.getChildText('desc') === 'invoice.pdf');
    const stanzas = alice.stanzas.slice(seen).filter((s) => s.is('message') && bare(s.attrs.from) === v.jid && s.getChildText('body') !== null);
    assert.deepEqual(
      stanzas.map((s) => [
        s.attrs.id,
        s.getChildText('body')?.startsWith('http') ? 'link' : s.getChildText('body'),
        s.getChild('x', OOB)?.getChildText('desc'),
      ]),
      [
        [sent.message.id, 'Both <files> & more', undefined],
        [`${sent.message.id}-2`, 'link', 'photo.png'],
        [`${sent.message.id}-3`, 'link', 'invoice.pdf'],
      ],
    );
    assert.ok(stanzas.slice(1).every(isFileLink));
    await until(
      async () => (await call(v.socket, 'history:get', { conversationId: v.conversationId })).messages.at(-1)?.status !== 'accepted',
      5000,
      'the message sent',
    );
  });
});

describe('files on XMPP (client mode, one bot account) against a real Prosody with HTTP File Upload', () => {
  const BOT = 'switchboard@localhost';
  let prosody: ProsodyServer;
  let t: TestBridge;
  let alice: Agent;
  /** Another web server, listed in `files.fetchFrom`. */
  let listed: Awaited<ReturnType<typeof foreignServer>>;

  before(async () => {
    prosody = await startProsody({
      users: [
        ['alice', 'alicepw'],
        ['switchboard', 'botpw'],
      ],
      // As the client mode's own tests: what the bot sends an agent not yet online waits for them.
      offline: true,
      fileShare: {},
    });
    listed = await foreignServer();
    t = await startBridge({
      teams: [{ id: 'support', members: ['xmpp:alice@localhost'], sites: ['test-site'], capacity: 100 }],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        prosodyClientNetwork(prosody, { username: 'switchboard', password: 'botpw' }, { files: { fetchFrom: [listed.origin] } }),
      ],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await prosody?.destroy();
    listed?.server.close();
  });

  it("relays a visitor's file to the agent after a line naming it, and the agent's uploaded file back to the visitor", async () => {
    const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
    await call(v.socket, 'profile:update', { name: 'Dana' });
    const photo = await uploadFromVisitor(t, v, 'photo.png', PNG);
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'c-1', text: '', attachments: [photo.id] });
    assert.ok(sent.ok, JSON.stringify(sent));
    const fromBot = (s: Stanza) => s.is('message') && s.attrs.from?.startsWith(`${BOT}/`) === true;
    const heading = await alice.next((s) => fromBot(s) && /^\[Dana #[0-9a-f]{5}\] \[file\] photo\.png \(\d+ bytes\)$/.test(s.getChildText('body') ?? ''));
    assert.equal(heading.attrs.id, sent.message.id);
    const link = await alice.next((s) => fromBot(s) && isFileLink(s));
    const response = await fetch(link.getChildText('body')!);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), PNG);

    // The agent answers with a file of its own: a plain reply goes to the latest visitor.
    const url = await uploadFile(alice, prosody.upload!.domain, { name: 'answer.pdf', type: 'application/pdf', content: PDF });
    const got = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(fileMessage(BOT, url, 'a-1'));
    const message = await got;
    assert.equal(message.text, '');
    assert.deepEqual(
      message.attachments?.map(({ name, size, sha256: hash }) => ({ name, size, sha256: hash })),
      [{ name: 'answer.pdf', size: PDF.length, sha256: sha256(PDF) }],
    );
    assert.deepEqual(await bytesAtVisitor(v, message.attachments[0]!), PDF);
  });

  it("answers an agent's file the site refuses with an error saying why, not a receipt, and relays the words with a note", async () => {
    const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'c-3', text: 'Can you send the tool?' });
    await alice.next((s) => s.is('message') && (s.getChildText('body') ?? '').endsWith('] Can you send the tool?'));
    const url = await uploadFile(alice, prosody.upload!.domain, { name: 'tool.exe', type: 'application/octet-stream', content: PROGRAM });
    const got = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(
      xml(
        'message',
        { type: 'chat', to: BOT, id: 'rf-2' },
        xml('body', {}, `Here it is:\n${url}`),
        xml('x', { xmlns: OOB }, xml('url', {}, url)),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    );
    const error = await alice.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'rf-2', 10_000);
    assert.ok(error.getChild('error')?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.equal(
      error.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
      'File not accepted: tool.exe: application/x-msdownload is not taken here. The file was not delivered; your words were.',
    );
    assert.equal((await got).text, 'Here it is:\n[file not accepted: tool.exe: application/x-msdownload is not taken here]');
    assert.equal(
      alice.stanzas.some((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'rf-2'),
      false,
      'no receipt for what was not delivered',
    );
  });

  it('fetches from an origin of files.fetchFrom too', async () => {
    const v = await openVisitor(t, { assignee: 'xmpp:alice@localhost' });
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'c-2', text: 'Hello' });
    await alice.next((s) => s.is('message') && (s.getChildText('body') ?? '').endsWith('] Hello'));
    const got = next(v.socket, 'message', (m) => m.from === 'xmpp:alice@localhost');
    await alice.send(fileMessage(BOT, `${listed.origin}/files/cat.png`, 'a-2'));
    const message = await got;
    assert.equal(message.text, '');
    assert.deepEqual(
      message.attachments?.map(({ name, type, sha256: hash }) => ({ name, type, sha256: hash })),
      [{ name: 'cat.png', type: 'image/png', sha256: sha256(PNG) }],
    );
    assert.deepEqual(listed.hits, ['/files/cat.png']);
  });
});
