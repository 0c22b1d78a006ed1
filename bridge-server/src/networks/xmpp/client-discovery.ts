/**
 * XEP-0030 disco#info of the bot's JID in client mode: what the bot implements, so that clients
 * following XEP-0085 section 5.1, XEP-0184 section 5 and XEP-0333 section 5.2 send it chat states,
 * receipt requests and markers. Client mode neither writes nor reads the hop marker, so it is not
 * listed (docs/networks/xmpp.md).
 */
import { type Element, xml } from '@xmpp/component';
import { NS } from './stanzas.js';

/** XEP-0030 registry: an automated client (a bot relays people's words, but is no person itself). */
const BOT_IDENTITY = { category: 'client', type: 'bot', name: 'Switchboard' };

/**
 * What the bot handles both ways: chat states, receipts, markers, origin-ids (XEP-0359),
 * out-of-band links (XEP-0066, files) and retractions (XEP-0424); corrections (XEP-0308) it takes in; nicks (XEP-0172) only
 * with customers, whose nick it reads and to whom it names the writer.
 */
function features({ customers }: { customers: boolean }): string[] {
  return [NS.discoInfo, NS.chatStates, NS.receipts, NS.markers, NS.sid, NS.oob, NS.correct, NS.retract, ...(customers ? [NS.nick] : [])];
}

/** The answer to a disco#info get; the bot has no nodes (XEP-0030 section 3.2: item-not-found). */
export function clientDiscoInfo(node: string | undefined, options: { customers: boolean }): Element {
  if (node) return xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS.stanzas }));
  return xml('query', { xmlns: NS.discoInfo }, xml('identity', BOT_IDENTITY), ...features(options).map((feature) => xml('feature', { var: feature })));
}
