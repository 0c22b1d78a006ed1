/**
 * Handshake authentication (docs/protocol.md, "Connecting"): site key with or without a token,
 * a site-vouched identity (HMAC), an API key, or the agent console's session cookie. Returns who the connection is, or throws a
 * BridgeError (`unauthorized`, `forbidden` for a wrong Origin, `bad_request` for a malformed auth).
 */
import type { Address } from '@switchboard/protocol';
import { describeIssues, handshakeAuthSchema } from '@switchboard/protocol/schemas';
import type { SiteConfig } from '../config.js';
import type { Actor } from '../core/actor.js';
import { BridgeError } from '../core/errors.js';
import { isVisitorAddress, siteIdentity, visitorAddress } from '../networks/web/identities.js';
import { withSite, withoutSite } from '../networks/web/site-scope.js';
import type { PartyRecord } from '../store/store.js';
import { shortId } from '../util/ids.js';
import { type TokenSigner, hashesEqual, identityHash } from './tokens.js';
import { createHash } from 'node:crypto';
import { cookieNames, readCookie } from '../console/cookies.js';
import { type RequestLike, type TrustProxy, compileTrust, requestScheme, sameOrigin, untrustedProxyHint } from './request-origin.js';
import type { AgentSessions } from '../console/sessions.js';
import { unacceptedField } from '../util/payload-guard.js';

export interface Authenticated {
  actor: Actor;
  /** Token to hand back in `session`; integrations get none. */
  token: string;
  /**
   * Party details to record. None for a new anonymous visitor: it is stored when it first does
   * something that needs it (a profile, a conversation), so handshakes alone never grow the store.
   */
  party?: PartyRecord;
  /**
   * A signed-in user's anonymous visitor address on this device (the handshake's `token` beside
   * its `identity`): the same person, linked into the user's contact.
   */
  signedInFrom?: Address;
  /** The console session the token is tied to (its `c` claim), if any: checked at the handshake, and it ends the connection when it ends. */
  consoleSession?: string;
}

export interface ApiKeyEntry {
  site: SiteConfig;
  id: string;
}

/** API key -> site and key id. The id names the integration's address (`web:i_<id>`). */
/** The handshake's `auth` holds no key of the prototype machinery, at any depth (as every event and body). */
function refuseUnaccepted(rawAuth: unknown): void {
  const unaccepted = unacceptedField(rawAuth, 'auth');
  if (unaccepted !== undefined) throw new BridgeError('bad_request', unaccepted);
}

export function indexApiKeys(sites: readonly SiteConfig[]): Map<string, ApiKeyEntry> {
  const index = new Map<string, ApiKeyEntry>();
  for (const site of sites) {
    for (const entry of site.apiKeys) {
      const key = typeof entry === 'string' ? entry : entry.key;
      const id = typeof entry === 'string' ? createHash('sha256').update(key).digest('hex').slice(0, 12) : entry.id;
      index.set(key, { site, id });
    }
  }
  return index;
}

export function originAllowed(site: SiteConfig, origin: string | undefined): boolean {
  // Browsers always send Origin on cross-origin and WebSocket requests; a request without one comes
  // from a non-browser client or the bridge's own pages (same-origin polling).
  if (origin === undefined) return true;
  return site.origins.includes('*') || site.origins.includes(origin);
}

const unauthorized = (message: string) => new BridgeError('unauthorized', message);

export class Authenticator {
  private readonly sites: Map<string, SiteConfig>;
  readonly apiKeys: Map<string, ApiKeyEntry>;

  constructor(
    sites: readonly SiteConfig[],
    private readonly signer: TokenSigner,
    /** The console's sign-in sessions, for `agentSession` handshakes. */
    private readonly sessions?: AgentSessions,
    /** `server.trustProxy`: the scheme and host a handshake was sent to (its own origin, the cookies' names). */
    private readonly trust: TrustProxy = compileTrust(undefined),
  ) {
    this.sites = new Map(sites.map((site) => [site.key, site]));
    this.apiKeys = indexApiKeys(sites);
  }

  /** Whether a request comes from the bridge's own pages (the console), as the handshake reads it. */
  fromOwnPages(request: RequestLike): boolean {
    return sameOrigin(request, this.trust);
  }

  site(key: string): SiteConfig | undefined {
    return this.sites.get(key);
  }

  integration(apiKey: string): Actor | null {
    const entry = this.apiKeys.get(apiKey);
    if (!entry) return null;
    return { address: siteIdentity('integration', entry.id, entry.site.key), role: 'integration', siteKey: entry.site.key };
  }

  /**
   * Who a bearer credential of the HTTP API names (docs/protocol.md, "Files"): an API key's
   * integration, or the party of a session token (the `token` of its `session` event); null for
   * anything else, an expired token, a token of a site no longer configured, or one of a console
   * session that ended (signed out, expired, or its account's password changed).
   */
  async bearer(credential: string, now = Date.now()): Promise<Actor | null> {
    const integration = this.integration(credential);
    if (integration) return integration;
    const claims = this.signer.verify(credential, now);
    if (!claims || !this.sites.has(claims.s)) return null;
    if (claims.c !== undefined && !(await this.sessionLive(claims.c))) return null;
    return { address: withSite(claims.a, claims.s), role: claims.r, siteKey: claims.s };
  }

  /** Whether the console session a token names still runs (none without the console's sessions). */
  sessionLive(key: string): Promise<boolean> {
    return this.sessions?.live(key) ?? Promise.resolve(false);
  }

  /**
   * The anonymous visitor a signed-in visitor was on this device, from the token it held: only a
   * valid visitor token of the same site. Anything else is ignored (the identity alone signs in).
   */
  private anonymousBefore(token: string | undefined, site: SiteConfig, actor: Actor, now: number): { signedInFrom?: Address } {
    if (token === undefined || actor.role !== 'visitor') return {};
    const claims = this.signer.verify(token, now);
    if (!claims || claims.s !== site.key || claims.r !== 'visitor' || !isVisitorAddress(claims.a)) return {};
    return { signedInFrom: claims.a };
  }

  /** A handshake with its HTTP request: the console's session cookie, or what `authenticate` reads. */
  async authenticateHandshake(rawAuth: unknown, request: RequestLike, now = Date.now()): Promise<Authenticated> {
    const { headers } = request;
    const isSession = typeof rawAuth === 'object' && rawAuth !== null && (rawAuth as { agentSession?: unknown }).agentSession !== undefined;
    if (!isSession) {
      const result = this.authenticate(rawAuth, headers.origin, now, sameOrigin(request, this.trust));
      if (result.consoleSession !== undefined && !(await this.sessionLive(result.consoleSession)))
        throw unauthorized('token: its console session ended (signed out, expired, or the password changed); sign in again at the console');
      return result;
    }
    refuseUnaccepted(rawAuth);
    const parsed = handshakeAuthSchema.safeParse(rawAuth);
    if (!parsed.success) throw new BridgeError('bad_request', `auth.${describeIssues(parsed.error)}`);
    const { siteKey, token, identity, apiKey } = parsed.data;
    if (token !== undefined || identity !== undefined || apiKey !== undefined)
      throw new BridgeError('bad_request', 'auth.agentSession: goes with siteKey alone (the session cookie is the credential)');
    // The cookie is SameSite=Strict, and the console is the bridge's own page: a handshake from any
    // other page (cross-site WebSocket hijacking) is refused even when a browser sends the cookie.
    if (!sameOrigin(request, this.trust))
      throw new BridgeError(
        'forbidden',
        `auth.agentSession: only the bridge's own pages (the console, same origin) connect with the session cookie${untrustedProxyHint(request, this.trust)}`,
      );
    const agent = await this.sessions?.resolve(readCookie(headers.cookie, cookieNames(requestScheme(request, this.trust) === 'https').session));
    if (!agent) throw unauthorized('auth.agentSession: not signed in, or the session ended; sign in again at the console');
    if (siteKey !== undefined && siteKey !== agent.siteKey) throw unauthorized(`siteKey: the session is of site "${agent.siteKey}"`);
    const actor: Actor = { address: agent.address, role: 'agent', siteKey: agent.siteKey, name: agent.name };
    return {
      actor,
      token: this.signer.sign({ s: agent.siteKey, a: withoutSite(agent.address), r: 'agent', e: Math.floor(agent.expiresAt / 1000), c: agent.session }),
      party: { address: agent.address, siteKey: agent.siteKey, role: 'agent', verified: true, name: agent.name },
      consoleSession: agent.session,
    };
  }

  /** Whether a handshake's credential names an agent: an identity with role `agent`, else an agent's token (identity wins, as below). */
  private asksForAgent(auth: { identity?: { role?: string | undefined } | undefined; token?: string | undefined }, now: number): boolean {
    if (auth.identity !== undefined) return auth.identity.role === 'agent';
    return auth.token !== undefined && this.signer.verify(auth.token, now)?.r === 'agent';
  }

  /**
   * `ownOrigin`: the request comes from the bridge's own pages. The console served there signs an
   * agent in with the site's identity (console.identityUrl) and resumes with the agent's token, so
   * an agent is let through from it unlisted; anyone else still needs the site's `origins`.
   */
  authenticate(rawAuth: unknown, origin: string | undefined, now = Date.now(), ownOrigin = false): Authenticated {
    refuseUnaccepted(rawAuth);
    const parsed = handshakeAuthSchema.safeParse(rawAuth ?? {});
    if (!parsed.success) throw new BridgeError('bad_request', `auth.${describeIssues(parsed.error)}`);
    const auth = parsed.data;
    if (auth.agentSession !== undefined) throw new BridgeError('bad_request', 'auth.agentSession: not accepted here');

    if (auth.apiKey !== undefined) {
      const actor = this.integration(auth.apiKey);
      if (!actor) throw unauthorized('apiKey: unknown API key');
      return { actor, token: '', party: { address: actor.address, siteKey: actor.siteKey, role: 'integration', verified: true } };
    }

    if (auth.siteKey === undefined) throw unauthorized('auth.siteKey: give a siteKey (website visitors and agents) or an apiKey (server-side integrations)');
    const site = this.sites.get(auth.siteKey);
    if (!site) throw unauthorized(`siteKey: unknown site key "${auth.siteKey}"`);
    if (!originAllowed(site, origin) && !(ownOrigin && this.asksForAgent(auth, now)))
      throw new BridgeError('forbidden', `Origin ${origin} is not allowed for site "${site.key}"; add it to the site's origins`);
    const expiry = Math.floor(now / 1000 + site.tokenTtlDays * 86_400);
    const agentExpiry = Math.floor(now / 1000 + site.agentTokenTtlHours * 3600);

    if (auth.identity !== undefined) {
      const { userId, hash, name, email } = auth.identity;
      const role = auth.identity.role ?? 'visitor';
      if (!site.identitySecret) throw unauthorized(`identity: site "${site.key}" has no identitySecret configured, so it cannot vouch for users`);
      if (!hashesEqual(hash, identityHash(site.identitySecret, role, userId))) {
        throw unauthorized('identity.hash: does not match; compute hex HMAC-SHA256(identity secret, `${role}:${userId}`) on your backend');
      }
      const address = siteIdentity(role === 'agent' ? 'agent' : 'user', userId, site.key);
      const actor: Actor = { address, role: role === 'agent' ? 'agent' : 'visitor', siteKey: site.key, ...(name ? { name } : {}) };
      return {
        actor,
        // Tokens name the party as its site's clients do; the site is the token's own claim.
        token: this.signer.sign({
          s: site.key,
          a: withoutSite(address),
          r: actor.role as 'visitor' | 'agent',
          e: actor.role === 'agent' ? agentExpiry : expiry,
        }),
        party: { address, siteKey: site.key, role: actor.role, verified: true, ...(name ? { name } : {}), ...(email ? { email } : {}) },
        ...this.anonymousBefore(auth.token, site, actor, now),
      };
    }

    if (auth.token !== undefined) {
      const claims = this.signer.verify(auth.token, now);
      if (!claims) throw unauthorized('token: invalid or expired; connect without a token to start as a new visitor');
      if (claims.s !== site.key) throw unauthorized('token: was issued for another site');
      const address = withSite(claims.a, site.key);
      const actor: Actor = { address, role: claims.r, siteKey: site.key };
      // A visitor's token is renewed so an active visitor never loses its conversations; an agent's
      // is not: agents prove their identity again when it expires.
      const token = this.signer.sign({ ...claims, e: claims.r === 'agent' ? claims.e : expiry });
      // A console session's token lives by that session: the handshake checks it (authenticateHandshake).
      const session = claims.c !== undefined ? { consoleSession: claims.c } : {};
      if (isVisitorAddress(claims.a)) return { actor, token, ...session };
      return { actor, token, party: { address, siteKey: site.key, role: claims.r, verified: true }, ...session };
    }

    const address = visitorAddress(shortId());
    return {
      actor: { address, role: 'visitor', siteKey: site.key },
      token: this.signer.sign({ s: site.key, a: address, r: 'visitor', e: expiry }),
    };
  }
}
