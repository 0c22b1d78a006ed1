// Text received by SIP MESSAGE (docs/networks/sip.md, "Text received"): text/plain and text/html
// bodies (Jitsi, Skype for Business/Lync), read in their charset, also inside CPIM and as commands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import pino from 'pino';
import type { InboundMessage, InboundSink } from '../../src/networks/network.js';
import { VisitorDomain } from '../../src/networks/sip/addresses.js';
import { carriesFiles, readFileBody } from '../../src/networks/sip/body-files.js';
import { isTextBody, readTextBody } from '../../src/networks/sip/body-text.js';
import type { ImdnNotifications } from '../../src/networks/sip/imdn.js';
import { IncomingMessages } from '../../src/networks/sip/incoming.js';
import type { SipMessenger } from '../../src/networks/sip/outgoing.js';
import { RawBodies } from '../../src/networks/sip/raw-bodies.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { answerOf } from '../sip-stand-in.js';

const read = (contentType: string, bytes: Buffer) => readTextBody({ type: contentType.split(';')[0]!.trim().toLowerCase(), contentType, bytes });

/** `café €5` in windows-1252 (`é` 0xE9, `€` 0x80): not UTF-8, so a proxy relays it in a binary frame. */
const CP1252 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x35]);

describe('SIP text bodies', () => {
  it('takes text/plain and text/html as text, other text types as files', () => {
    for (const type of ['text/plain', 'text/html']) {
      assert.equal(isTextBody(type), true, type);
      assert.equal(carriesFiles(type), false, type);
    }
    for (const type of ['text/csv', 'text/calendar', 'text/rtf']) {
      assert.equal(isTextBody(type), false, type);
      assert.equal(carriesFiles(type), true, type);
    }
  });

  it('makes an HTML body plain text', () => {
    assert.equal(read('text/html', Buffer.from('<html><body>Is the <b>tent</b> waterproof?</body></html>')), 'Is the tent waterproof?');
    assert.equal(read('text/html; charset=UTF-8', Buffer.from('<FONT FACE="Segoe UI">One &amp; <I>two</I><br>three</FONT>')), 'One & two\nthree');
    assert.equal(read('text/html', Buffer.from('<a href="https://shop.example/tents">tents</a>')), 'tents [https://shop.example/tents]');
    assert.equal(read('text/plain', Buffer.from('<b>as written</b>')), '<b>as written</b>', 'plain text is never read as HTML');
  });

  it('reads the body in its charset when TextDecoder knows it, else as UTF-8', () => {
    assert.equal(read('text/plain; charset=iso-8859-1', CP1252), 'café €5', 'iso-8859-1 reads as windows-1252, as in browsers');
    assert.equal(read('text/plain;charset="windows-1252"', CP1252), 'café €5');
    assert.equal(read('text/html; charset=Windows-1252', Buffer.from([0x3c, 0x69, 0x3e, 0xe9, 0x3c, 0x2f, 0x69, 0x3e])), 'é');
    // Node's own TextDecoder reads these as C1 controls (nodejs/node#60888): the WHATWG table instead.
    assert.equal(
      read('text/plain; charset=latin1', Buffer.from([0x93, 0x68, 0x69, 0x94, 0x20, 0x96, 0x20, 0x92, 0x81, 0x9f])),
      '\u201chi\u201d \u2013 \u2019\u0081\u0178',
    );
    assert.equal(read('text/plain; charset=koi8-r', Buffer.from([0xd0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4])), 'привет');
    assert.equal(read('text/plain; charset=UTF-8', Buffer.from('été \u{1F600}')), 'été \u{1F600}');
    assert.equal(read('text/plain', Buffer.from('été')), 'été', 'no charset: UTF-8');
    assert.equal(read('text/plain; charset=x-unknown', Buffer.from('été')), 'été', 'an unknown charset: UTF-8');
    assert.equal(read('text/plain; charset=utf-8', Buffer.from('\uFEFFhi \uFEFF')), 'hi \uFEFF', "UTF-8's byte order mark is no text (one inside is)");
    assert.equal(read('text/plain', Buffer.from('\uFEFFhi')), 'hi', 'without a charset too');
    // UTF-16: the byte-order mark says which end comes first and is no text (RFC 2781 section 4.3).
    const utf16 = (text: string, bigEndian: boolean) => {
      const bytes = Buffer.from(`\uFEFF${text}`, 'utf16le');
      return bigEndian ? bytes.swap16() : bytes;
    };
    assert.equal(read('text/plain; charset=utf-16', utf16('hi é', false)), 'hi é');
    assert.equal(read('text/plain; charset=UTF-16', utf16('hi é', true)), 'hi é');
    assert.equal(read('text/plain; charset=utf-16le', Buffer.from('hi', 'utf16le')), 'hi');
  });

  it('makes the HTML part of a multipart body its text when it has no plain text part', async () => {
    const body = Buffer.from(
      '--b\r\nContent-Type: text/html;charset=UTF-8\r\n\r\n<b>here</b> it is\r\n--b\r\nContent-Type: image/png\r\n\r\nxxxx\r\n--b--\r\n',
    );
    const content = await readFileBody({ contentType: 'multipart/mixed; boundary=b', body });
    assert.equal(content.text, 'here it is');
    assert.equal(content.files.length, 1);
  });
});

/** A MESSAGE as Kamailio relays it in a binary frame (its body not UTF-8). */
function frame(to: string, callId: string, cseq: number, contentType: string, body: Buffer): Buffer {
  const head = [
    `MESSAGE ${to} SIP/2.0`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} MESSAGE`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${body.length}`,
    '',
    '',
  ];
  return Buffer.concat([Buffer.from(head.join('\r\n')), body]);
}

/** The network's incoming side with a stand-in core; `received` hands it a MESSAGE as SIP.js would, its bytes kept as the transport keeps them. */
function network() {
  const messages: InboundMessage[] = [];
  const commands: { from: Address; text: string }[] = [];
  const rawBodies = new RawBodies();
  const sink = {
    message: (input: InboundMessage) => {
      messages.push(input);
      return Promise.resolve({ id: 'm_1' } as Message);
    },
    command: (input: { from: Address; text: string }) => {
      commands.push(input);
      return Promise.resolve('answer');
    },
  } as unknown as InboundSink;
  const incoming = new IncomingMessages({
    sink,
    logger: pino({ level: 'silent' }),
    domain: new VisitorDomain('web.example.org', hosted),
    hosted,
    messenger: { send: () => Promise.resolve() } as unknown as SipMessenger,
    texts: { send: () => Promise.resolve() },
    imdn: {} as ImdnNotifications,
    rawBodies,
  });
  let call = 0;
  const received = async (to: string, contentType: string, body: Buffer, binaryFrame = false) => {
    const callId = `call-${++call}`;
    if (binaryFrame) rawBodies.keep(frame(to, callId, 1, contentType, body));
    const answer = await answerOf(incoming, { to, from: 'sip:alice@example.org', contentType, body: new TextDecoder().decode(body), callId, cseq: 1 });
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    return answer;
  };
  return { received, messages, commands };
}

describe('SIP text MESSAGEs', () => {
  const VISITOR = 'sip:v_1@web.example.org';

  it('stores a text/html body as the text it shows, not as a file, also inside CPIM', async () => {
    const { received, messages } = network();
    assert.equal(await received(VISITOR, 'text/html', Buffer.from('<p>Is it <b>waterproof</b>?</p>')), 'accepted');
    const cpim =
      'From: <sip:alice@example.org>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: x1\r\n\r\nContent-Type: text/html\r\n\r\n<i>Yes</i>, 3000 mm.';
    assert.equal(await received(VISITOR, 'message/cpim', Buffer.from(cpim)), 'accepted');
    assert.deepEqual(
      messages.map(({ text, files }) => [text, files]),
      [
        ['Is it waterproof?', undefined],
        ['Yes, 3000 mm.', undefined],
      ],
    );
  });

  it('reads a text/plain body in its charset from the bytes that came in a binary frame', async () => {
    const { received, messages } = network();
    assert.equal(await received(VISITOR, 'text/plain; charset=iso-8859-1', CP1252, true), 'accepted');
    assert.equal(
      await received(VISITOR, 'text/html; charset=windows-1252', Buffer.concat([Buffer.from('<b>'), CP1252, Buffer.from('</b>')]), true),
      'accepted',
    );
    assert.deepEqual(
      messages.map(({ text }) => text),
      ['café €5', 'café €5'],
    );
  });

  it("takes an agent's command to the bridge's URI as HTML too", async () => {
    const { received, commands } = network();
    assert.equal(await received('sip:switchboard@web.example.org', 'text/html', Buffer.from('<html><body>/list</body></html>')), 'accepted');
    assert.equal(
      await received('sip:switchboard@web.example.org', 'text/plain; charset=iso-8859-1', Buffer.from([0x2f, 0x6e, 0x6f, 0x74, 0x65, 0x20, 0xe9]), true),
      'accepted',
    );
    assert.deepEqual(commands, [
      { from: 'sip:alice@example.org', text: '/list' },
      { from: 'sip:alice@example.org', text: '/note é' },
    ]);
  });
});
