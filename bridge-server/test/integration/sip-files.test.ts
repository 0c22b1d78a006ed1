// Files on SIP against a real Kamailio (docs/networks/sip.md, "Files"): a visitor's file reaches the
// agent as a link line that fetches the same bytes; a picture a phone sends as a MESSAGE body (over
// TCP, relayed to the bridge in a binary WebSocket frame) lands as the message's file; a text/html
// body (Jitsi, Lync) is text, a windows-1252 one is read in its charset; a body the bridge cannot
// read is refused, saying why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { type WebVisitor, next, openVisitor } from '../helpers.js';
import { PDF, PNG, download, fetchLink, linksIn, sendFiles, upload } from '../network-files.js';
import { type SipDesk, VISITOR_DOMAIN, startSipDesk } from '../sip-desk.js';
import { type RawSipMessage, sendRawSipMessage } from '../sip-raw-client.js';

describe('files on SIP against a real Kamailio', () => {
  let desk: SipDesk;

  before(async () => {
    desk = await startSipDesk({ connectTimeoutSeconds: 5 });
  });
  after(async () => {
    await desk?.stop();
  });

  async function visitor(name: string): Promise<WebVisitor & { uri: string }> {
    const v = await openVisitor(desk.t, { profile: { name }, assignee: desk.ALICE });
    return { ...v, uri: `sip:${v.self.slice(4)}@${VISITOR_DOMAIN}` };
  }

  /** Alice's phone writing to `to` over TCP, byte for byte. */
  const fromAlicesPhone = (to: string, contentType: string, body: Buffer, extraHeaders: string[] = []) =>
    sendRawSipMessage({
      host: '127.0.0.1',
      port: desk.kamailio.sipPort,
      user: 'alice',
      domain: desk.kamailio.domain,
      password: 'alicepw',
      to,
      contentType,
      body,
      extraHeaders,
    } satisfies RawSipMessage);

  it("gives the agent the visitor's text and a line per file whose link fetches the same bytes", async () => {
    const v = await visitor('Dana');
    const invoice = await upload(desk.t, v.session.token, v.conversationId, 'invoice.pdf', PDF);
    await sendFiles(v.socket, v.conversationId, 'The invoice', [invoice]);
    const got = await desk.alice.next((m) => m.request.body.startsWith('The invoice'));
    assert.equal(got.request.getHeader('Content-Type'), 'text/plain;charset=UTF-8');
    const [text, line] = got.request.body.split('\n');
    assert.equal(text, 'The invoice');
    assert.match(line!, /^\[file\] invoice\.pdf \(\d+ bytes\): http:\/\/127\.0\.0\.1:\d+\/\S+$/);
    assert.deepEqual(await fetchLink(linksIn(line!)[0]!), PDF);
  });

  it("stores a picture sent as a MESSAGE body as the message's file, named by its Content-Disposition, the same bytes", async () => {
    const v = await visitor('Erin');
    const arrived = next(v.socket, 'message', (m) => m.from === desk.ALICE);
    const answer = await fromAlicesPhone(v.uri, 'image/png', PNG, ['Content-Disposition: render; filename="photo.png"']);
    assert.equal(answer.statusCode, 200, `${answer.statusCode} ${answer.reasonPhrase} ${answer.headers.get('warning') ?? ''}`);
    const message = await arrived;
    assert.equal(message.text, '');
    assert.equal(message.attachments?.length, 1);
    const [photo] = message.attachments;
    assert.equal(photo!.name, 'photo.png');
    assert.equal(photo!.type, 'image/png');
    assert.equal(photo!.size, PNG.length);
    assert.deepEqual(await download(desk.t, v.session.token, photo!.id), PNG);
  });

  it('takes a picture of some 45 KB as a body: the shipped Kamailio configuration reads requests up to 64 KB', async () => {
    const v = await visitor('Gus');
    // Noise does not compress: a PNG of about 45 KB, past Kamailio's default 16 KB read buffer.
    const picture = await sharp({ create: { width: 130, height: 130, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .png()
      .toBuffer();
    assert.ok(picture.length > 40_000 && picture.length < 60_000, `${picture.length} bytes`);
    const arrived = next(v.socket, 'message', (m) => m.from === desk.ALICE);
    const answer = await fromAlicesPhone(v.uri, 'image/png', picture);
    assert.equal(answer.statusCode, 200);
    const [file] = (await arrived).attachments ?? [];
    assert.equal(file?.name, 'file.png', 'no name given: "file", with the extension of the type found');
    assert.deepEqual(await download(desk.t, v.session.token, file.id), picture);
  });

  it('takes a text/html body as the text it shows, not as a file', async () => {
    const v = await visitor('Hal');
    const arrived = next(v.socket, 'message', (m) => m.from === desk.ALICE);
    const html = '<html><body><FONT FACE="Segoe UI">Yes, <B>3000 mm</B> &amp; taped seams.</FONT></body></html>';
    const answer = await fromAlicesPhone(v.uri, 'text/html; charset=UTF-8', Buffer.from(html));
    assert.equal(answer.statusCode, 200, `${answer.statusCode} ${answer.reasonPhrase} ${answer.headers.get('warning') ?? ''}`);
    const message = await arrived;
    assert.equal(message.text, 'Yes, 3000 mm & taped seams.');
    assert.deepEqual(message.attachments ?? [], []);
  });

  it('reads a text/plain body in its charset (windows-1252, not UTF-8: relayed in a binary frame)', async () => {
    const v = await visitor('Ida');
    const arrived = next(v.socket, 'message', (m) => m.from === desk.ALICE);
    // "Café: €12 – “ok”" in windows-1252.
    const body = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x3a, 0x20, 0x80, 0x31, 0x32, 0x20, 0x96, 0x20, 0x93, 0x6f, 0x6b, 0x94]);
    const answer = await fromAlicesPhone(v.uri, 'text/plain; charset=windows-1252', body);
    assert.equal(answer.statusCode, 200, `${answer.statusCode} ${answer.reasonPhrase} ${answer.headers.get('warning') ?? ''}`);
    assert.equal((await arrived).text, 'Café: €12 \u2013 \u201cok\u201d');
  });

  it('refuses a body the bridge cannot read with 415 and the reason', async () => {
    const v = await visitor('Fay');
    const descriptor = Buffer.from('<?xml version="1.0"?><file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"/>');
    const answer = await fromAlicesPhone(v.uri, 'application/vnd.gsma.rcs-ft-http+xml', descriptor);
    assert.equal(answer.statusCode, 415);
    assert.match(answer.headers.get('warning') ?? '', /A body of type application\/vnd\.gsma\.rcs-ft-http\+xml is not taken here/);
  });
});
