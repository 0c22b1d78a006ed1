// Files by SIP MESSAGE (docs/networks/sip.md, "Files"): bodies that are files, their bytes as they
// came in binary frames, and what the core is handed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import pino from 'pino';
import type { InboundMessage, InboundSink } from '../../src/networks/network.js';
import { VisitorDomain } from '../../src/networks/sip/addresses.js';
import { carriesFiles, readFileBody } from '../../src/networks/sip/body-files.js';
import type { ImdnNotifications } from '../../src/networks/sip/imdn.js';
import { IncomingMessages } from '../../src/networks/sip/incoming.js';
import type { SipMessenger } from '../../src/networks/sip/outgoing.js';
import { RawBodies } from '../../src/networks/sip/raw-bodies.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { type SipAnswer, answerOf } from '../sip-stand-in.js';
import type { SipTexts } from '../../src/networks/sip/text-messages.js';

/** Not UTF-8 (a PNG signature, then bytes no decoder keeps), with CR LF CR LF inside. */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x01]);

/** A MESSAGE as Kamailio relays it in a binary frame. */
function frame(callId: string, cseq: number, contentType: string, body: Buffer, extra: string[] = []): Buffer {
  const head = [
    'MESSAGE sip:switchboard@example.org SIP/2.0',
    'From: <sip:alice@example.org>;tag=1',
    'To: <sip:v_1@web.example.org>',
    `i: ${callId}`,
    `CSeq: ${cseq} MESSAGE`,
    `Content-Type: ${contentType}`,
    ...extra,
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), body]);
}

/** The network's incoming side, the core's `message` given. */
function network(stored: InboundSink['message'], rawBodies: RawBodies): IncomingMessages {
  return new IncomingMessages({
    sink: { message: stored } as InboundSink,
    logger: pino({ level: 'silent' }),
    domain: new VisitorDomain('web.example.org', hosted),
    hosted,
    messenger: {} as SipMessenger,
    texts: {} as SipTexts,
    imdn: {} as ImdnNotifications,
    rawBodies,
  });
}

/** Hands a MESSAGE to the network as SIP.js would (its body read as text), its raw body kept as the transport keeps it. */
async function received(
  request: { contentType: string; body: Buffer; disposition?: string; binaryFrame?: boolean },
  stored: (input: InboundMessage) => Promise<Message | null>,
) {
  const rawBodies = new RawBodies();
  if (request.binaryFrame !== false)
    rawBodies.keep(frame('call-9', 7, request.contentType, request.body, request.disposition ? [`Content-Disposition: ${request.disposition}`] : []));
  const incoming = network(stored, rawBodies);
  return answerOf(incoming, {
    to: 'sip:v_1@web.example.org',
    from: 'sip:alice@example.org',
    contentType: request.contentType,
    headers: request.disposition ? { 'Content-Disposition': request.disposition } : {},
    body: new TextDecoder().decode(request.body), // what SIP.js makes of it
    callId: 'call-9',
    cseq: 7,
  });
}

const message = (attachments: number) => ({ id: 'm_1', attachments: Array.from({ length: attachments }, () => ({})) }) as unknown as Message;

describe('SIP files', () => {
  it('keeps the body of a MESSAGE that came in a binary frame, byte for byte, until it is taken', () => {
    const bodies = new RawBodies();
    bodies.keep(frame('abc@host', 3, 'image/png', PNG));
    bodies.keep(Buffer.from('NOTIFY sip:x SIP/2.0\r\ni: n\r\nCSeq: 1 NOTIFY\r\n\r\nxx'));
    assert.equal(bodies.take('abc@host', 4), undefined);
    assert.deepEqual(bodies.take('abc@host', 3), PNG);
    assert.equal(bodies.take('abc@host', 3), undefined, 'taken once');
    assert.equal(bodies.take('n', 1), undefined, 'only MESSAGE bodies are kept');
    for (let call = 0; call < 40; call++) bodies.keep(frame(`c${call}`, 1, 'image/png', PNG));
    assert.equal(bodies.take('c0', 1), undefined, 'a few bodies at most');
    assert.deepEqual(bodies.take('c39', 1), PNG);
  });

  it('takes pictures, documents and multipart bodies as files, not the documents of SIP itself', () => {
    for (const type of ['image/jpeg', 'image/svg+xml', 'audio/ogg', 'video/mp4', 'application/pdf', 'application/octet-stream', 'multipart/mixed', 'text/csv'])
      assert.equal(carriesFiles(type), true, type);
    // text/html is a formatted message (Jitsi, Skype for Business/Lync): text, not a file (sip-text.test.ts).
    for (const type of [
      'text/plain',
      'text/html',
      'application/sdp',
      'application/xml',
      'application/pidf+xml',
      'application/vnd.gsma.rcs-ft-http+xml',
      'message/sipfrag',
    ])
      assert.equal(carriesFiles(type), false, type);
  });

  it('reads a multipart body as its text and its files', async () => {
    const body = Buffer.concat([
      Buffer.from('--b\r\nContent-Type: text/plain;charset=UTF-8\r\n\r\nhere it is\r\n--b\r\nContent-Type: image/png\r\n'),
      Buffer.from("Content-Disposition: attachment; filename*=UTF-8''%C3%A9t%C3%A9.png\r\n\r\n"),
      PNG,
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const read = await readFileBody({ contentType: 'multipart/mixed; boundary=b', body });
    assert.equal(read.text, 'here it is');
    assert.equal(read.files.length, 1);
    assert.equal(read.files[0]!.name, 'été.png');
    assert.equal(read.files[0]!.declaredType, 'image/png');
    assert.deepEqual(read.files[0]!.content, PNG);
  });

  it("leaves out a multipart body's parts that are SIP's own documents, and refuses one that holds nothing else as that part alone is", async () => {
    const part = (type: string, content: string) => `--b\r\nContent-Type: ${type}\r\n\r\n${content}\r\n`;
    const sdp = part('application/sdp', 'v=0');
    const notes = part('text/plain\r\nContent-Disposition: attachment; filename="notes.txt"', 'my notes');
    const read = await readFileBody({ contentType: 'multipart/mixed; boundary=b', body: Buffer.from(`${part('text/plain', 'hello')}${sdp}${notes}--b--\r\n`) });
    assert.deepEqual(
      [read.text, read.files.map((file) => [file.name, file.content.toString()]), read.skipped],
      ['hello', [['notes.txt', 'my notes']], ['application/sdp']],
      'an attached text file stays a file',
    );
    const stored: InboundMessage[] = [];
    const store = (input: InboundMessage) => (stored.push(input), Promise.resolve(message(0)));
    const alone = (await received(
      { contentType: 'multipart/mixed; boundary=b', body: Buffer.from(`${sdp}${part('application/pidf+xml', '<presence/>')}--b--\r\n`) },
      store,
    )) as SipAnswer;
    assert.equal(alone.statusCode, 415);
    assert.ok(alone.extraHeaders?.some((header) => header.includes('A body of type application/sdp is not taken here')));
    assert.deepEqual(stored, [], 'nothing stored, no file.txt');
  });

  it('stores a picture body as the message file, named by its Content-Disposition, else "file"', async () => {
    const inputs: InboundMessage[] = [];
    const store = (input: InboundMessage) => {
      inputs.push(input);
      return Promise.resolve(message(1));
    };
    assert.equal(await received({ contentType: 'image/png', body: PNG, disposition: 'render; filename="shot.png"' }, store), 'accepted');
    assert.equal(await received({ contentType: 'image/jpeg', body: PNG }, store), 'accepted');
    assert.equal(inputs[0]!.text, '');
    assert.deepEqual(
      inputs.map((input) => input.files?.map((file) => [file.name, file.declaredType, file.content.equals(PNG)])),
      [[['shot.png', 'image/png', true]], [['file', 'image/jpeg', true]]],
    );
  });

  it('says so when the core did not take the file, and refuses a body it cannot read, saying why', async () => {
    const stored = () => Promise.resolve(message(0));
    const incoming = network(stored, new RawBodies());
    let warning: string[] | undefined;
    const accepted = await answerOf(incoming, {
      to: 'sip:v_1@web.example.org',
      from: 'sip:alice@example.org',
      contentType: 'application/pdf',
      body: '%PDF-1.4',
      acceptedWith: (options) => (warning = options?.extraHeaders),
    });
    assert.equal(accepted, 'accepted');
    assert.deepEqual(warning, ['Warning: 399 web.example.org "A file of the message not accepted: the message says why."']);
    const sdp = (await answerOf(incoming, {
      to: 'sip:v_1@web.example.org',
      from: 'sip:alice@example.org',
      contentType: 'application/sdp',
      body: 'v=0',
    })) as SipAnswer;
    assert.equal(sdp.statusCode, 415);
    assert.ok(sdp.extraHeaders?.some((header) => /^Accept: text\/plain, .*image\/\*/.test(header)));
    assert.ok(sdp.extraHeaders?.some((header) => /^Warning: 399 web\.example\.org "A body of type application\/sdp is not taken here/.test(header)));
    const empty = (await answerOf(incoming, { to: 'sip:v_1@web.example.org', from: 'sip:alice@example.org', contentType: 'image/png', body: '' })) as SipAnswer;
    assert.equal(empty.statusCode, 400);
  });

  it('keeps a binary body inside CPIM whole', async () => {
    const inputs: InboundMessage[] = [];
    const cpim = Buffer.concat([
      Buffer.from(
        'From: <sip:alice@example.org>\r\nNS: imdn <urn:ietf:params:imdn>\r\n\r\nContent-Type: image/png\r\nContent-Disposition: render; filename=a.png\r\n\r\n',
      ),
      PNG,
    ]);
    const answer = await received({ contentType: 'message/cpim', body: cpim }, (input) => {
      inputs.push(input);
      return Promise.resolve(message(1));
    });
    assert.equal(answer, 'accepted');
    assert.equal(inputs[0]!.files?.[0]?.name, 'a.png');
    assert.deepEqual(inputs[0]!.files?.[0]?.content, PNG);
  });
});
