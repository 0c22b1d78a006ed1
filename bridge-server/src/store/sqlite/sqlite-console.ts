/** The SQLite engine's console records (store/console-store.ts): each call one statement. */
import type Database from 'better-sqlite3';
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

/** Runs `run` in the store's next group commit. */
type Write = <T>(run: () => T) => Promise<T>;

function prepare(db: Database.Database) {
  return {
    createSession: db.prepare('INSERT INTO agent_sessions (id_hash, site_key, agent, created_at, expires_at, password_fingerprint) VALUES (?, ?, ?, ?, ?, ?)'),
    session: db.prepare<[string, number], AgentSessionRow>('SELECT * FROM agent_sessions WHERE id_hash = ? AND expires_at > ?'),
    deleteSession: db.prepare('DELETE FROM agent_sessions WHERE id_hash = ?'),
    deleteExpired: db.prepare('DELETE FROM agent_sessions WHERE expires_at <= ?'),
    customer: db.prepare('UPDATE conversations SET first_customer_at = ? WHERE id = ? AND first_customer_at IS NULL'),
    response: db.prepare<[string, string], { first_customer_at: string }>(
      'UPDATE conversations SET first_response_at = ? WHERE id = ? AND first_customer_at IS NOT NULL AND first_response_at IS NULL RETURNING first_customer_at',
    ),
    report: db.prepare<[string, string, string], ReportRow>(
      `SELECT ${REPORT_COLUMNS} FROM conversations WHERE site_key = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
    ),
  };
}

export class SqliteConsole implements ConsoleStore {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.statements = prepare(db);
  }

  async createAgentSession(session: AgentSessionRecord): Promise<void> {
    await this.write(() => this.statements.createSession.run(...agentSessionValues(session)));
  }

  async agentSession(idHash: string, now: number): Promise<AgentSessionRecord | null> {
    const row = this.statements.session.get(idHash, now);
    return row ? toAgentSession(row) : null;
  }

  async deleteAgentSession(idHash: string): Promise<boolean> {
    return this.write(() => this.statements.deleteSession.run(idHash).changes === 1);
  }

  async deleteExpiredAgentSessions(now: number): Promise<number> {
    return this.write(() => this.statements.deleteExpired.run(now).changes);
  }

  async markCustomerMessage(conversationId: string, at: string): Promise<void> {
    await this.write(() => this.statements.customer.run(at, conversationId));
  }

  async markAgentResponse(conversationId: string, at: string): Promise<string | null> {
    return this.write(() => this.statements.response.get(at, conversationId)?.first_customer_at ?? null);
  }

  async reportConversations(siteKey: string, from: string, to: string): Promise<ReportConversation[]> {
    return this.statements.report.all(siteKey, from, to).map(toReportConversation);
  }
}
