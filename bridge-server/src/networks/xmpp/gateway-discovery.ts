/**
 * Gateway discovery for component mode: XEP-0030 disco#info / disco#items for the component's
 * domains, and XEP-0100 section 6.3 (jabber:iq:gateway), which turns an address a user types into
 * the JID to add as a contact. Pure functions of the configuration, so they are tested without a
 * server.
 */
import { type Address, isAddress, networkOf } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { NetworkCapabilities } from '../network.js';
import { type GatewayDomain, JidMap } from './addresses.js';
import { NS, xmlSafe } from './stanzas.js';

/** XMPP registrar, "gateway" category types (XEP-0030 registry): SIP/SIMPLE is `simple`. */
const REGISTRAR_TYPES: Record<string, string> = { sip: 'simple', irc: 'irc', sms: 'sms', smtp: 'smtp', mailto: 'smtp', tel: 'sms' };
const LABELS: Record<string, string> = { sip: 'SIP', irc: 'IRC' };
const DEFAULT_NAMES: Record<string, string> = { sip: 'SIP/SIMPLE gateway', irc: 'IRC gateway' };
/** The main domain's XEP-0030 identity: a gateway whose own users are on the web (what clients show; docs/networks/xmpp.md). */
const MAIN_IDENTITY = { category: 'gateway', type: 'web', name: 'Switchboard' };
/**
 * A team's JID: people answer it from the bridge's console or their own clients, so it is a
 * `client` (XEP-0030 registry), of type `web` like the console most of them use; not `bot`, which
 * would tell customers no person reads them.
 */
const TEAM_IDENTITY = { category: 'client', type: 'web' };

/** RFC 7622 section 3.3.1: a localpart is at most 1023 bytes. */
const MAX_LOCAL_BYTES = 1023;

/**
 * What a JID of the component supports: unique ids (XEP-0359), nick (XEP-0172), corrections
 * (XEP-0308: stored as corrections, shown in place in the widget and the console) and the hop marker
 * always; chat states (XEP-0085), receipts and markers (XEP-0184, XEP-0333) and retractions
 * (XEP-0424 section 2) when the network behind it has them (a gateway passes on only what both
 * sides have), or when that is not known.
 */
function messagingFeatures(capabilities: NetworkCapabilities | undefined): string[] {
  return [
    ...(capabilities?.typing === false ? [] : [NS.chatStates]),
    ...(capabilities?.receipts === false ? [] : [NS.receipts, NS.markers]),
    ...(capabilities?.retractions === false ? [] : [NS.retract]),
    NS.sid,
    NS.nick,
    NS.correct,
    NS.hops,
  ];
}

/** What the bridge knows of another network's capabilities, by scheme. */
export type CapabilitiesOf = (scheme: string) => NetworkCapabilities | undefined;

export const gatewayType = (scheme: string) => REGISTRAR_TYPES[scheme] ?? scheme;
export const gatewayName = (gateway: GatewayDomain) => gateway.name ?? DEFAULT_NAMES[gateway.network] ?? `${gateway.network.toUpperCase()} gateway`;
const label = (scheme: string) => LABELS[scheme] ?? scheme.toUpperCase();

const localOf = (jid: string) => {
  const bare = jid.split('/')[0]!;
  return bare.includes('@') ? bare.slice(0, bare.indexOf('@')) : '';
};

/**
 * XEP-0030 disco#info for a JID of the component: its domains are gateways, their JIDs users behind
 * them. A gateway domain and its users' JIDs announce what that network has; a user's JID on the
 * main domain, what its own network has.
 */
export function discoInfo(map: JidMap, to: string, node?: string, capabilitiesOf: CapabilitiesOf = () => undefined): Element {
  if (node !== undefined || map.isVacant(to)) return notFound();
  const gateway = map.gatewayAt(JidMap.domainOf(to));
  const service = localOf(to) === '';
  const team = map.teams.at(to);
  const identity = gateway
    ? xml('identity', { category: 'gateway', type: gatewayType(gateway.network), name: gatewayName(gateway) })
    : team
      ? xml('identity', { ...TEAM_IDENTITY, name: team.name })
      : xml('identity', MAIN_IDENTITY);
  const party = service || gateway ? null : map.partyOf(to);
  const scheme = gateway?.network ?? (party ? networkOf(party) : null);
  const features = [NS.discoInfo, ...(service ? [NS.discoItems, NS.gateway] : []), ...messagingFeatures(scheme ? capabilitiesOf(scheme) : undefined)];
  return xml('query', { xmlns: NS.discoInfo }, identity, ...features.map((feature) => xml('feature', { var: feature })));
}

/**
 * XEP-0030 section 3.1 and 3.2: a JID that stands for nobody (isVacant), or a node (none is
 * published: no commands, no XEP-0115 caps), is not there to describe.
 */
function notFound(): Element {
  return xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS.stanzas }));
}

/** XEP-0030 disco#items: the main domain lists its gateway domains; anything else has no items. */
export function discoItems(map: JidMap, to: string, node?: string): Element {
  if (node !== undefined || map.isVacant(to)) return notFound();
  const main = to.split('/')[0]!.toLowerCase() === map.mainDomain;
  const items = main ? map.gateways.map((gateway) => xml('item', { jid: gateway.domain.toLowerCase(), name: gatewayName(gateway) })) : [];
  return xml('query', { xmlns: NS.discoItems }, ...items);
}

/** XEP-0100 section 6.3, the `get`: what to type, for a gateway domain or the main domain. */
export function gatewayPrompt(gateway: GatewayDomain | undefined): Element {
  let desc: string;
  let prompt: string;
  if (!gateway) {
    desc = 'Enter the address of the person you want to add, with its network (sip:bob@example.com, irc:dave@libera)';
    prompt = 'Address';
  } else if (gateway.network === 'irc') {
    // The example names a network this gateway has, where it knows one.
    const example = `dave@${gateway.defaultHost ?? 'libera'}`;
    desc = `Enter the IRC nickname and network of the person you want to add (${example}${gateway.defaultHost ? `, or only the nickname for ${gateway.defaultHost}` : ''})`;
    prompt = 'IRC nickname';
  } else {
    desc = `Enter the ${label(gateway.network)} address of the person you want to add${gateway.defaultHost ? ` (user@host, or only the user for ${gateway.defaultHost})` : ' (user@host)'}`;
    prompt = `${label(gateway.network)} address`;
  }
  return xml('query', { xmlns: NS.gateway }, xml('desc', {}, desc), xml('prompt', {}, prompt));
}

export type Translation = { ok: true; address: Address; jid: string } | { ok: false; condition: 'bad-request' | 'not-acceptable'; text: string };

const refuse = (condition: 'bad-request' | 'not-acceptable', text: string): Translation => ({ ok: false, condition, text });

/**
 * XEP-0100 section 6.3, the `set`: the address typed at a gateway domain (with or without its
 * scheme; a bare user name gets the gateway's `defaultHost`), or at the main domain (with its
 * scheme), as the party's address and JID. The host is lowercased (hosts compare
 * case-insensitively), the user part kept as typed.
 */
export function translateAddress(
  input: string,
  gateway: GatewayDomain | undefined,
  map: JidMap,
  canonical: (address: Address) => Address = (address) => address,
): Translation {
  const text = input.trim();
  if (text === '') return refuse('bad-request', 'Enter an address.');
  if (Buffer.byteLength(text, 'utf8') > MAX_LOCAL_BYTES) return refuse('not-acceptable', `An address is at most ${MAX_LOCAL_BYTES} bytes long.`);
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(text)) return refuse('bad-request', 'An address holds no spaces or control characters.');
  const prefixed = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(text);
  let scheme: string;
  let rest: string;
  if (gateway) {
    scheme = gateway.network;
    if (prefixed && prefixed[1]!.toLowerCase() !== scheme)
      return refuse('bad-request', `This gateway takes ${label(scheme)} addresses, not "${prefixed[1]}:" ones.`);
    rest = prefixed ? prefixed[2]! : text;
  } else {
    if (!prefixed) return refuse('bad-request', 'Write the address with its network, for example sip:bob@example.com or irc:dave@libera.');
    scheme = prefixed[1]!.toLowerCase();
    rest = prefixed[2]!;
    if (scheme === 'xmpp') return refuse('not-acceptable', 'An XMPP address needs no gateway: add it as it is.');
    // The bridge's own parties are on the main domain already, never a gateway's users.
    if (map.hosted.isHosted(`${scheme}:${rest}`)) return refuse('not-acceptable', 'Website visitors cannot be added through the gateway.');
    gateway = map.gatewayOf(scheme);
  }
  const at = rest.lastIndexOf('@');
  if (at < 0) {
    if (!gateway?.defaultHost)
      return refuse('bad-request', `Write the whole address, user@host (for example ${scheme === 'irc' ? 'dave@libera' : 'bob@example.com'}).`);
    rest = `${rest}@${gateway.defaultHost}`;
  } else if (at === 0 || at === rest.length - 1) {
    return refuse('bad-request', 'Write the whole address, user@host: a part is missing.');
  }
  const split = rest.lastIndexOf('@');
  const typed = `${scheme}:${rest.slice(0, split)}@${rest.slice(split + 1).toLowerCase()}`;
  if (!isAddress(typed)) return refuse('bad-request', `"${xmlSafe(text)}" is not an address the bridge can reach.`);
  // As its network writes it (an IRC nick in lower case): the JID the user's own messages come from.
  const address = canonical(typed);
  const jid = map.jidOf(address);
  if (Buffer.byteLength(localOf(jid), 'utf8') > MAX_LOCAL_BYTES) return refuse('not-acceptable', 'This address is too long for a JID.');
  return { ok: true, address, jid };
}

/** The XEP-0100 answer to a `set`, or the stanza error (RFC 6120 section 8.3) for the iq callee to send. */
export function gatewayAnswer(query: Element, gateway: GatewayDomain | undefined, map: JidMap, canonical?: (address: Address) => Address): Element {
  const prompt = query.getChildText('prompt');
  const translated = prompt === null ? refuse('bad-request', 'Send the address in <prompt/>.') : translateAddress(prompt, gateway, map, canonical);
  if (!translated.ok)
    return xml('error', { type: 'modify' }, xml(translated.condition, { xmlns: NS.stanzas }), xml('text', { xmlns: NS.stanzas }, xmlSafe(translated.text)));
  return xml('query', { xmlns: NS.gateway }, xml('jid', {}, translated.jid));
}
