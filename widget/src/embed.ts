/**
 * The chat chunk that the loader (/widget.js, loader.ts) fetches: registers <switchboard-chat>,
 * which upgrades the element the loader put on the page, then completes `window.Switchboard` and
 * runs the calls the page made meanwhile, in order.
 */
import type { Message } from '@switchboard/sdk';
import type { LoaderHandoff } from './handoff.js';
import { HANDOFF_KEY } from './handoff.js';
import type { SwitchboardChat, WidgetIdentity } from './switchboard-chat.js';
import './switchboard-chat.js';

type WidgetEvent = 'message' | 'open' | 'close' | 'unread' | 'ready' | 'error';

export interface SwitchboardApi {
  open(): void;
  close(): void;
  toggle(): void;
  identify(identity: WidgetIdentity): void;
  reset(): void;
  on(event: 'message', callback: (message: Message) => void): () => void;
  on(event: 'unread', callback: (detail: { count: number }) => void): () => void;
  on(event: WidgetEvent, callback: (detail: unknown) => void): () => void;
  readonly element: SwitchboardChat;
}

function listen(element: SwitchboardChat, event: string, callback: (detail: unknown) => void): () => void {
  const listener = (e: Event) => callback((e as CustomEvent).detail);
  element.addEventListener(`switchboard-${event}`, listener);
  return () => element.removeEventListener(`switchboard-${event}`, listener);
}

function start(handoff: LoaderHandoff): void {
  const element = handoff.element as SwitchboardChat;
  const api: SwitchboardApi = {
    open: () => element.show(),
    close: () => element.hide(),
    toggle: () => element.toggle(),
    identify: (identity) => element.identify(identity),
    reset: () => element.reset(),
    on: (event: string, callback: (detail: never) => void) => listen(element, event, callback as (detail: unknown) => void),
    element,
  };
  for (const record of handoff.listeners) if (!record.removed) record.off = listen(element, record.event, record.callback);
  const focused = handoff.hasFocus();
  Object.assign(handoff.api, api);
  for (const [method, argument] of handoff.queue.splice(0)) {
    if (method === 'identify') api.identify(argument);
    else api[method]();
  }
  if (handoff.openRequested()) element.show();
  void element.updateComplete.then(() => {
    handoff.placeholder.remove();
    if (focused && !element.open) element.shadowRoot?.querySelector<HTMLElement>('.launcher')?.focus();
  });
}

const handoff = (window as unknown as Record<string, LoaderHandoff | undefined>)[HANDOFF_KEY];
// Defining the element (switchboard-chat.ts, or the npm package's copy if the page loaded it
// first) upgraded the one the loader placed.
if (handoff) void customElements.whenDefined('switchboard-chat').then(() => start(handoff));
