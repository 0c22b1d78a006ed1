/**
 * Puppet nicknames: a visitor's name made into a valid IRC nick (RFC 2812 section 2.3.1:
 * `( letter / special ) *( letter / digit / special / "-" )`, special = `[]\`_^{|}`), no longer
 * than the server's NICKLEN (ISUPPORT). A collision is resolved deterministically and visibly:
 * a suffix from the visitor's own id, then a counter, so the same visitor gets the same nick.
 */
import anyAscii from 'any-ascii';

export type CaseMapping = 'ascii' | 'rfc1459' | 'strict-rfc1459';

/** Lowercases a nick the way the server compares them (ISUPPORT CASEMAPPING). */
export function ircLower(nick: string, casemapping: CaseMapping = 'rfc1459'): string {
  let lower = nick.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (casemapping !== 'ascii') lower = lower.replace(/[[\]\\]/g, (c) => ({ '[': '{', ']': '}', '\\': '|' })[c]!);
  if (casemapping === 'rfc1459') lower = lower.replaceAll('~', '^');
  return lower;
}

const SPECIAL = '[]\\`_^{|}';
const isLetter = (c: string) => /^[A-Za-z]$/.test(c);
const isValidRest = (c: string) => /^[A-Za-z0-9-]$/.test(c) || SPECIAL.includes(c);

/**
 * The name's letters and digits in Latin letters (`Łukasz` is `Lukasz`, `Иван` is `Ivan`, accents
 * removed), anything else as `_` (runs collapsed). Only letters and digits (and the characters a
 * nick may hold) are transliterated: a symbol or emoji would otherwise come out as its name
 * (`:grinning:`).
 */
export function sanitizeNick(name: string, nickLen: number): string {
  const ascii = anyAscii(name.replace(/[^\p{L}\p{M}\p{N}[\]\\`_^{|}-]+/gu, ' '));
  let nick = '';
  for (const c of ascii) nick += isValidRest(c) ? c : '_';
  nick = nick.replace(/_+/g, '_').replace(/^[_-]+|[_-]+$/g, '');
  if (!nick) nick = 'visitor';
  if (!isLetter(nick[0]!) && !SPECIAL.includes(nick[0]!)) nick = `v${nick}`;
  return nick.slice(0, Math.max(1, nickLen));
}

export interface NickOptions {
  /** ISUPPORT NICKLEN (9 on a strict RFC 1459 server). */
  nickLen: number;
  casemapping?: CaseMapping;
  /** Whether a nick is in use on the network (compared with the casemapping by the caller or here). */
  taken: (lowered: string) => boolean;
}

/**
 * A free nick for a visitor: its sanitized name; if taken, name + `|` + the start of its id; then
 * a counter. Every candidate fits NICKLEN.
 */
export function puppetNick(name: string, visitorId: string, options: NickOptions): string {
  const { nickLen } = options;
  const casemapping = options.casemapping ?? 'rfc1459';
  const base = sanitizeNick(name, nickLen);
  const tag = sanitizeNick(visitorId.replace(/^v_/, ''), 4).replace(/^v/, '') || '0';
  const fits = (stem: string, suffix: string) => `${stem.slice(0, Math.max(1, nickLen - suffix.length))}${suffix}`;
  const candidates = [base, fits(base, `|${tag}`)];
  for (let n = 2; n < 1000; n++) candidates.push(fits(base, `|${tag}${n}`));
  for (const candidate of candidates) if (!options.taken(ircLower(candidate, casemapping))) return candidate;
  throw new Error(`no free nick for "${name}"`);
}
