/**
 * A JID's localpart as servers compare it. Prosody prepares it with stringprep's nodeprep (RFC 3920
 * appendix A, RFC 3454): full case folding (table B.2: `ß` is `ss`, a final `ς` is `σ`), then NFKC.
 * An agent configured as `Straße@example.org` is `strasse@example.org` to the server, and so to the
 * bridge; ASCII localparts are simply lowercased.
 */
export function foldLocalpart(local: string): string {
  if (/^[\u0000-\u007f]*$/.test(local)) return local.toLowerCase();
  // Folded again after NFKC, which may bring capitals or a final sigma back (`𝛓` is `ς`).
  return caseFold(caseFold(local).normalize('NFKC'));
}

/**
 * Full case folding: upper then lower case (one letter may become two), and a final sigma as any
 * sigma, as table B.2 maps it (lower casing keeps `ς` at a word's end, folding does not).
 */
function caseFold(text: string): string {
  return text.toUpperCase().toLowerCase().replaceAll('ς', 'σ');
}
