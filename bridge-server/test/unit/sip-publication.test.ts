// A visitor's presence publication (RFC 3903) with the bridge's own refresh timer: what each PUBLISH
// carries, when it is refreshed, and that nothing is left refreshing once it is withdrawn or
// forgotten, whatever answer comes late.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import pino from 'pino';
import { type UserAgent, UserAgent as SipUserAgent } from 'sip.js';
import { Publication } from '../../src/networks/sip/publication.js';

interface Sent {
  headers: string[];
  body: string | undefined;
  answer(statusCode: number, headers?: Record<string, string>): void;
}

function setUp() {
  const sent: Sent[] = [];
  const core = {
    makeOutgoingRequestMessage: (
      _method: string,
      _ruri: unknown,
      _from: unknown,
      _to: unknown,
      _options: unknown,
      headers: string[],
      body?: { content: string },
    ) => ({
      headers,
      body: body?.content,
    }),
    publish: (request: { headers: string[]; body: string | undefined }, delegate: Record<string, (response: unknown) => void>) => {
      sent.push({
        ...request,
        answer: (statusCode, headers = {}) => {
          const message = { statusCode, getHeader: (name: string) => headers[name] };
          (statusCode < 300 ? delegate.onAccept! : delegate.onReject!)({ message });
        },
      });
    },
  };
  const ua = { userAgentCore: core } as unknown as UserAgent;
  const entity = SipUserAgent.makeURI('sip:v_1@web.example.org')!;
  const publication = new Publication(ua, entity, 'presence', 'application/pidf+xml', pino({ level: 'silent' }));
  return { sent, publication };
}

const header = (sent: Sent, name: string) => sent.headers.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);

describe('SIP presence publication (RFC 3903)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('sends one PUBLISH at a time: a document asked for before the answer follows it, with its entity-tag', async () => {
    const { sent, publication } = setUp();
    publication.publish('<open/>');
    publication.publish('<away/>');
    publication.publish('<busy/>');
    assert.equal(sent.length, 1, 'the second waits for the entity-tag of the first');
    sent[0]!.answer(200, { 'SIP-ETag': 'e1', Expires: '100' });
    assert.equal(sent.length, 2, 'only the latest document follows');
    assert.equal(sent[1]!.body, '<busy/>');
    assert.equal(header(sent[1]!, 'SIP-If-Match'), 'e1');
    const withdrawn = publication.withdraw();
    sent[1]!.answer(200, { 'SIP-ETag': 'e2', Expires: '100' });
    assert.equal(header(sent[2]!, 'Expires'), '0');
    assert.equal(header(sent[2]!, 'SIP-If-Match'), 'e2');
    sent[2]!.answer(200, { 'SIP-ETag': 'e2', Expires: '0' });
    await withdrawn;
    mock.timers.tick(10 * 3600_000);
    assert.equal(sent.length, 3, 'nothing after the removal');
  });

  it('publishes, refreshes at 90% of the granted time with the entity-tag, modifies, and removes', async () => {
    const { sent, publication } = setUp();
    publication.publish('<open/>');
    assert.equal(sent[0]!.body, '<open/>');
    assert.equal(header(sent[0]!, 'Event'), 'presence');
    assert.equal(header(sent[0]!, 'Expires'), '3600');
    assert.equal(header(sent[0]!, 'SIP-If-Match'), undefined);
    sent[0]!.answer(200, { 'SIP-ETag': 'e1', Expires: '100' });
    mock.timers.tick(89_999);
    assert.equal(sent.length, 1);
    mock.timers.tick(1);
    assert.equal(sent.length, 2, 'refreshed at 90 s of 100');
    assert.equal(sent[1]!.body, undefined);
    assert.equal(header(sent[1]!, 'SIP-If-Match'), 'e1');
    assert.equal(header(sent[1]!, 'Expires'), '100');
    sent[1]!.answer(200, { 'SIP-ETag': 'e2', Expires: '100' });
    publication.publish('<away/>');
    assert.equal(sent[2]!.body, '<away/>');
    assert.equal(header(sent[2]!, 'SIP-If-Match'), 'e2');
    sent[2]!.answer(200, { 'SIP-ETag': 'e3', Expires: '100' });
    const withdrawn = publication.withdraw();
    assert.equal(header(sent[3]!, 'Expires'), '0');
    assert.equal(header(sent[3]!, 'SIP-If-Match'), 'e3');
    sent[3]!.answer(200, { 'SIP-ETag': 'e3', Expires: '0' });
    await withdrawn;
    mock.timers.tick(10 * 3600_000);
    assert.equal(sent.length, 4, 'nothing refreshes a withdrawn publication');
  });

  it('removes a publication the proxy took after it was withdrawn, and never refreshes it', () => {
    const { sent, publication } = setUp();
    publication.publish('<open/>');
    void publication.withdraw();
    assert.equal(sent.length, 1, 'nothing to remove yet');
    sent[0]!.answer(200, { 'SIP-ETag': 'late', Expires: '3600' });
    assert.equal(header(sent[1]!, 'Expires'), '0');
    assert.equal(header(sent[1]!, 'SIP-If-Match'), 'late');
    sent[1]!.answer(200, { Expires: '0' });
    mock.timers.tick(10 * 3600_000);
    assert.equal(sent.length, 2);
  });

  it('forgets a publication without a request when the connection is gone', () => {
    const { sent, publication } = setUp();
    publication.publish('<open/>');
    sent[0]!.answer(200, { 'SIP-ETag': 'e1', Expires: '60' });
    publication.cancel();
    mock.timers.tick(3600_000);
    assert.equal(sent.length, 1);
  });

  it('publishes afresh when the proxy forgot the entity-tag (412), and stops on a refusal', () => {
    const { sent, publication } = setUp();
    publication.publish('<open/>');
    sent[0]!.answer(200, { 'SIP-ETag': 'e1', Expires: '60' });
    mock.timers.tick(54_000);
    sent[1]!.answer(412);
    assert.equal(sent[2]!.body, '<open/>');
    assert.equal(header(sent[2]!, 'SIP-If-Match'), undefined);
    sent[2]!.answer(403);
    mock.timers.tick(3600_000);
    assert.equal(sent.length, 3);
  });

  it('publishes again later after a failure for a while (408, 5xx, a broken connection), waiting longer each time or as told, until taken', () => {
    const { sent, publication } = setUp();
    publication.publish('<away/>');
    sent[0]!.answer(503); // SIP.js' answer to a transport error
    assert.equal(sent.length, 1, 'not at once');
    mock.timers.tick(2_000);
    assert.equal(sent[1]!.body, '<away/>');
    sent[1]!.answer(408);
    mock.timers.tick(3_999);
    assert.equal(sent.length, 2, 'twice as long the second time');
    mock.timers.tick(1);
    sent[2]!.answer(500, { 'Retry-After': '30 (restarting)' });
    mock.timers.tick(29_999);
    assert.equal(sent.length, 3, "the proxy's Retry-After");
    mock.timers.tick(1);
    sent[3]!.answer(200, { 'SIP-ETag': 'e1', Expires: '100' });
    mock.timers.tick(90_000);
    assert.equal(header(sent[4]!, 'SIP-If-Match'), 'e1', 'then refreshed as ever');
    assert.equal(sent[4]!.body, undefined);
  });

  it('tries a failed publication no more once withdrawn or forgotten, and a newer document goes at once', () => {
    const { sent, publication } = setUp();
    publication.publish('<away/>');
    sent[0]!.answer(500);
    publication.publish('<busy/>');
    assert.equal(sent[1]!.body, '<busy/>', 'the newer document, without waiting');
    sent[1]!.answer(500);
    publication.cancel();
    mock.timers.tick(3600_000);
    assert.equal(sent.length, 2);
  });
});
