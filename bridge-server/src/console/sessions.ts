/**
 * Console sign-in sessions (docs/security.md, "Agent sign-in"): a password checked against the
 * account's scrypt hash makes a random session id, kept in the store as its SHA-256 only, with the
 * agent, the site and an expiry (the site's agentTokenTtlHours), so it holds on every node and
 * across restarts. A session whose account is no longer configured, or whose password changed since
 * (a fingerprint of the hash is kept with it), signs no one in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Address } from '@switchboard/protocol';
import type { SiteConfig, TeamConfig } from '../config.js';
import { siteIdentity } from '../networks/web/identities.js';
import type { Store } from '../store/store.js';
import type { ConsoleConfig } from './config.js';
import { decoyFor, verifyPassword } from './passwords.js';

export interface SignedInAgent {
  siteKey: string;
  /** The agent's user id. */
  userId: string;
  name: string;
  address: Address;
  /** Epoch ms when the session ends. */
  expiresAt: number;
  /** The session's key in the store (SHA-256 of its id, hex): the `c` claim of the tokens issued for it. */
  session: string;
}

/** A session id's key in the store; also the claim (`c`) of the agent tokens issued for it. */
export const sessionKey = (id: string) => createHash('sha256').update(id).digest('hex');

/**
 * A short fingerprint of an account's password hash, kept with each session: a changed password
 * (a new hash in the configuration) no longer matches, and the sessions made before sign no one in.
 */
export const passwordFingerprint = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('hex').slice(0, 16);

export class AgentSessions {
  private readonly sites: Map<string, SiteConfig>;
  /** Checked for an unknown username: as costly as the accounts' own hashes. */
  private readonly decoy: string;

  constructor(
    private readonly deps: {
      store: Pick<Store, 'createAgentSession' | 'agentSession' | 'deleteAgentSession' | 'deleteExpiredAgentSessions'>;
      console: ConsoleConfig;
      sites: readonly SiteConfig[];
      teams: readonly TeamConfig[];
      now: () => number;
    },
  ) {
    this.sites = new Map(deps.sites.map((site) => [site.key, site]));
    this.decoy = decoyFor(deps.console.accounts.map((account) => account.passwordHash));
  }

  /** The account of a username (the agent's id), if any. */
  private account(username: string) {
    return this.deps.console.accounts.find((account) => account.agent === username);
  }

  /** The configured name of a web agent (`web:a_<userId>` of a team), else its user id. */
  private nameOf(userId: string): string {
    const address: Address = `web:a_${userId}`;
    for (const team of this.deps.teams) for (const agent of team.agents) if (agent.name && agent.addresses.includes(address)) return agent.name;
    return userId;
  }

  private agent(siteKey: string, userId: string, expiresAt: number, session: string): SignedInAgent {
    return { siteKey, userId, name: this.nameOf(userId), address: siteIdentity('agent', userId, siteKey), expiresAt, session };
  }

  /** Whether anyone can sign in with a password. */
  get hasAccounts(): boolean {
    return this.deps.console.accounts.length > 0;
  }

  /**
   * Checks a username and password; on success stores a new session and returns its id (for the
   * cookie) with the agent. An unknown username costs as long as a wrong password.
   */
  async signIn(username: string, password: string): Promise<{ id: string; agent: SignedInAgent } | null> {
    const account = this.account(username);
    const matches = await verifyPassword(password, account?.passwordHash ?? this.decoy);
    if (!account || !matches) return null;
    const site = this.sites.get(account.site)!;
    const now = this.deps.now();
    const id = randomBytes(32).toString('base64url');
    const expiresAt = now + site.agentTokenTtlHours * 3_600_000;
    const key = sessionKey(id);
    await this.deps.store.createAgentSession({
      idHash: key,
      siteKey: site.key,
      agent: account.agent,
      createdAt: now,
      expiresAt,
      passwordFingerprint: passwordFingerprint(account.passwordHash),
    });
    return { id, agent: this.agent(site.key, account.agent, expiresAt, key) };
  }

  /** The agent a session id signs in, while it runs and its account is still configured. */
  resolve(id: string | undefined): Promise<SignedInAgent | null> {
    return id === undefined ? Promise.resolve(null) : this.byKey(sessionKey(id));
  }

  /** The agent of the session stored under `key` (a token's `c` claim), on the same terms as `resolve`. */
  async byKey(key: string): Promise<SignedInAgent | null> {
    const session = await this.deps.store.agentSession(key, this.deps.now());
    if (!session) return null;
    const account = this.account(session.agent);
    if (!account || account.site !== session.siteKey || !this.sites.has(session.siteKey)) return null;
    // The password changed since (or the session predates fingerprints): signed out.
    if (session.passwordFingerprint !== passwordFingerprint(account.passwordHash)) return null;
    return this.agent(session.siteKey, session.agent, session.expiresAt, key);
  }

  /** Whether the session stored under `key` still signs its agent in. */
  async live(key: string): Promise<boolean> {
    return (await this.byKey(key)) !== null;
  }

  /**
   * Ends a session (sign-out): no node accepts its id any more. Returns its key, to end what was
   * issued for it; none when there was no such session (a made-up cookie announces nothing).
   */
  async revoke(id: string | undefined): Promise<string | undefined> {
    if (id === undefined) return undefined;
    const key = sessionKey(id);
    return (await this.deps.store.deleteAgentSession(key)) ? key : undefined;
  }

  /** Forgets expired sessions (housekeeping). */
  sweep(): Promise<number> {
    return this.deps.store.deleteExpiredAgentSessions(this.deps.now());
  }
}
