/**
 * The console's keyboard shortcuts, as commands: single keys act only when no text field has the
 * focus (typing an `r` in the reply box stays an `r`); Escape always works.
 */
export type ShortcutCommand = 'next' | 'previous' | 'next-unread' | 'reply' | 'claim' | 'close' | 'command' | 'outreach' | 'help' | 'escape';

const KEYS: Record<string, ShortcutCommand> = {
  j: 'next',
  k: 'previous',
  n: 'next-unread',
  r: 'reply',
  c: 'claim',
  x: 'close',
  ':': 'command',
  o: 'outreach',
  '?': 'help',
};

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** The command a key press asks for, if any. */
export function shortcutOf(event: KeyboardEvent): ShortcutCommand | undefined {
  if (event.key === 'Escape') return 'escape';
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing || typingIn(event.target)) return undefined;
  return KEYS[event.key];
}
