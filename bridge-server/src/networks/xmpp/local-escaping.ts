/**
 * Any value as a JID localpart and back (RFC 7622, XEP-0106), unchanged by what a server does to a
 * localpart it routes (case folding, NFKC): the addresses of the parties the component shows.
 */
/** XEP-0106 section 3.1: the characters a localpart cannot hold, and the backslash itself. */
const ESCAPED: Record<string, string> = { ' ': '20', '"': '22', '&': '26', "'": '27', '/': '2f', ':': '3a', '<': '3c', '>': '3e', '@': '40', '\\': '5c' };
const UNESCAPED = Object.fromEntries(Object.entries(ESCAPED).map(([char, hex]) => [hex, char]));

/**
 * Whether a character outside ASCII survives the server's localpart preparation (nodeprep,
 * RFC 3920 appendix A: case folding and NFKC; RFC 3454 section 6: no right-to-left letters beside
 * left-to-right ones) unchanged in any context: lowercase letters of the Latin, Greek and Cyrillic
 * scripts that case-fold and normalize to themselves. Everything else is written as a code point.
 */
const literal = (char: string) =>
  /^\p{Ll}$/u.test(char) &&
  /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]$/u.test(char) &&
  char.normalize('NFKC') === char &&
  char.toUpperCase().toLowerCase() === char;

/**
 * An address (or its part after the scheme) as a JID localpart. Servers case-fold localparts
 * (RFC 7622 section 3.3), but ids may be case-sensitive (a website's user ids, SIP users): an ASCII
 * uppercase letter is written `^` + its lowercase, and `^` itself `^^`. Characters a localpart
 * cannot hold are escaped as in XEP-0106 (`\40`, `\3a`, ...; the backslash always, `\5c`). Any
 * other character the server could change (uppercase or decomposed letters, scripts written right
 * to left, symbols, controls) is `^` + its decimal code point + `;` (`É` -> `^201;`).
 */
export function escapeLocal(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '^') out += '^^';
    else if (char >= 'A' && char <= 'Z') out += `^${char.toLowerCase()}`;
    else if (ESCAPED[char] !== undefined) out += `\\${ESCAPED[char]}`;
    else if (code > 0x20 && code < 0x7f) out += char;
    else if (code >= 0x80 && literal(char)) out += char;
    else out += `^${code};`;
  }
  return out;
}

/**
 * The value a localpart written by `escapeLocal` stands for, or null when it is not exactly what
 * `escapeLocal` writes (so that no two JIDs stand for one value). ASCII case does not matter.
 */
export function unescapeLocal(local: string): string | null {
  const lower = local.replace(/[A-Z]/g, (c) => c.toLowerCase());
  let out = '';
  for (let i = 0; i < lower.length;) {
    const char = lower[i]!;
    if (char === '^') {
      const next = lower[i + 1] ?? '';
      const code = /^\d{1,7};/.exec(lower.slice(i + 1, i + 9))?.[0];
      if (next === '^' || (next >= 'a' && next <= 'z')) {
        out += next === '^' ? '^' : next.toUpperCase();
        i += 2;
      } else if (code) {
        const point = Number(code.slice(0, -1));
        if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return null;
        out += String.fromCodePoint(point);
        i += 1 + code.length;
      } else return null;
    } else if (char === '\\' && UNESCAPED[lower.slice(i + 1, i + 3)] !== undefined) {
      out += UNESCAPED[lower.slice(i + 1, i + 3)];
      i += 3;
    } else {
      out += char;
      i += 1;
    }
  }
  return escapeLocal(out) === lower ? out : null;
}
