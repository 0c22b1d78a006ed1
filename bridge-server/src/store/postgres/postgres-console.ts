/** The Postgres engine's console records (store/console-store.ts): each call one statement, so several nodes share them. */
import type { Pool } from 'pg';
import {
  type AgentSessionRecord,
  type AgentSessionRow,
  type ConsoleStore,
  type ReportConversation,
  type ReportRow,
  REPORT_COLUMNS,
  agentSessionValues,
  toAgentSession,
  toReportConversation,
} from '../console-store.js';

export class PostgresConsole implements ConsoleStore {
  constructor(private readonly pool: () => Pool) {}

  private get db(): Pool {
    return this.pool();
  }

  async createAgentSession(session: AgentSessionRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO agent_sessions (id_hash, site_key, agent, created_at, expires_at, password_fingerprint) VALUES ($1, $2, $3, $4, $5, $6)',
      agentSessionValues(session),
    );
  }

  async agentSession(idHash: string, now: number): Promise<AgentSessionRecord | null> {
    const row = (await this.db.query<AgentSessionRow>('SELECT * FROM agent_sessions WHERE id_hash = $1 AND expires_at > $2', [idHash, now])).rows[0];
    return row ? toAgentSession(row) : null;
  }

  async deleteAgentSession(idHash: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM agent_sessions WHERE id_hash = $1', [idHash])).rowCount === 1;
  }

  async deleteExpiredAgentSessions(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM agent_sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }

  async markCustomerMessage(conversationId: string, at: string): Promise<void> {
    await this.db.query('UPDATE conversations SET first_customer_at = $1 WHERE id = $2 AND first_customer_at IS NULL', [at, conversationId]);
  }

  async markAgentResponse(conversationId: string, at: string): Promise<string | null> {
    // One node's update wins the row: the first response is recorded (and counted) once.
    const rows = await this.db.query<{ first_customer_at: string }>(
      'UPDATE conversations SET first_response_at = $1 WHERE id = $2 AND first_customer_at IS NOT NULL AND first_response_at IS NULL RETURNING first_customer_at',
      [at, conversationId],
    );
    return rows.rows[0]?.first_customer_at ?? null;
  }

  async reportConversations(siteKey: string, from: string, to: string): Promise<ReportConversation[]> {
    const rows = await this.db.query<ReportRow>(
      `SELECT ${REPORT_COLUMNS} FROM conversations WHERE site_key = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, id`,
      [siteKey, from, to],
    );
    return rows.rows.map(toReportConversation);
  }
}
