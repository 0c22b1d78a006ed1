/**
 * A console test page's helpers: the console (built by tsc into console/lib) on the run's bridge
 * with the team's agent signed in, visitors writing to the team, and the console's parts.
 */
import { fixture, html } from '@open-wc/testing';
import { createClient, type Message, type SwitchboardClient } from '@switchboard/sdk';
import type { ConsoleApp } from '../../lib/console-app.js';
import '../../lib/main.js';
import { info, until } from '../../../widget/test/browser/page.js';

export { info, until };

/** The clients a test connected, disconnected after it. */
export const clients: SwitchboardClient[] = [];

export function cleanUpEachTest(): void {
  afterEach(async () => {
    for (const element of document.querySelectorAll('sb-console')) element.remove();
    for (const client of clients.splice(0)) client.disconnect();
    delete document.documentElement.dataset.theme;
    localStorage.clear();
  });
}

export async function agentClient(): Promise<SwitchboardClient> {
  const client = createClient({ url: info.url, siteKey: info.siteKey, identity: info.agent, storage: null });
  clients.push(client);
  await client.ready();
  return client;
}

/** A visitor (signed in as the site's user when `identified`) who opened a team conversation and wrote in it. */
export async function visitor(text: string, identified = false): Promise<{ client: SwitchboardClient; conversationId: string; message: Message }> {
  const client = createClient({ url: info.url, siteKey: info.siteKey, storage: null, ...(identified ? { identity: info.user } : {}) });
  clients.push(client);
  await client.ready();
  const conversation = await client.openConversation({ team: 'support' });
  const message = await client.send(conversation.id, text);
  return { client, conversationId: conversation.id, message };
}

/** The console with an agent's client (the team's agent unless given), in a language. */
export async function consoleFor(client?: SwitchboardClient, lang = 'en'): Promise<ConsoleApp> {
  const agent = client ?? (await agentClient());
  const element = await fixture<ConsoleApp>(html`<sb-console lang=${lang} api-base=${`${location.origin}/agent/api/`} .client=${agent}></sb-console>`);
  await element.updateComplete;
  return element;
}

/** The console with a conversation open, once its messages are on screen. */
export async function openConversation(element: ConsoleApp, conversationId: string, showing: string): Promise<void> {
  await element.open(conversationId);
  await until(() => logText(element).includes(showing), `"${showing}" in the log`);
}

export const $ = <T extends Element = HTMLElement>(element: Element, selector: string) => element.querySelector<T>(selector);
export const logText = (element: Element) => $(element, 'sb-message-log [role="log"]')?.textContent ?? '';

/** Types into the reply box as a person does (input events), and presses Enter. */
export async function reply(element: ConsoleApp, text: string): Promise<void> {
  const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
  box.focus();
  box.value = text;
  box.dispatchEvent(new InputEvent('input', { bubbles: true }));
  await element.updateComplete;
  box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
}

export function press(key: string, target: Element = document.body): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, composed: true }));
}
