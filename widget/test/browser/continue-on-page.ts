/** What the continue-on browser tests share: a visitor with an open conversation, and reading and driving the form. */
import { fixture, html } from '@open-wc/testing';
import { type SwitchboardClient, createClient } from '@switchboard/sdk';
import type { SwitchboardChat } from '../../dist/index.js';
import '../../dist/index.js';
import { type BridgeInfo, until } from './page.js';

export { freshVisitorEachTest } from './page.js';

export const shadow = (element: SwitchboardChat) => element.shadowRoot!;
export const $ = <T extends Element = HTMLElement>(element: SwitchboardChat, selector: string) => shadow(element).querySelector<T>(selector);

/** Visible text, without the isolates that keep an address apart from the sentence around it. */
export const text = (node: Element | null | undefined) =>
  (node?.textContent ?? '')
    .replace(/[\u2068\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** Agents connected for a test, disconnected after it. */
export const agents: SwitchboardClient[] = [];

/** A visitor who said hello to the team (an agent is online), with the panel open. */
export async function visitorWithConversation(
  bridge: Pick<BridgeInfo, 'url' | 'siteKey' | 'agent'>,
): Promise<{ element: SwitchboardChat; agent: SwitchboardClient }> {
  const agent = createClient({ url: bridge.url, siteKey: bridge.siteKey, identity: bridge.agent, storage: null });
  agents.push(agent);
  await agent.ready();
  const element = await fixture<SwitchboardChat>(html`<switchboard-chat site-key=${bridge.siteKey} server=${bridge.url}></switchboard-chat>`);
  await until(() => element.chat.state === 'online' && element.chat.availability, 'the widget to connect');
  element.open = true;
  await element.updateComplete;
  const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
  input.value = 'Hello';
  input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
  await element.updateComplete;
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
  await until(() => element.chat.conversation && element.chat.messages.length === 1, 'the conversation to open');
  return { element, agent };
}

/** Types into the continue-on form's field and submits it. */
export async function submit(element: SwitchboardChat, value: string): Promise<void> {
  const field = $<HTMLInputElement>(element, 'form.continue input')!;
  field.value = value;
  $<HTMLFormElement>(element, 'form.continue')!.requestSubmit();
  await element.updateComplete;
}

/** The button of the continue-on part with this text. */
export function button(element: SwitchboardChat, label: string): HTMLButtonElement {
  const found = [...shadow(element).querySelectorAll<HTMLButtonElement>('.continue button')].find((b) => text(b) === label);
  if (!found) throw new Error(`no "${label}" button`);
  return found;
}
