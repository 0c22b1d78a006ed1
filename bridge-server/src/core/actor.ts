import type { Address, Role } from '@switchboard/protocol';

/** Who is acting: the authenticated party behind a connection or an API request. */
export interface Actor {
  address: Address;
  role: Role;
  siteKey: string;
  /** The connection this request came on, so echoes skip it. */
  connectionId?: string;
  name?: string;
}

/** Agents and integrations act for the whole site; visitors only in their own conversations. */
export const actsForSite = (actor: Actor): boolean => actor.role === 'agent' || actor.role === 'integration';
