import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unreadableContentTypeAnswer } from '../../src/networks/sip/unreadable-requests.js';

const request = (method: string, contentType: string | undefined, extra: string[] = []) =>
  [
    `${method} sip:v_0123456789ab@web.example.org SIP/2.0`,
    'Via: SIP/2.0/WSS 127.0.0.1:5060;branch=z9hG4bK776asdhds',
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1234',
    'Max-Forwards: 70',
    'To: <sip:v_0123456789ab@web.example.org>',
    'From: "Alice" <sip:alice@example.org>;tag=49583',
    'Call-ID: asd88asd77a@1.2.3.4',
    `CSeq: 7 ${method}`,
    ...(contentType === undefined ? [] : [contentType]),
    ...extra,
    'Content-Length: 5',
    '',
    'hello',
  ].join('\r\n');

describe('SIP requests with a Content-Type SIP.js cannot read', () => {
  it('answers 400 with the Warning, copying Via, From, To (tagged), Call-ID and CSeq', () => {
    const answer = unreadableContentTypeAnswer(request('MESSAGE', 'Content-Type: text/plain; charset="utf-8'), 'web.example.org');
    assert.ok(answer, 'an answer');
    const lines = answer.split('\r\n');
    assert.equal(lines[0], 'SIP/2.0 400 Bad Request');
    assert.deepEqual(
      lines.filter((line) => line.startsWith('Via: ')),
      ['Via: SIP/2.0/WSS 127.0.0.1:5060;branch=z9hG4bK776asdhds', 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1234'],
    );
    assert.ok(lines.includes('From: "Alice" <sip:alice@example.org>;tag=49583'));
    assert.ok(lines.includes('Call-ID: asd88asd77a@1.2.3.4'));
    assert.ok(lines.includes('CSeq: 7 MESSAGE'));
    assert.match(
      lines.find((line) => line.startsWith('To: '))!,
      /^To: <sip:v_0123456789ab@web\.example\.org>;tag=\w+$/,
    );
    assert.match(answer, /\r\nWarning: 399 web\.example\.org "The Content-Type header cannot be read: nothing was delivered\./);
  });

  it('reads the compact form and a folded value as SIP.js does', () => {
    assert.ok(unreadableContentTypeAnswer(request('MESSAGE', 'c: application/x-"evil'), 'h'));
    assert.ok(unreadableContentTypeAnswer(request('NOTIFY', 'Content-Type: text/plain;', [' charset="open']), 'h'));
    assert.equal(unreadableContentTypeAnswer(request('MESSAGE', 'Content-Type: text/plain;', [' charset=UTF-8']), 'h'), undefined);
  });

  it('leaves alone what SIP.js reads, responses, an ACK, and a request it could not answer anyway', () => {
    for (const contentType of [undefined, 'Content-Type: text/plain;charset=UTF-8', 'c: message/cpim', 'Content-Type: application/im-iscomposing+xml'])
      assert.equal(unreadableContentTypeAnswer(request('MESSAGE', contentType), 'h'), undefined, contentType);
    assert.equal(unreadableContentTypeAnswer(request('ACK', 'Content-Type: text/plain; charset="x'), 'h'), undefined);
    const response = request('MESSAGE', 'Content-Type: text/plain; charset="x').replace(/^[^\r]*/, 'SIP/2.0 200 OK');
    assert.equal(unreadableContentTypeAnswer(response, 'h'), undefined);
    const noVia = request('MESSAGE', 'Content-Type: text/plain; charset="x').replace(/Via: [^\r]*\r\n/g, '');
    assert.equal(unreadableContentTypeAnswer(noVia, 'h'), undefined);
  });
});
