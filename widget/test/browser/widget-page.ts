/** A widget test page's helpers: the widget against the run's bridge, its parts, and the team's agent. */
import { fixture, html } from '@open-wc/testing';
import { type Message, createClient, type SwitchboardClient } from '@switchboard/sdk';
import type { SwitchboardChat } from '../../dist/index.js';
import '../../dist/index.js';
import { type BridgeInfo, info, until } from './page.js';

/** The clients a test connected, disconnected after it (freshVisitorEachTest). */
export const clients: SwitchboardClient[] = [];

export async function agent(): Promise<SwitchboardClient> {
  const client = createClient({ url: info.url, siteKey: info.siteKey, identity: info.agent, storage: null });
  clients.push(client);
  await client.ready();
  return client;
}

/** The widget on the run's bridge, or on another one a test's plugin started. */
type WidgetBridge = Pick<BridgeInfo, 'url' | 'siteKey'>;

export async function widget(attributes = '', bridge: WidgetBridge = info): Promise<SwitchboardChat> {
  const element = await fixture<SwitchboardChat>(
    html`<switchboard-chat site-key=${bridge.siteKey} server=${bridge.url} ${attributes ? '' : ''}></switchboard-chat>`,
  );
  for (const pair of attributes.split(/\s+/).filter(Boolean)) {
    const [name, value = ''] = pair.split('=');
    element.setAttribute(name!, value);
  }
  await element.updateComplete;
  return element;
}

/** A user the website vouches for (as its backend would hand the widget), under an id of the test's own. */
export async function signedInUser(userId: string): Promise<{ userId: string; hash: string }> {
  return (await (await fetch(`/__bridge/visitor?userId=${encodeURIComponent(userId)}`)).json()) as { userId: string; hash: string };
}

export const shadow = (element: SwitchboardChat) => element.shadowRoot!;
export const $ = <T extends Element = HTMLElement>(element: SwitchboardChat, selector: string) => shadow(element).querySelector<T>(selector);
export const bubbles = (element: SwitchboardChat) => [...shadow(element).querySelectorAll<HTMLElement>('.bubble:not([data-pending])')];
/** The stored messages' bubbles as they read, white space folded. */
export const bubbleTexts = (element: SwitchboardChat) => bubbles(element).map((bubble) => bubble.textContent.replace(/\s+/g, ' ').trim());

export async function online(element: SwitchboardChat): Promise<void> {
  await until(() => element.chat.state === 'online' && element.chat.availability, 'the widget to connect');
  await element.updateComplete;
}

/** A connected widget with its panel open. */
export async function openWidget(attributes = '', bridge: WidgetBridge = info): Promise<SwitchboardChat> {
  const element = await widget(attributes, bridge);
  await online(element);
  element.open = true;
  await element.updateComplete;
  return element;
}

/** Puts `text` in the message field as typing would (nothing sent). */
export async function draft(element: SwitchboardChat, text: string): Promise<void> {
  const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
  input.value = text;
  input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
  await element.updateComplete;
}

export async function type(element: SwitchboardChat, text: string): Promise<void> {
  await draft(element, text);
  const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
  await element.updateComplete;
}

/** The team's agent, and the messages it receives from now on. */
export async function agentReceiving(): Promise<{ support: SwitchboardClient; received: Message[] }> {
  const support = await agent();
  const received: Message[] = [];
  support.on('message', (m) => received.push(m));
  return { support, received };
}

/** Takes the widget's connection down and sends `text` from the composer: it waits in the outbox, shown pending. */
export async function sendOffline(element: SwitchboardChat, text: string): Promise<void> {
  element.chat.client!.disconnect();
  await until(() => $(element, '.banner'), 'the offline banner');
  await type(element, text);
  await until(() => $(element, '[data-pending]')?.textContent === text, 'the message pending');
}
