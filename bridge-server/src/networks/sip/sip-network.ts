/**
 * The SIP/SIMPLE network (docs/networks/sip.md): agents on any SIP account (Linphone, Jitsi, Zoiper,
 * enterprise UC) talk with visitors, each visitor a SIP URI of its own under a domain the proxy
 * routes to the bridge's registration. RFC 3428 MESSAGE both ways, RFC 3994 isComposing, RFC 3856
 * presence (SUBSCRIBE to agents and to customers who write to a team, PUBLISH for visitors), RFC
 * 5438 IMDN where enabled. Files go out as link lines in the text and come in as MESSAGE bodies
 * of their own type (body-files.ts, raw-bodies.ts). Text travels only in bodies; nothing a visitor
 * writes reaches a header but its display name, quoted.
 *
 * The network is made of parts, each with one job and its own state:
 * - SipSession: the user agent, its registration and reconnection;
 * - VisitorDomain: the URIs the bridge presents (addresses.ts), the teams' among them (team-uris.ts);
 * - SipMessenger: MESSAGEs out, SipTexts: texts out as MESSAGEs (several for a long one); IncomingMessages: MESSAGEs in;
 * - ImdnNotifications: the disposition notifications SIP senders asked for;
 * - VisitorPresence: PUBLISH of the presence of the parties the bridge shows;
 * - SipAgentPresence: SUBSCRIBE to agents' presence (agents.ts);
 * - SipCustomerPresence: SUBSCRIBE to the presence of customers who write to a team (customer-presence.ts).
 */
import type { Address } from '@switchboard/protocol';
import { UserAgent } from 'sip.js';
import { bounded } from '../../util/bounded.js';
import { textWithFileLinks } from '../kit/file-lines.js';
import {
  type CustomerDoorFeature,
  type DeskFeature,
  type GatewayFeature,
  type IdentityFeature,
  type NetworkContext,
  type NetworkConversation,
  type NetworkCore,
  NetworkError,
  type PresenceFeature,
  type ReceiptsFeature,
  type TypingFeature,
} from '../network.js';
import { VisitorDomain, addressOfUri, uriOfAddress } from './addresses.js';
import { SipAgentPresence } from './agents.js';
import { COMPOSING_REFRESH_SECONDS, CONTENT_TYPES, isComposingBody } from './bodies.js';
import { TypingRepeats } from '../typing-repeats.js';
import type { SipNetworkConfig } from './config.js';
import { SipCustomerPresence } from './customer-presence.js';
import { sipIdentities } from './identity.js';
import { ImdnNotifications } from './imdn.js';
import { IncomingMessages } from './incoming.js';
import { BRIDGE, SipMessenger, UnsupportedBodyType } from './outgoing.js';
import { RefusedBodyTypes } from './refused-body-types.js';
import { PresenceSubscriptions } from './presence-subscription.js';
import { RawBodies } from './raw-bodies.js';
import { SipSession } from './session.js';
import { TeamUris } from './team-uris.js';
import { SipTexts, cpimParts } from './text-messages.js';
import { VisitorPresence } from './visitor-presence.js';

export { sipNetworkConfigSchema, type SipNetworkConfig } from './config.js';

/** How long the agents' and customers' unsubscriptions may take at shutdown. */
const STOP_STEP_MS = 2_000;
/** How long a stop lets the MESSAGEs being stored finish (a store that does not answer fails within this). */
const STOP_SETTLE_MS = 7_000;

/** Read markers travel as IMDN, so only when it is on. */
type SipNetwork = NetworkCore &
  TypingFeature &
  Partial<ReceiptsFeature> &
  PresenceFeature &
  DeskFeature &
  GatewayFeature &
  IdentityFeature &
  CustomerDoorFeature;

export function createSipNetwork({ config, sink, logger, hosted, teams: deskTeams = [], files }: NetworkContext<SipNetworkConfig>): SipNetwork {
  const teams = new TeamUris({
    domain: config.visitorDomain,
    teams: deskTeams,
    ...(config.customers?.teamAddresses ? { configured: config.customers.teamAddresses } : {}),
    bridgeUsername: config.username,
    logger,
  });
  const domain = new VisitorDomain(config.visitorDomain, hosted, teams, addressOfUri(config.username, config.domain));
  const rawBodies = new RawBodies();
  const session: SipSession = new SipSession({
    config,
    sink,
    logger,
    rawBodies,
    onMessage: (message) => incoming.handle(message),
    onOnline: () => {
      agents.onOnline();
      customers.onOnline();
      visitors.republish();
    },
    onOffline: () => {
      agents.onOffline();
      customers.onOffline();
      visitors.forget();
    },
  });
  const agents = new SipAgentPresence(session.ua, sink, config.presenceExpiresSeconds, logger);
  const customers = new SipCustomerPresence({
    subscriptions: new PresenceSubscriptions({ ua: session.ua, expires: config.presenceExpiresSeconds, logger }),
    sink,
    logger,
    followedElsewhere: (address) => agents.follows(address),
  });
  const visitors = new VisitorPresence(session, domain, logger);
  const messenger = new SipMessenger(session, domain);
  const texts = new SipTexts(messenger);
  const imdn = new ImdnNotifications(messenger, domain, hosted, logger);
  const incoming = new IncomingMessages({
    sink,
    logger,
    domain,
    hosted,
    messenger,
    texts,
    imdn,
    onCustomerMessage: (customer) => customers.wrote(customer),
    rawBodies,
    ...(config.customers?.site ? { customerSite: config.customers.site } : {}),
  });
  /** Who a party of a conversation is shown as to `to`: the team, to the customer who wrote to it (docs/customers.md). */
  const senderOf = (from: Address, to: Address, conversation: NetworkConversation) => {
    const team = teams.senderFor(conversation, to, hosted);
    return team ? { from: teams.addressOf(team), team } : { from };
  };

  // `active` again before the refresh interval it announced runs out at its reader (RFC 3994 section 3.2).
  const typing = new TypingRepeats(COMPOSING_REFRESH_SECONDS * 750);
  const refusedTypes = new RefusedBodyTypes();

  return {
    scheme: 'sip',
    deliversFromStore: false,
    status: () => session.status,
    start: () => {
      incoming.open();
      return session.start();
    },
    async stop() {
      // MESSAGEs being stored get their final answer before the connection closes (a refusal, when
      // the store is what made this node lose the network, reaches the sender rather than a timeout).
      await incoming.settle(STOP_SETTLE_MS);
      // Goodbyes to the proxy are polite, not required: none may hold the shutdown up.
      await bounded(Promise.all([agents.stop(), customers.stop()]), STOP_STEP_MS);
      await visitors.withdrawAll();
      await session.stop();
      incoming.stop();
    },
    async send({ message, to, conversation, fromName, via }) {
      const target = uriOfAddress(to);
      if (!target) throw new NetworkError(`${to} is not a SIP address`, false, 'bad_request');
      // To a team's customer: from the team's URI, under the name of whoever wrote (else the team's).
      const { from, team } = senderOf(message.from, to, conversation);
      const name = fromName ?? team?.name;
      // Files as link lines after the text, each link signed for the recipient (text/plain carries no file).
      const text = textWithFileLinks(message.text, message.attachments, files, to);
      // A long text goes as several MESSAGEs (text-messages.ts): `sent` once every one was accepted.
      const request = { from, ...(name ? { fromName: name } : {}), ...(via ? { via } : {}), to: target, text, key: `${message.id} ${to}` };
      // A visitor is seen online by whom it writes to, as on XMPP (its changes are published from then on).
      if (hosted.isVisitor(message.from))
        await visitors.introduce(message.from).catch((error: unknown) => logger.debug({ err: error }, 'sip: visitor presence not published'));
      const cpim = config.imdn && !refusedTypes.refuses(target, CONTENT_TYPES.cpim);
      try {
        await texts.send(
          cpim ? { ...request, wrap: cpimParts({ from: domain.uriOf(from), to: target, messageId: message.id, date: new Date(message.sentAt) }) } : request,
        );
      } catch (error) {
        if (!cpim || !(error instanceof UnsupportedBodyType) || error.takes(CONTENT_TYPES.cpim)) throw error;
        // Plain text instead (its receipts are not asked for then), to this recipient from now on.
        refusedTypes.refuse(target, CONTENT_TYPES.cpim);
        await texts.send(request);
      }
      typing.messageSent(from, to);
      return { remoteId: message.id, status: 'sent' };
    },
    async setTyping({ conversation, from, to, state, fromName }) {
      const target = uriOfAddress(to);
      if (!target || refusedTypes.refuses(target, CONTENT_TYPES.isComposing)) return;
      // Under the name its messages go under (From's display name), so a client shows who types.
      const { from: sender, team } = senderOf(from, to, conversation);
      const name = fromName ?? team?.name;
      const request = { from: sender, ...(name ? { fromName: name } : {}), to: target, contentType: CONTENT_TYPES.isComposing };
      // Asked again when the notice goes: the `idle` that ends a composing comes later, maybe after a 415.
      await typing.typing(sender, to, state, async (said) => {
        if (refusedTypes.refuses(target, CONTENT_TYPES.isComposing)) return;
        await messenger.send({ ...request, body: isComposingBody(said) }).catch((error: unknown) => {
          if (!(error instanceof UnsupportedBodyType) || error.takes(CONTENT_TYPES.isComposing)) throw error;
          refusedTypes.refuse(target, CONTENT_TYPES.isComposing);
        });
      });
    },
    ...(config.imdn ? { markRead: ({ message }: Parameters<ReceiptsFeature['markRead']>[0]) => imdn.answer(message.id, 'displayed') } : {}),
    reportStatus: ({ message, status }) => imdn.answer(message.id, status === 'read' ? 'displayed' : 'delivered'),
    sharePresence: ({ from, status, text }) => visitors.share(from, status, text),
    subscribePresence(addresses: Address[]) {
      agents.watch(addresses.filter((address) => uriOfAddress(address) !== null));
      return Promise.resolve();
    },
    normalizeAddress(address) {
      const uri = /^sips?:/i.test(address) ? UserAgent.makeURI(address) : undefined;
      return uri?.user && uri.host && !/[\s\u0000-\u001f\u007f]/.test(address) ? addressOfUri(uri.user, uri.host) : null;
    },
    ownsAddress: (address) => domain.owns(address),
    identityOf: sipIdentities(config.authenticatedDomains),
    // Every team with a URI under the visitor domain takes customers' messages.
    customerDoor: (id) => (teams.of(`team:${id}`) ? { id, ...(config.customers?.site ? { site: config.customers.site } : {}) } : null),
    async notice({ to, text, about }) {
      const target = uriOfAddress(to);
      // From the visitor's URI when it is about a conversation (the agent's chat with it), under the
      // visitor's display name as its messages are; else from the bridge's.
      const fromName = about ? about.visitorName : 'Switchboard';
      if (!target) return;
      await texts.send({ from: about ? about.visitor : BRIDGE, ...(fromName ? { fromName } : {}), to: target, text });
      if (about) typing.messageSent(about.visitor, to);
    },
  };
}
