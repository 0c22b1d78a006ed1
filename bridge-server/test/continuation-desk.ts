/**
 * What the "Continue on my IM" tests share: a site named "Acme Shop" (the proof message names it)
 * with `continueOn`, team `support` with web agents alice and bob, and the networks under test.
 */
import { API_KEY, ORIGIN, OTHER_SECRET, OTHER_SITE, SECRET, SITE, type TestBridge, startBridge } from './helpers.js';
import type { Clock } from '../src/util/clock.js';

/** The sites of the base configuration, the first one with its name and `continueOn`. */
export function continuationSites(continueOn: Record<string, unknown>): Record<string, unknown>[] {
  return [
    { key: SITE, name: 'Acme Shop', origins: [ORIGIN], identitySecret: SECRET, apiKeys: [{ id: 'crm', key: API_KEY }], continueOn },
    { key: OTHER_SITE, origins: ['http://other.test'], identitySecret: OTHER_SECRET },
  ];
}

export const CONTINUATION_TEAMS = [{ id: 'support', name: 'Support', members: ['web:a_alice', 'web:a_bob'], sites: [SITE], capacity: 100 }];

/** The configuration overrides of a bridge whose site lets visitors continue on these networks. */
export function continuationConfig(continueOn: Record<string, unknown>, networks: Record<string, unknown>[]): Record<string, unknown> {
  return { sites: continuationSites(continueOn), teams: CONTINUATION_TEAMS, networks: [{ type: 'web', presenceGraceMs: 50 }, ...networks] };
}

export function continuationBridge(continueOn: Record<string, unknown>, networks: Record<string, unknown>[], clock?: Clock): Promise<TestBridge> {
  return startBridge(continuationConfig(continueOn, networks), clock ? { clock } : {});
}

/** Lets whatever might still arrive arrive, before asserting that nothing did. */
export const quietFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
