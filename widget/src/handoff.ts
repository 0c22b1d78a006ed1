/**
 * What the loader (/widget.js) hands the chat chunk when it arrives: the page's
 * `<switchboard-chat>` (not upgraded yet), the calls the page made to `window.Switchboard`
 * meanwhile, and what the visitor did with the placeholder launcher. Types only: the loader
 * stays free of lit and the SDK.
 */
import type { WidgetIdentity } from './switchboard-chat.js';

export const HANDOFF_KEY = '__switchboardLoader';

export type QueuedCall = ['open' | 'close' | 'toggle' | 'reset'] | ['identify', WidgetIdentity];

export interface ListenerRecord {
  event: string;
  callback: (detail: unknown) => void;
  removed: boolean;
  /** Set once the chat is there: removes the real listener. */
  off?: () => void;
}

export interface LoaderHandoff {
  element: HTMLElement;
  /** The loader's launcher, shown until the chat renders its own. */
  placeholder: HTMLElement;
  queue: QueuedCall[];
  listeners: ListenerRecord[];
  /** The page's `window.Switchboard`, completed in place so references the page kept stay valid. */
  api: Record<string, unknown>;
  /** The visitor clicked the placeholder launcher: open the panel. */
  openRequested(): boolean;
  /** The placeholder launcher has the keyboard focus: hand it to the real one. */
  hasFocus(): boolean;
  /** The URL of a language's catalogue chunk (locale-chunks.ts), undefined for English and languages with none. */
  localeChunk(language: string): string | undefined;
}
