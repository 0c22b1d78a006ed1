/**
 * The one-file embed served as /widget.js:
 *   <script src="https://BRIDGE/widget.js" data-site-key="..." async></script>
 * registers <switchboard-chat>, adds one to the page (the bridge is the script's own origin), and
 * exposes `window.Switchboard` for script-tag users.
 */
import type { Message } from '@switchboard/sdk';
import { SwitchboardChat, type WidgetIdentity } from './switchboard-chat.js';

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

const script = document.currentScript as HTMLScriptElement | null;

function mount(): SwitchboardChat {
  const existing = document.querySelector('switchboard-chat');
  if (existing) return existing;
  const element = document.createElement('switchboard-chat');
  const data = script?.dataset ?? {};
  element.siteKey = data.siteKey ?? '';
  element.server = data.server ?? (script?.src ? new URL(script.src).origin : location.origin);
  for (const [key, attribute] of [
    ['team', 'team'],
    ['lang', 'lang'],
    ['theme', 'theme'],
    ['position', 'position'],
    ['color', 'color'],
    ['heading', 'heading'],
    ['prechat', 'prechat'],
  ] as const) {
    const value = data[key];
    if (value) element.setAttribute(attribute, value);
  }
  if (data.sound !== undefined) element.sound = true;
  if (data.notifyTitle !== undefined) element.notifyTitle = true;
  if (data.rating !== undefined) element.rating = true;
  document.body.append(element);
  return element;
}

function start(): void {
  const element = mount();
  const api: SwitchboardApi = {
    open: () => element.show(),
    close: () => element.hide(),
    toggle: () => element.toggle(),
    identify: (identity) => element.identify(identity),
    reset: () => element.reset(),
    on(event: WidgetEvent, callback: (detail: never) => void) {
      const listener = (e: Event) => callback((e as CustomEvent).detail as never);
      element.addEventListener(`switchboard-${event}`, listener);
      return () => element.removeEventListener(`switchboard-${event}`, listener);
    },
    element,
  };
  (window as unknown as { Switchboard: SwitchboardApi }).Switchboard = api;
}

if (document.body) start();
else document.addEventListener('DOMContentLoaded', start, { once: true });
