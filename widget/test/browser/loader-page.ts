/**
 * For the loader's browser tests: each test file is a page of its own, so each starts with the
 * chat not loaded (these files never import the component themselves).
 */
import { type SwitchboardClient, createClient } from '@switchboard/sdk';
import type { SwitchboardChat } from '../../dist/index.js';
import { info } from './page.js';

export { info, until } from './page.js';

export interface PageApi {
  open(): void;
  close(): void;
  identify(identity: object): void;
  on(event: string, callback: (detail: unknown) => void): () => void;
  element: SwitchboardChat;
}

/** Adds the one-tag embed to the page and resolves once the loader ran. */
export function embed(data: Record<string, string> = {}): Promise<PageApi> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${info.url}/widget.js`;
    script.dataset.siteKey = info.siteKey;
    Object.assign(script.dataset, data);
    script.async = true;
    script.onload = () => resolve((window as unknown as { Switchboard: PageApi }).Switchboard);
    script.onerror = () => reject(new Error('widget.js did not load'));
    document.head.append(script);
  });
}

/** Whether the page has asked for the chat chunk yet. */
export const chatRequested = () =>
  performance.getEntriesByType('resource').some((entry) => entry.name.includes('/widget/chat-')) ||
  document.querySelector('script[src*="/widget/chat-"]') !== null;

/** The loader's launcher, before the chat renders its own. */
export const placeholderButton = () => document.querySelector('switchboard-chat > div')?.shadowRoot?.querySelector('button') ?? null;

const agents: SwitchboardClient[] = [];

/**
 * An agent of the run's team online until `cleanup`: the panel then shows the composer, whatever
 * the agents of other files (pages of one run share the bridge) do, not the team's offline form.
 */
export async function agentOnline(): Promise<void> {
  const agent = createClient({ url: info.url, siteKey: info.siteKey, identity: info.agent, storage: null });
  agents.push(agent);
  await agent.ready();
}

/**
 * Removes the page's widget (its client disconnects) and what it kept: pages of one run share
 * localStorage, and a widget left connected would write its visitor's token over the next file's.
 */
export function cleanup(): void {
  for (const agent of agents.splice(0)) agent.disconnect();
  for (const element of document.querySelectorAll('switchboard-chat')) element.remove();
  localStorage.clear();
  sessionStorage.clear();
}
