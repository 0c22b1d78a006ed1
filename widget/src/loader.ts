/**
 * /widget.js, the loader: what a page pays for the one-tag embed
 *   <script src="https://BRIDGE/widget.js" data-site-key="..." async></script>
 * It puts a `<switchboard-chat>` on the page (or uses the one there), paints the launcher at once,
 * and sets `window.Switchboard`, whose calls wait until the chat is there. The chat itself (lit,
 * the SDK, socket.io-client, the component) is a second script, fetched on intent (hover, focus,
 * touch or click on the launcher, any API call) or at once for a returning visitor whose
 * conversation may hold unread messages, or whose panel was open before the page changed.
 */
import { readableOn } from './colors.js';
import type { ListenerRecord, LoaderHandoff, QueuedCall } from './handoff.js';
import { HANDOFF_KEY } from './handoff.js';
import { OPEN_CHAT, openKey } from './launcher.js';

/** Replaced at build time by the chat chunk's content-hashed file name. */
const CHAT_CHUNK = '__SWITCHBOARD_CHAT_CHUNK__';
/** Replaced at build time by each language's catalogue chunk, `{ fr: 'chat-fr-<hash>.js', ... }` (English is in the chat). */
const LOCALE_CHUNKS = '__SWITCHBOARD_LOCALE_CHUNKS__' as unknown as Record<string, string | undefined>;

/** The placeholder looks like the chat's own launcher (styles.ts): same size, place and colours. */
const STYLE = `:host{position:fixed;z-index:var(--switchboard-z-index,2147483000);bottom:var(--switchboard-offset,20px);right:var(--switchboard-offset,20px)}
:host([data-left]){right:auto;left:var(--switchboard-offset,20px)}
button{all:initial;box-sizing:border-box;width:56px;height:56px;border-radius:50%;background:var(--switchboard-accent,#1d4ed8);color:var(--switchboard-on-accent,#fff);cursor:pointer;box-shadow:0 4px 16px rgb(0 0 0/.25);display:grid;place-items:center}
button:focus-visible{outline:3px solid var(--switchboard-accent,#1d4ed8);outline-offset:2px}
svg{width:28px;height:28px;fill:currentColor}
:host([data-dark]) button{background:var(--switchboard-accent,#93c5fd);color:var(--switchboard-on-accent,#0b1220)}
@media (prefers-color-scheme:dark){:host(:not([data-light])) button{background:var(--switchboard-accent,#93c5fd);color:var(--switchboard-on-accent,#0b1220)}}`;

/** `data-*` options of the script tag -> the element's attributes (widget/README.md). */
const OPTIONS = ['team', 'lang', 'theme', 'position', 'color', 'heading', 'prechat'] as const;
const FLAGS = [
  ['sound', 'sound'],
  ['notifyTitle', 'notify-title'],
  ['rating', 'rating'],
] as const;

const script = document.currentScript as HTMLScriptElement | null;

/**
 * The page's `<switchboard-chat>`, or a new one: the tag's options fill in the attributes it does
 * not set (a page's own element keeps its own).
 */
function element(data: DOMStringMap): HTMLElement {
  const existing = document.querySelector<HTMLElement>('switchboard-chat');
  const chat = existing ?? document.createElement('switchboard-chat');
  const fill = (attribute: string, value: string) => {
    if (!chat.hasAttribute(attribute)) chat.setAttribute(attribute, value);
  };
  // A developer's mistake that nothing on the page would show until a visitor opens the chat.
  if (!data.siteKey && !chat.getAttribute('site-key'))
    console.error('Switchboard: widget.js needs data-site-key="<your site key>" on its script tag; the chat cannot connect without it.');
  fill('site-key', data.siteKey ?? '');
  fill('server', data.server ?? (script?.src ? new URL(script.src).origin : location.origin));
  for (const option of OPTIONS) if (data[option]) fill(option, data[option]);
  for (const [flag, attribute] of FLAGS) if (data[flag] !== undefined) fill(attribute, '');
  if (!existing) document.body.append(chat);
  return chat;
}

/** A returning visitor: a conversation seen on this device (it may hold unread messages), or a panel left open. */
function returning(siteKey: string): boolean {
  try {
    if (sessionStorage.getItem(openKey(siteKey))) return true;
    const prefix = `switchboard:${siteKey}:`;
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(prefix) && key.endsWith(':cursors')) return true;
    }
  } catch {
    // Storage blocked: wait for intent.
  }
  return false;
}

/** The language the chat will speak (the same choice as its own, i18n.ts): the element's, the page's, the browser's. */
function languageOf(chat: HTMLElement): string {
  return (chat.getAttribute('lang') || document.documentElement.lang || navigator.language || 'en').toLowerCase().split(/[-_]/)[0]!;
}

/** The chunk of a language's catalogue; undefined for English and languages without one. */
function localeChunkOf(language: string): string | undefined {
  return Object.hasOwn(LOCALE_CHUNKS, language) ? LOCALE_CHUNKS[language] : undefined;
}

/** What a Trusted Types policy makes of a URL (a `TrustedScriptURL`, which a script's `src` takes as a string). */
interface ScriptUrlPolicy {
  createScriptURL(url: string): unknown;
}
/** The widget's policy; null where the browser has none or the page's `trusted-types` does not allow its name. */
let scriptUrlPolicy: ScriptUrlPolicy | null | undefined;

/**
 * A chunk's URL: beside /widget.js, under /widget/. On a page enforcing Trusted Types
 * (`require-trusted-types-for 'script'`) a script's `src` takes only what a policy made: the
 * widget's own, named `switchboard`, passes this bridge's chunk URLs and nothing else.
 */
function chunkUrl(name: string): string {
  const base = new URL('widget/', script?.src || location.href).href;
  const url = new URL(name, base).href;
  if (scriptUrlPolicy === undefined) {
    const factory = (window as { trustedTypes?: { createPolicy(name: string, rules: { createScriptURL(url: string): string }): ScriptUrlPolicy } })
      .trustedTypes;
    try {
      scriptUrlPolicy =
        factory?.createPolicy('switchboard', {
          createScriptURL: (candidate) => {
            if (!candidate.startsWith(base)) throw new TypeError(`switchboard: not a chunk of this widget: ${candidate}`);
            return candidate;
          },
        }) ?? null;
    } catch {
      // The page's `trusted-types` list leaves the name out: the plain URL, which its own rules judge.
      scriptUrlPolicy = null;
    }
  }
  return (scriptUrlPolicy ? scriptUrlPolicy.createScriptURL(url) : url) as string;
}

/** Appends a chunk's script; `ordered` ones run in the order they were added (after any added before). */
function addScript(name: string, ordered: boolean, failed?: () => void): void {
  const chunk = document.createElement('script');
  chunk.src = chunkUrl(name);
  chunk.async = !ordered;
  chunk.onerror = () => {
    chunk.remove();
    failed?.();
  };
  document.head.append(chunk);
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * The placeholder's style as a constructed style sheet, which a page's Content-Security-Policy
 * without `'unsafe-inline'` styles allows (a `<style>` element it blocks); the element where the
 * browser has none. Its markup is built node by node: no HTML string, which pages enforcing
 * Trusted Types refuse.
 */
function adoptStyle(root: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = STYLE;
    root.append(style);
  }
}

function placeholder(chat: HTMLElement): { host: HTMLElement; button: HTMLButtonElement } {
  const host = document.createElement('div');
  const root = host.attachShadow({ mode: 'open' });
  const theme = chat.getAttribute('theme');
  if (theme === 'dark') host.dataset.dark = '';
  if (theme === 'light') host.dataset.light = '';
  if (chat.getAttribute('position') === 'bottom-left') host.dataset.left = '';
  const color = chat.getAttribute('color');
  if (color) {
    host.style.setProperty('--switchboard-accent', color);
    host.style.setProperty('--switchboard-on-accent', readableOn(color));
  }
  adoptStyle(root);
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('part', 'launcher');
  const icon = document.createElementNS(SVG, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z');
  icon.append(path);
  button.append(icon);
  root.append(button);
  button.setAttribute('aria-label', OPEN_CHAT[languageOf(chat)] ?? OPEN_CHAT.en!);
  button.setAttribute('aria-expanded', 'false');
  // Light DOM of the not-yet-defined element: once the chat renders into its own shadow root,
  // this is no longer shown, with no frame in between.
  chat.append(host);
  return { host, button };
}

/** The methods a page's stub may have queued calls to. */
const STUB_METHODS = new Set(['open', 'close', 'toggle', 'reset', 'identify', 'on']);

/**
 * What the page holds as `window.Switchboard` already, with the calls it queued: the stub it set up
 * to call the API before the script loaded (with `q`, its calls as `[method, args]`; `q` removed),
 * or the SDK's classic script (`/sdk.iife.js`, no calls). Undefined when there is none.
 */
function pageStub(): { api: Record<string, unknown>; calls: [string, unknown[]][] } | undefined {
  const found = (window as unknown as Record<string, unknown>).Switchboard as Record<string, unknown> | undefined;
  if (typeof found !== 'object' || found === null) return undefined;
  if (!Array.isArray(found.q)) return { api: found, calls: [] };
  const queued = found.q as unknown[];
  delete found.q;
  const calls = queued.filter(
    (entry): entry is [string, unknown[]] => Array.isArray(entry) && typeof entry[0] === 'string' && STUB_METHODS.has(entry[0]) && Array.isArray(entry[1]),
  );
  return { api: found, calls };
}

function start(): void {
  const data = script?.dataset ?? {};
  const chat = element(data);
  const queue: QueuedCall[] = [];
  const listeners: ListenerRecord[] = [];
  let requested = false;
  let loading = false;
  const load = () => {
    if (loading) return;
    loading = true;
    // The page's language other than English: its catalogue, fetched beside the chat and run
    // before it, so the chat paints in that language at once.
    const locale = localeChunkOf(languageOf(chat));
    if (locale) addScript(locale, true);
    // Offline, or the bridge unreachable: the next intent tries again.
    addScript(CHAT_CHUNK, locale !== undefined, () => {
      loading = false;
      button?.removeAttribute('aria-busy');
    });
  };
  const call = (entry: QueuedCall) => {
    queue.push(entry);
    load();
  };
  const api: Record<string, unknown> = {
    open: () => call(['open']),
    close: () => call(['close']),
    toggle: () => call(['toggle']),
    reset: () => call(['reset']),
    identify: (identity: QueuedCall[1]) => call(['identify', identity as never]),
    on(event: string, callback: (detail: unknown) => void) {
      const record: ListenerRecord = { event, callback, removed: false };
      listeners.push(record);
      return () => {
        record.removed = true;
        record.off?.();
      };
    },
    element: chat,
  };
  // The page's stub, when it called the API before this script ran (README, "Calls before the
  // script loads"): it becomes the API in place, so references the page kept stay valid, and the
  // calls it queued run below, in order. The SDK's classic script, loaded before, keeps its own
  // exports there beside the widget's methods.
  const stub = pageStub();
  if (stub) Object.assign(stub.api, api);
  const pageApi = stub?.api ?? api;
  const defined = customElements.get('switchboard-chat') !== undefined;
  const { host, button } = defined ? { host: document.createElement('div'), button: null } : placeholder(chat);
  const handoff: LoaderHandoff = {
    element: chat,
    placeholder: host,
    queue,
    listeners,
    api: pageApi,
    openRequested: () => requested,
    hasFocus: () => host.shadowRoot?.activeElement === button && button !== null,
    localeChunk: (language) => {
      const name = localeChunkOf(language);
      return name && chunkUrl(name);
    },
  };
  (window as unknown as Record<string, unknown>)[HANDOFF_KEY] = handoff;
  (window as unknown as Record<string, unknown>).Switchboard = pageApi;
  for (const [method, args] of stub?.calls ?? []) (pageApi[method] as (...args: unknown[]) => unknown)(...args);
  if (button) {
    for (const intent of ['pointerenter', 'focus', 'touchstart']) button.addEventListener(intent, load, { once: true, passive: true });
    button.addEventListener('click', () => {
      requested = true;
      button.setAttribute('aria-busy', 'true');
      load();
    });
  }
  if (defined || returning(chat.getAttribute('site-key') ?? '')) load();
}

if (document.body) start();
else document.addEventListener('DOMContentLoaded', start, { once: true });
