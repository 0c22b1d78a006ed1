/**
 * The desk's private notes on conversations (docs/protocol.md, "Addition: the agent inbox"). A
 * note never leaves the bridge: it is stored apart from messages (no seq, no outbox item, no
 * webhook, no network), and told only to the site's agents' connections (`note`).
 */
import type { Address, Note } from '@switchboard/protocol';
import type { NoteAddPayload } from '@switchboard/protocol/schemas';
import { MAX_NOTES } from '../../store/inbox-store.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { type Actor, actsForSite } from '../actor.js';
import { badRequest, forbidden } from '../errors.js';
import type { ClientHub } from '../hub.js';
import type { SiteAccess } from '../site-access.js';
import { checkText } from '../text-limit.js';

export interface NotesDeps {
  store: Store;
  hub: ClientHub;
  access: Pick<SiteAccess, 'conversation'>;
  limits: { maxTextLength: number };
}

export class Notes {
  constructor(private readonly deps: NotesDeps) {}

  /** `note:add`: an agent of the site writes a note. */
  async add(actor: Actor, payload: NoteAddPayload): Promise<Note> {
    if (actor.role !== 'agent') throw forbidden('note:add is for agents');
    const conversation = await this.deps.access.conversation(actor, payload.conversationId);
    return this.write(actor.address, conversation, payload.text, payload.clientId);
  }

  /** Stores a note by `from` (an agent, from the socket or a desk command) and tells the site's agents. */
  async write(from: Address, conversation: ConversationRecord, text: string, clientId?: string): Promise<Note> {
    checkText(text, this.deps.limits.maxTextLength);
    const result = await this.deps.store.addNote({ conversationId: conversation.id, from, text, ...(clientId !== undefined ? { clientId } : {}) });
    // The clientId names one note of its author: reused on another conversation it is a client's
    // mistake, and answering the other conversation's note would show it where it does not belong.
    if (result.note.conversationId !== conversation.id) throw badRequest('clientId: already used for a note in another conversation');
    if (result.kind === 'stored') this.deps.hub.emit([{ kind: 'agents', siteKey: conversation.siteKey }], 'note', result.note);
    return result.note;
  }

  /** `note:list`: a conversation's notes, oldest first. */
  async list(actor: Actor, conversationId: string): Promise<Note[]> {
    if (!actsForSite(actor)) throw forbidden('note:list is for agents and integrations');
    const conversation = await this.deps.access.conversation(actor, conversationId);
    return this.deps.store.notes(conversation.id, MAX_NOTES);
  }
}
