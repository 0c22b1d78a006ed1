// The teams' URIs under the SIP visitor domain (docs/customers.md, "SIP"): addresses both ways, the
// URI answers come from, the configuration's check, and the answers a customer's MESSAGE gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { UserAgent } from 'sip.js';
import { ConfigError } from '../../src/config-error.js';
import type { InboundMessage, InboundSink, InboundTyping } from '../../src/networks/network.js';
import { VisitorDomain } from '../../src/networks/sip/addresses.js';
import { isComposingBody } from '../../src/networks/sip/bodies.js';
import { sipNetworkConfigSchema } from '../../src/networks/sip/config.js';
import { ImdnNotifications } from '../../src/networks/sip/imdn.js';
import { IncomingMessages } from '../../src/networks/sip/incoming.js';
import type { OutgoingMessage, SipMessenger } from '../../src/networks/sip/outgoing.js';
import { TeamUris } from '../../src/networks/sip/team-uris.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { type SipAnswer as Answer, answerOf } from '../sip-stand-in.js';
import type { SipTexts } from '../../src/networks/sip/text-messages.js';

const DOMAIN = 'web.example.org';
const TEAMS = [
  { id: 'support', name: 'Support', sites: ['shop'] },
  { id: 'Sales', name: 'Sales', sites: ['shop', 'blog'] },
  { id: 'billing', name: 'Billing', sites: ['shop'] },
];
const teams = new TeamUris({ domain: DOMAIN, teams: TEAMS, configured: { support: 'help' } });
const domain = new VisitorDomain(DOMAIN, hosted, teams);
const uri = (text: string) => UserAgent.makeURI(text)!;
const CUSTOMER = 'sip:carol@example.com' as const;
const conversation = { id: 'c1', participants: [CUSTOMER], team: 'support', state: 'open' as const, createdAt: '', lastSeq: 1 };

const entry = (extra: Record<string, unknown>) =>
  sipNetworkConfigSchema.safeParse({
    type: 'sip',
    server: 'wss://sip.example.org/ws',
    domain: 'example.org',
    username: 'bridge',
    password: 'x',
    visitorDomain: DOMAIN,
    ...extra,
  });

describe("the teams' SIP URIs", () => {
  it('maps a team to its configured (or lowercased id) user part and back, whatever the case the customer types', () => {
    assert.equal(domain.uriOf('team:support'), 'sip:help@web.example.org');
    assert.equal(domain.uriOf('team:Sales'), 'sip:sales@web.example.org');
    assert.equal(domain.partyOf(uri('sip:Help@Web.Example.org')), 'team:support');
    assert.equal(domain.partyOf(uri('sip:sales@web.example.org')), 'team:Sales');
    assert.equal(domain.partyOf(uri('sip:support@web.example.org')), null, 'the id is not the address once another is configured');
    assert.equal(domain.partyOf(uri('sip:help@example.org')), null, 'another domain');
    // Visitors and other networks' parties keep their URIs.
    assert.equal(domain.partyOf(uri('sip:v_3fa9c@web.example.org')), 'web:v_3fa9c');
    assert.equal(domain.uriOf('web:v_3fa9c'), 'sip:v_3fa9c@web.example.org');
    assert.equal(domain.owns('sip:help@web.example.org'), true);
  });

  it("shows the team's URI to the customer who opened the conversation, and each party's own to anyone else", () => {
    const withCustomer = { ...conversation, openedBy: CUSTOMER };
    assert.equal(teams.senderFor(withCustomer, CUSTOMER, hosted)?.uri, 'sip:help@web.example.org');
    assert.equal(teams.senderFor(withCustomer, 'sip:erin@example.com', hosted), undefined, 'an agent of the conversation');
    assert.equal(teams.senderFor({ ...conversation, openedBy: 'web:v_1' }, 'web:v_1', hosted), undefined, "a website visitor's conversation");
    assert.equal(teams.senderFor({ ...conversation }, CUSTOMER, hosted), undefined, 'a conversation no customer opened');
    assert.equal(teams.senderFor({ ...withCustomer, team: undefined }, CUSTOMER, hosted), undefined, 'no team');
  });

  it('gives a team whose id cannot be a user part no URI, and refuses a configured one that is another team id', () => {
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, text: string) => warnings.push(text) } as unknown as pino.Logger;
    const odd = new TeamUris({
      domain: DOMAIN,
      teams: [
        { id: 'v_team', name: 'V', sites: [] },
        { id: 'Switchboard', name: 'S', sites: [] },
        { id: 'help', name: 'Help', sites: [] },
        { id: 'HELP', name: 'Help too', sites: [] },
      ],
      logger,
    });
    assert.equal(odd.of('team:v_team'), undefined);
    assert.equal(odd.of('team:Switchboard'), undefined);
    assert.equal(odd.of('team:help')?.uri, 'sip:help@web.example.org');
    assert.equal(odd.of('team:HELP'), undefined, 'its lowercased id is already the first one');
    assert.equal(warnings.length, 3);
    assert.throws(
      () => new TeamUris({ domain: DOMAIN, teams: TEAMS, configured: { Sales: 'support' } }),
      (error: Error) => error instanceof ConfigError && /teamAddresses\.Sales: "support" is already the address of team "support"/.test(error.message),
    );
  });

  it('checks customers in the network entry and names the wrong field', () => {
    assert.equal(entry({ customers: { teamAddresses: { support: 'help' }, site: 'shop' } }).success, true);
    const bad = entry({
      customers: { teamAddresses: { support: 'help', sales: 'HELP', a: 'v_x', b: 'switchboard', c: 'Bridge', d: 'no spaces', e: 'x_team.ok' } },
    });
    assert.equal(bad.success, false);
    assert.deepEqual(
      bad.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      [
        'customers.teamAddresses.d: must be 1-64 letters, digits, ., _ or -',
        'customers.teamAddresses.sales: is already the address of team "support"',
        'customers.teamAddresses.a: must not start with a letter and "_": such user parts are the URIs of the bridge\'s own parties (v_..., a_...)',
        'customers.teamAddresses.b: must not be "switchboard": that is the bridge\'s own URI, where agents send commands',
        "customers.teamAddresses.c: must not be the bridge's own username",
        'customers.teamAddresses.e: must not start with a letter and "_": such user parts are the URIs of the bridge\'s own parties (v_..., a_...)',
      ],
    );
    assert.equal(entry({ customers: { sites: 'shop' } }).success, false, 'unknown key');
  });
});

/** A customer's MESSAGE to `user` under the visitor domain, the core's `message` given: what the sink saw, and the answer. */
async function customerWrites(
  user: string,
  store: (input: InboundMessage) => Promise<unknown>,
  options: { from?: string; contentType?: string; body?: string; site?: string } = {},
): Promise<{ answer: Answer | 'accepted'; typing: InboundTyping[] }> {
  const typing: InboundTyping[] = [];
  const sink = { message: store, typing: (input: InboundTyping) => typing.push(input) } as unknown as InboundSink;
  const incoming = new IncomingMessages({
    sink,
    logger: pino({ level: 'silent' }),
    domain,
    hosted,
    messenger: {} as SipMessenger,
    texts: {} as SipTexts,
    imdn: {} as ImdnNotifications,
    ...(options.site ? { customerSite: options.site } : {}),
  });
  const answer = await answerOf(incoming, { to: `sip:${user}@${DOMAIN}`, from: options.from ?? CUSTOMER, ...options });
  return { answer, typing };
}

describe("a customer's MESSAGE to a team's URI", () => {
  it('goes to the core marked with the team (and the configured site), stored: 200', async () => {
    const seen: InboundMessage[] = [];
    const stored = (input: InboundMessage) => {
      seen.push(input);
      return Promise.resolve({ id: 'm_1' });
    };
    assert.equal((await customerWrites('help', stored, { site: 'blog' })).answer, 'accepted');
    const { onQueued, ...message } = seen[0]!;
    assert.equal(typeof onQueued, 'function', "the customer's next MESSAGE is taken once this one's place is");
    assert.deepEqual(message, {
      network: 'sip',
      from: CUSTOMER,
      to: 'team:support',
      text: 'hi',
      remoteId: `${CUSTOMER}/call-1/1`,
      team: { id: 'support', site: 'blog' },
    });
  });

  it('carries isComposing to the team as typing', async () => {
    const { answer, typing } = await customerWrites('HELP', () => Promise.resolve(null), {
      contentType: 'application/im-iscomposing+xml',
      body: isComposingBody('composing'),
    });
    assert.equal(answer, 'accepted');
    assert.deepEqual(typing, [{ from: CUSTOMER, to: 'team:support', state: 'composing', team: { id: 'support' } }]);
  });

  it('says why the team refused it (403): several sites and none set, or else none taken from here', async () => {
    const refused = () => Promise.resolve(null);
    assert.deepEqual((await customerWrites('sales', refused)).answer, {
      statusCode: 403,
      reasonPhrase: 'Team Takes No Messages From SIP',
      extraHeaders: [
        'Warning: 399 web.example.org "Sales serves several sites, and none of them is set for customers writing from SIP: this address takes no messages."',
      ],
    });
    assert.deepEqual((await customerWrites('billing', refused)).answer, {
      statusCode: 403,
      reasonPhrase: 'Team Takes No Messages',
      extraHeaders: ['Warning: 399 web.example.org "Billing takes no messages from this network."'],
    });
  });

  it("refuses one of the bridge's own URIs writing to a team (403), and a user part that is no one (404)", async () => {
    const never = () => Promise.reject(new Error('not for the core'));
    const own = (await customerWrites('help', never, { from: 'sip:v_1@web.example.org' })).answer as Answer;
    assert.equal(own.statusCode, 403);
    assert.equal(own.reasonPhrase, 'Customers Only');
    assert.deepEqual(await customerWrites('nobody', never).then((r) => r.answer), { statusCode: 404, reasonPhrase: 'No Such Visitor' });
  });

  it("answers a customer's request for a delivery notification (RFC 5438) from the team's URI once stored", async () => {
    const sent: OutgoingMessage[] = [];
    const messenger = { send: (message: OutgoingMessage) => Promise.resolve(void sent.push(message)) } as unknown as SipMessenger;
    const imdn = new ImdnNotifications(messenger, domain, hosted, pino({ level: 'silent' }));
    imdn.stored('m_1', { id: 'imdn-1', delivery: true, display: false }, 'sip:carol@example.com', 'team:support');
    await Promise.resolve();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.from, 'team:support');
    assert.equal(sent[0]!.to, 'sip:carol@example.com');
    assert.match(sent[0]!.body, /<recipient-uri>sip:help@web\.example\.org<\/recipient-uri>/);
    assert.match(sent[0]!.body, /<delivered\/>/);
  });
});
