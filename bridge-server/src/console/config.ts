/**
 * The `console` section (docs/configuration.md, "console"): the agent console served at `path`,
 * and how agents sign in to it (accounts with a password, a site backend's `identityUrl`, the
 * demo's one-click sign-in).
 */
import { z } from 'zod';
import { HASH_RULE, parseHash } from './passwords.js';

const accountSchema = z.strictObject({
  /** The site key the agent works for. */
  site: z.string().min(1),
  /** The agent's user id: the team member whose addresses include `web:a_<agent>`; also the username. */
  agent: z.string().regex(/^[A-Za-z0-9._@+-]{1,128}$/, 'must be the user id of a web agent (1-128 letters, digits, . _ @ + or -)'),
  passwordHash: z.string().refine((value) => parseHash(value) !== null, HASH_RULE),
});

export const consoleConfigSchema = z.strictObject({
  /** Serve the console and its sign-in; when left out, on (the page answers 503 until the console is built). */
  enabled: z.boolean().optional(),
  /** Where the console is served; its API is under `<path>/api/`. */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be a path such as /agent (letters, digits, _ and -, no trailing slash)')
    .default('/agent'),
  /** A site backend's URL answering `{ siteKey, identity }` for its signed-in agent (the identity way). */
  identityUrl: z
    .string()
    .refine((value) => {
      if (value.startsWith('/') && !value.startsWith('//')) return true;
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || url.protocol === 'http:';
      } catch {
        return false;
      }
    }, 'must be an http(s) URL or a path on the bridge such as /demo/agent-identity')
    .optional(),
  accounts: z.array(accountSchema).default([]),
  /** The demo's one-click sign-in (never on a real deployment: anyone may sign in as a demo agent). */
  demoSignIn: z.boolean().default(false),
});

export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
export const CONSOLE_DEFAULTS: ConsoleConfig = { path: '/agent', accounts: [], demoSignIn: false };

interface SitesAndTeams {
  sites: readonly { key: string }[];
  teams: readonly { id: string; sites?: string[] | undefined; agents: readonly { id: string; addresses: readonly string[] }[] }[];
}

/** The cross-checks of the section: each account names a site and a web agent of a team serving it; usernames are unique. */
export function consoleProblems(config: ConsoleConfig, { sites, teams }: SitesAndTeams): string[] {
  const problems: string[] = [];
  const siteKeys = new Set(sites.map((site) => site.key));
  const usernames = new Map<string, number>();
  config.accounts.forEach((account, i) => {
    const at = `console.accounts[${i}]`;
    if (!siteKeys.has(account.site)) problems.push(`${at}.site: no site has the key "${account.site}"`);
    else if (
      !teams.some(
        (team) =>
          (team.sites === undefined || team.sites.includes(account.site)) && team.agents.some((agent) => agent.addresses.includes(`web:a_${account.agent}`)),
      )
    )
      problems.push(`${at}.agent: no team serving site "${account.site}" has a member with the address web:a_${account.agent}`);
    const earlier = usernames.get(account.agent);
    if (earlier !== undefined)
      problems.push(`${at}.agent: "${account.agent}" already has an account (console.accounts[${earlier}]); the agent id is the username`);
    else usernames.set(account.agent, i);
  });
  return problems;
}

/** The demo's one-click agents: the user id of each web agent (`web:a_<id>`) of the teams, once, in the configuration's order. */
export function demoAgents(teams: SitesAndTeams['teams']): string[] {
  const ids = teams.flatMap((team) => team.agents.flatMap((agent) => agent.addresses.flatMap((address) => /^web:a_([^@]+)/.exec(address)?.[1] ?? [])));
  return [...new Set(ids)];
}
