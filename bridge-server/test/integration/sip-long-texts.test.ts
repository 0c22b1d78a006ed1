// Long texts on SIP against a real Kamailio (docs/networks/sip.md, "Long texts"): an agent's phone
// registered over UDP, as Linphone and Baresip are by default, gets a 5,000-character reply as
// several MESSAGEs, in order, each datagram within 1300 bytes (RFC 3428 section 8, RFC 3261
// section 18.1.1), whose texts joined are the reply; the reply is `sent` once the last is accepted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, collect, next, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork } from '../servers/networks.js';
import { pidf } from '../sip-agent.js';
import { type UdpPhone, startAvailablePhone } from '../sip-udp-phone.js';

/** 5,000 characters in paragraphs and lines, with accents, CJK, emoji sequences and flags. */
function longReply(): string {
  const sentences = [
    'Thanks for your patience, here is everything about your order.',
    'Die Lieferung erfolgt in drei bis fünf Werktagen, je nach Größe.',
    '您的订单已经发货,请注意查收。',
    'Family plan 👨‍👩‍👧‍👦 and shipping to 🇫🇷 or 🇯🇵 both work.',
    'Ça coûte 12,50 € TTC, frais de port compris.',
  ];
  let text = '';
  for (let i = 0; text.length < 5_000; i++) text += `${sentences[i % sentences.length]!}${i % 7 === 6 ? '\n\n' : i % 3 === 2 ? '\n' : ' '}`;
  // Exactly 5,000 UTF-16 code units, cut between graphemes.
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map(({ segment }) => segment);
  let cut = '';
  for (const grapheme of graphemes) {
    if (cut.length + grapheme.length > 5_000) break;
    cut += grapheme;
  }
  return cut.padEnd(5_000, '.');
}

describe('long texts on SIP against a real Kamailio', () => {
  let kamailio: KamailioServer;
  let t: TestBridge;
  let phone: UdpPhone;
  let BOB: string;
  /** The entity tag of bob's one publication, as the last answer to it gave it. */
  let bobsEtag: string | undefined;

  before(async () => {
    kamailio = await startKamailio({ users: { bob: 'bobpw', switchboard: 'bridgepw' }, routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' } });
    ({ phone, uri: BOB, etag: bobsEtag } = await startAvailablePhone(kamailio, { user: 'bob', password: 'bobpw' }));
    t = await startBridge({
      teams: [{ id: 'support', members: [BOB], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('sip')?.status().state === 'online', 10_000, 'the bridge to register');
  });
  after(async () => {
    await phone?.stop();
    await t?.stop();
    await kamailio?.destroy();
  });

  it('brings a 5,000-character reply to a phone on UDP as MESSAGEs in order, each within 1300 bytes, joined the reply, and only then says `sent`', async () => {
    const v = await openVisitor(t, { profile: { name: 'Dana' }, assignee: BOB });
    const visitorUri = `sip:${v.self.slice(4)}@${VISITOR_DOMAIN}`;
    const question = next(v.socket, 'message', (m) => m.from === BOB);
    assert.equal(await phone.request('MESSAGE', visitorUri, { contentType: 'text/plain;charset=UTF-8', body: 'Where is my order?' }), 200);
    await question;

    const mark = phone.messages.length;
    const statuses = collect(v.socket, 'message:status');
    const reply = longReply();
    assert.equal(reply.length, 5_000);
    const sent = await sendText(v, reply);
    const parts = () => phone.messages.slice(mark).filter((m) => m.from.includes(v.self.slice(4)) && m.contentType === 'text/plain;charset=UTF-8');
    await until(() => statuses.some((s) => s.id === sent.id && (s.status === 'sent' || s.status === 'failed')), 60_000, 'the status of the reply');
    // Every part is in when the reply is `sent`: the last part's 200 made it so.
    const got = parts();
    assert.deepEqual(
      statuses.filter((s) => s.id === sent.id && s.status !== 'accepted').map((s) => s.status),
      ['sent'],
    );
    assert.ok(got.length > 1, `${got.length} MESSAGE(s)`);
    for (const part of got) assert.ok(part.bytes <= 1300, `a datagram of ${part.bytes} bytes`);
    assert.equal(got.map((part) => part.body).join(''), reply, 'the parts, in the order they came, are the reply');
  });

  it('takes a phone withdrawing its presence over UDP without Content-Length (as Linphone quits): the agent goes offline at once', async () => {
    // Modifies bob's one publication (RFC 3903 section 4.4), as a phone does: a PUBLISH without
    // SIP-If-Match would make a second one, which would keep him available once this is withdrawn.
    assert.ok(bobsEtag, 'the publication has an entity tag');
    const republished = await phone.request('PUBLISH', BOB, {
      headers: ['Event: presence', 'Expires: 600', `SIP-If-Match: ${bobsEtag}`],
      contentType: 'application/pidf+xml',
      body: pidf(BOB, 'open'),
    });
    assert.equal(republished, 200);
    const current = phone.lastAnswer.get('sip-etag');
    assert.ok(current, 'the modified publication has an entity tag');
    await until(() => t.bridge.core.presence.get(BOB as `sip:${string}`).status === 'available', 10_000, 'bob available');
    // RFC 3903 section 4.5: Expires 0 with the entity tag, no body, and over UDP no Content-Length (RFC 3261 section 20.14).
    const withdrawn = await phone.request('PUBLISH', BOB, {
      headers: ['Event: presence', 'Expires: 0', `SIP-If-Match: ${current}`],
      withoutContentLength: true,
    });
    assert.equal(withdrawn, 200, 'the documented Kamailio takes it');
    await until(() => t.bridge.core.presence.get(BOB as `sip:${string}`).status === 'offline', 10_000, 'bob offline once withdrawn');
    assert.equal(
      await phone.request('PUBLISH', BOB, { headers: ['Event: presence', 'Expires: 600'], contentType: 'application/pidf+xml', body: pidf(BOB, 'open') }),
      200,
    );
  });
});
