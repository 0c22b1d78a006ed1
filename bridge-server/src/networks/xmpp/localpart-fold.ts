/**
 * A JID's localpart as servers compare it. Prosody prepares it with stringprep's nodeprep (RFC 3920
 * appendix A, RFC 3454): full case folding (table B.2: `ß` is `ss`, a final `ς` is `σ`), then NFKC.
 * An agent configured as `Straße@example.org` is `strasse@example.org` to the server, and so to the
 * bridge; ASCII localparts are simply lowercased.
 */
export function foldLocalpart(local: string): string {
  if (/^[\u0000-\u007f]*$/.test(local)) return local.toLowerCase();
  // Upper then lower case is the full folding (one letter may become two); NFKC may bring capitals back.
  return local.toUpperCase().toLowerCase().normalize('NFKC').toLowerCase();
}
