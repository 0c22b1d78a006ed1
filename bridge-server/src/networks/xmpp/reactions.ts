/**
 * Message reactions (XEP-0444). The contract carries none (docs/protocol.md), so a reaction reaches
 * the other side as words of the one who reacted, quoting the message it is about, as bridges do
 * for a side that cannot show reactions: `reacted 👍 to: "Let me look into it"`. Each reaction
 * stanza holds the sender's whole set for that message; an empty one takes them back.
 */
import type { Address, Message } from '@switchboard/protocol';
import type { Element } from '@xmpp/component';
import { cutToCodePoints, nameLine } from '../../util/text.js';
import type { NetworkConversation, NetworkRecords } from '../network.js';
import { refusal } from './stanzas.js';

export const REACTIONS_NS = 'urn:xmpp:reactions:0';

/** Code points of the message quoted. */
const QUOTED = 60;
/** Reactions kept of one stanza, and the code points of each (a family emoji with its joiners is about 11). */
const MOST_REACTIONS = 10;
const REACTION_CODE_POINTS = 16;

export interface Reaction {
  /** The stanza id of the message reacted to (for the bridge's own messages, the message's id). */
  id: string;
  /** The sender's reactions now, each once; none takes them back. */
  emojis: string[];
}

/** The reaction a message stanza carries, if it carries one. */
export function reactionOf(stanza: Element): Reaction | undefined {
  const reactions = stanza.getChild('reactions', REACTIONS_NS);
  const id = reactions?.attrs.id;
  if (!reactions || typeof id !== 'string' || id === '') return undefined;
  // A reaction is one emoji (XEP-0444's business rules); anything longer is no reaction a person picked.
  const emojis = reactions
    .getChildren('reaction')
    .map((reaction) => nameLine(reaction.getText()))
    .filter((emoji) => emoji.length > 0 && [...emoji].length <= REACTION_CODE_POINTS);
  return { id, emojis: [...new Set(emojis)].slice(0, MOST_REACTIONS) };
}

/** The words a reaction to `original` is stored as. */
export function reactionText(reaction: Reaction, original: Pick<Message, 'text' | 'attachments'>): string {
  const said = nameLine(original.text) || (original.attachments ?? []).map((file) => file.name).join(', ');
  const cut = cutToCodePoints(said, QUOTED);
  const quote = `"${cut}${cut.length < said.length ? '…' : ''}"`;
  return reaction.emojis.length > 0 ? `reacted ${reaction.emojis.join(' ')} to: ${quote}` : `took back their reaction to: ${quote}`;
}

/** The messages and conversations reactions name. */
export type ReactedRecords = Pick<NetworkRecords, 'message' | 'conversation'>;

/**
 * The message a reaction of `sender` names and its conversation, when that conversation is open and
 * the sender takes part in it; else the error the sender gets: a reaction to anything else (a message
 * unknown, of a closed conversation, not theirs) reaches no one, and opens no conversation.
 */
export async function reactedTo(
  records: ReactedRecords | undefined,
  reaction: Reaction,
  sender: Address,
): Promise<{ original: Message; conversation: NetworkConversation } | { refusal: Element }> {
  const original = await records?.message(reaction.id);
  const conversation = original && (await records?.conversation(original.conversationId));
  if (!original || !conversation || conversation.state !== 'open' || !conversation.participants.includes(sender))
    return { refusal: refusal('item-not-found', 'This reaction names no message of an open conversation of yours') };
  return { original, conversation };
}
