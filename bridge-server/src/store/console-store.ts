/**
 * What the store keeps for the agent console (docs/security.md, "Agent sign-in"; docs/support-desk.md,
 * "Reports"): agents' sign-in sessions, and per conversation the times reports are made of.
 */
import type { Address, ConversationState } from '@switchboard/protocol';

/** A console sign-in. Only the id's SHA-256 is kept: a copy of the database signs no one in. */
export interface AgentSessionRecord {
  /** Hex SHA-256 of the session id the cookie holds. */
  idHash: string;
  siteKey: string;
  /** The agent's user id (`web:a_<agent>`). */
  agent: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms, after which the session signs no one in. */
  expiresAt: number;
  /**
   * A short fingerprint of the account's password hash when the session was made: a session whose
   * account's password changed since signs no one in. None for sessions stored before it was kept.
   */
  passwordFingerprint?: string;
}

/** One conversation as reports read it (times are ISO-8601 UTC). */
export interface ReportConversation {
  id: string;
  team?: string;
  assignee?: Address;
  openedBy: Address;
  state: ConversationState;
  createdAt: string;
  /** When it was last closed (none while open). */
  closedAt?: string;
  /** The first message of its customer. */
  firstCustomerAt?: string;
  /** The first agent message after a customer message (not the team's greeting, not a note). */
  firstResponseAt?: string;
  rating?: number;
}

export interface ConsoleStore {
  createAgentSession(session: AgentSessionRecord): Promise<void>;
  /** The session of this id hash, unless it expired by `now` (epoch ms). */
  agentSession(idHash: string, now: number): Promise<AgentSessionRecord | null>;
  /** Ends a session (sign-out); whether there was one. */
  deleteAgentSession(idHash: string): Promise<boolean>;
  /** Forgets sessions expired by `now`; how many. */
  deleteExpiredAgentSessions(now: number): Promise<number>;
  /** Records the first customer message of a conversation at `at` (later ones change nothing). */
  markCustomerMessage(conversationId: string, at: string): Promise<void>;
  /**
   * Records the first agent response at `at`, once a customer message came and none was recorded:
   * then the customer's first message time (for the first-response time); null otherwise.
   */
  markAgentResponse(conversationId: string, at: string): Promise<string | null>;
  /** A site's conversations created from `from` (inclusive) to `to` (exclusive), ISO times; oldest first. */
  reportConversations(siteKey: string, from: string, to: string): Promise<ReportConversation[]>;
}

export interface ReportRow {
  id: string;
  team: string | null;
  assignee: string | null;
  opened_by: string;
  state: string;
  created_at: string;
  closed_at: string | null;
  first_customer_at: string | null;
  first_response_at: string | null;
  rating: number | null;
}

export interface AgentSessionRow {
  id_hash: string;
  site_key: string;
  agent: string;
  created_at: number | string;
  expires_at: number | string;
  password_fingerprint: string | null;
}

/** A session's columns in the order of the engines' INSERT (id_hash, site_key, agent, created_at, expires_at, password_fingerprint). */
export function agentSessionValues(session: AgentSessionRecord): [string, string, string, number, number, string | null] {
  return [session.idHash, session.siteKey, session.agent, session.createdAt, session.expiresAt, session.passwordFingerprint ?? null];
}

export function toAgentSession(row: AgentSessionRow): AgentSessionRecord {
  return {
    idHash: row.id_hash,
    siteKey: row.site_key,
    agent: row.agent,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.password_fingerprint !== null ? { passwordFingerprint: row.password_fingerprint } : {}),
  };
}

export function toReportConversation(row: ReportRow): ReportConversation {
  return {
    id: row.id,
    ...(row.team !== null ? { team: row.team } : {}),
    ...(row.assignee !== null ? { assignee: row.assignee as Address } : {}),
    openedBy: row.opened_by as Address,
    state: row.state as ConversationState,
    createdAt: row.created_at,
    ...(row.closed_at !== null ? { closedAt: row.closed_at } : {}),
    ...(row.first_customer_at !== null ? { firstCustomerAt: row.first_customer_at } : {}),
    ...(row.first_response_at !== null ? { firstResponseAt: row.first_response_at } : {}),
    ...(row.rating !== null ? { rating: Number(row.rating) } : {}),
  };
}

export const REPORT_COLUMNS = 'id, team, assignee, opened_by, state, created_at, closed_at, first_customer_at, first_response_at, rating';
