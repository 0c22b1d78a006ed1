/**
 * The console's sign-in over HTTP (docs/protocol.md, "Agent console"): the session the bridge
 * knows, the password login with its CSRF token, the logout, and the identity a site's backend
 * hands out. Errors come back as `{ error: { code, message } }`; they reject as SignInError.
 */
import type { Identity } from '@switchboard/sdk';

export type SignInMethod = 'password' | 'identity' | 'demo';

export interface ConsoleSession {
  signedIn: boolean;
  siteKey?: string;
  agent?: { userId: string; name: string };
  csrfToken: string;
  methods: SignInMethod[];
  identityUrl?: string;
  /** With `demo`: the user ids of the agents the demo signs in with one click. */
  demoAgents?: string[];
}

/** How the console's client proves who it is: the session cookie, or an identity hash. */
export type Credentials = { siteKey: string; agentSession: true; agentUserId?: string; name?: string } | { siteKey: string; identity: Identity };

export class SignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

async function json<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!response.ok) throw new SignInError(body.error?.code ?? 'unavailable', body.error?.message ?? `HTTP ${response.status}`, response.status);
  return body as T;
}

export class SessionApi {
  /** `base`: the console's API root, e.g. `https://chat.example.com/agent/api/`. */
  constructor(private readonly base: URL) {}

  session(): Promise<ConsoleSession> {
    return fetch(new URL('session', this.base), { credentials: 'same-origin' }).then((r) => json<ConsoleSession>(r));
  }

  async login(username: string, password: string, csrfToken: string): Promise<Credentials> {
    const response = await fetch(new URL('login', this.base), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify({ username, password }),
    });
    const body = await json<{ siteKey: string; agent: { userId: string; name: string } }>(response);
    return { siteKey: body.siteKey, agentSession: true, agentUserId: body.agent.userId, name: body.agent.name };
  }

  async logout(csrfToken: string): Promise<void> {
    await json(await fetch(new URL('logout', this.base), { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrfToken } }));
  }

  /**
   * The site's backend vouches for its signed-in agent: `{ siteKey, identity }`. The address is
   * remembered on this device, so a reload asks it again rather than showing the sign-in; signing
   * out forgets it.
   */
  async identity(url: string): Promise<Credentials> {
    const body = await json<{ siteKey: string; identity: Identity }>(await fetch(url, { credentials: 'include' }));
    this.store(url);
    return { siteKey: body.siteKey, identity: body.identity };
  }

  /** Where the last identity sign-in on this device came from, while not signed out. */
  rememberedIdentity(): string | undefined {
    try {
      return localStorage.getItem(this.identityKey) ?? undefined;
    } catch {
      return undefined; // storage off (a private window, a policy): sign in each time
    }
  }

  forgetIdentity(): void {
    this.store(undefined);
  }

  private get identityKey(): string {
    return `sb-console:identity:${this.base.href}`;
  }

  private store(url: string | undefined): void {
    try {
      if (url === undefined) localStorage.removeItem(this.identityKey);
      else localStorage.setItem(this.identityKey, url);
    } catch {
      // storage off: nothing remembered
    }
  }

  /** The report as CSV, for a download link. */
  reportCsvUrl(from: string, to: string, by: string): string {
    const url = new URL('report.csv', this.base);
    url.search = new URLSearchParams({ from, to, by }).toString();
    return url.href;
  }
}
