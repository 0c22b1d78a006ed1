/**
 * Who may read a file (docs/protocol.md, "Files"): whoever may read its conversation. For a party
 * of the uniform API that is `SiteAccess.conversation`; for the party a signed link names (checked
 * again each time it is opened) it is a participant, an agent or integration of the site, a team
 * member serving the site, or the address the conversation's visitor continues at.
 */
import type { Address } from '@switchboard/protocol';
import type { HostedParties } from '../../networks/network.js';
import { siteOfAddress } from '../../networks/web/site-scope.js';
import type { ConversationRecord, FileRecord, Store } from '../../store/store.js';
import type { Actor } from '../actor.js';
import type { TeamDirectory } from '../desk/teams.js';
import { notFound } from '../errors.js';
import type { SiteAccess } from '../site-access.js';

/** Agents' and integrations' web identities: they act for their whole site. */
const SITE_ACTOR = /^web:[ai]_/;

export interface FileAccessDeps {
  store: Pick<Store, 'getFile' | 'getConversation' | 'continuationOf'>;
  access: Pick<SiteAccess, 'conversation'>;
  teams: Pick<TeamDirectory, 'teamsOf' | 'sitesOf'>;
  hosted: HostedParties;
}

export class FileAccess {
  constructor(private readonly deps: FileAccessDeps) {}

  /** A conversation the actor may read (and so upload files to). */
  conversationFor(actor: Actor, conversationId: string): Promise<ConversationRecord> {
    return this.deps.access.conversation(actor, conversationId);
  }

  /** The file, when the actor may read it: `not_found` for another site's or none, `forbidden` for a conversation it takes no part in. */
  async forActor(actor: Actor, fileId: string): Promise<FileRecord> {
    const file = await this.deps.store.getFile(fileId);
    if (!file || file.siteKey !== actor.siteKey) throw notFound(`fileId: no file "${fileId}"`);
    await this.deps.access.conversation(actor, file.conversationId);
    return file;
  }

  /** Whether the party a link was made for may read the file now. */
  async partyMayRead(party: Address, file: FileRecord): Promise<boolean> {
    const { store, teams, hosted } = this.deps;
    const conversation = await store.getConversation(file.conversationId);
    if (!conversation || conversation.siteKey !== file.siteKey) return false;
    if (conversation.participants.includes(party)) return true;
    if (hosted.isHosted(party)) return SITE_ACTOR.test(party) && siteOfAddress(party) === file.siteKey;
    if (teams.teamsOf(party).some((team) => teams.sitesOf(team).includes(file.siteKey))) return true;
    const continuation = await store.continuationOf(conversation.id);
    return continuation?.state === 'active' && continuation.address === party;
  }
}
