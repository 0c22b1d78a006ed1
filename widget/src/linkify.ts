/**
 * Splits message text into plain text and links. Only http, https and mailto become links;
 * everything else (HTML, markdown, javascript: or data: URLs) stays text, rendered as text.
 */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const CANDIDATE = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?)\]}'"»”’]+$/;

/**
 * Bidi and invisible formatting controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM,
 * ALM): in a link's text they can reverse it so that it reads as another site
 * (`https://evil.example/\u202Emoc.knab.www//:sptth`). A link shows its characters as written.
 */
const FORMATTING_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

export function stripFormattingControls(text: string): string {
  return text.replace(FORMATTING_CONTROLS, '');
}

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'mailto:') return null;
    return url.href;
  } catch {
    return null;
  }
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    let candidate = match[0];
    const start = match.index ?? 0;
    const trailing = TRAILING.exec(candidate);
    // Keep a closing parenthesis that belongs to the URL, e.g. https://en.wikipedia.org/wiki/X_(Y)
    if (trailing && !(trailing[0].startsWith(')') && candidate.includes('('))) candidate = candidate.slice(0, -trailing[0].length);
    const href = safeHref(candidate);
    if (!href) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: stripFormattingControls(candidate), href });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
