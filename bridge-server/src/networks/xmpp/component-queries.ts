/**
 * The iq queries every domain of the component answers: XEP-0030 disco#info and disco#items for the
 * domains and their JIDs (so that clients send receipts and chat states, and find the gateways), and
 * XEP-0100 section 6.3 jabber:iq:gateway for the domains. The answers themselves are
 * gateway-discovery.ts's; a handler's error element becomes the iq error (the library's callee
 * answers a thrown error with internal-server-error).
 */
import type { Address } from '@switchboard/protocol';
import type { Component, Element } from '@xmpp/component';
import { JidMap } from './addresses.js';
import { type CapabilitiesOf, discoInfo, discoItems, gatewayAnswer, gatewayPrompt } from './gateway-discovery.js';
import { NS } from './stanzas.js';

export function answerQueries(entity: Component, map: JidMap, capabilities: CapabilitiesOf, canonical?: (address: Address) => Address): void {
  const addressee = (stanza: Element) => stanza.attrs.to ?? map.mainDomain;
  const gatewayOf = (stanza: Element) => map.gatewayAt(JidMap.domainOf(stanza.attrs.to ?? ''));
  entity.iqCallee.get(NS.discoInfo, 'query', ({ stanza, element }) => discoInfo(map, addressee(stanza), element.attrs.node, capabilities));
  entity.iqCallee.get(NS.discoItems, 'query', ({ stanza, element }) => discoItems(map, addressee(stanza), element.attrs.node));
  entity.iqCallee.get(NS.gateway, 'query', ({ stanza }) => gatewayPrompt(gatewayOf(stanza)));
  entity.iqCallee.set(NS.gateway, 'query', ({ stanza, element }) => gatewayAnswer(element, gatewayOf(stanza), map, canonical));
}
