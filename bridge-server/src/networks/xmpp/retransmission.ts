/**
 * The remote id an inbound XMPP message is stored under, so that a retransmission of it (a resend
 * after a lost stream-management ack, XEP-0198) is stored once. With a XEP-0359 origin-id, that
 * id: stable and unique by that spec. Without one, the stanza id and a digest of the words
 * (stanzas.ts, `retransmissionKey`), which RFC 6120 section 8.1.3 does not make unique: a client
 * that counts its ids from 1 at each start sends "hi" as id 1 every morning. So that key holds for
 * a while, REUSED_AFTER_MS: it is stamped with the window of time it came in, and a message whose
 * key was stored in the window before is a copy too. A retransmission within REUSED_AFTER_MS of
 * the original is always recognized; the same words under the same id twice that long after are
 * a new message.
 */
import type { Address } from '@switchboard/protocol';
import type { Element } from '@xmpp/component';
import { remoteIdOf } from '../kit/inbound.js';
import type { NetworkRecords } from '../network.js';
import { NS, retransmissionKey } from './stanzas.js';

export const REUSED_AFTER_MS = 60 * 60_000;

export type RemoteIds = Pick<NetworkRecords, 'messageByRemoteId'>;

export async function retransmissionId(stanza: Element, sender: Address, records: RemoteIds | undefined, now = Date.now()): Promise<string | undefined> {
  const key = retransmissionKey(stanza);
  if (key === undefined || stanza.getChild('origin-id', NS.sid)?.attrs.id || !records) return remoteIdOf(sender, key);
  const window = Math.floor(now / REUSED_AFTER_MS);
  const before = remoteIdOf(sender, `${key}@${window - 1}`)!;
  if (await records.messageByRemoteId(before)) return before;
  return remoteIdOf(sender, `${key}@${window}`);
}
