/**
 * Where the bridge fetches linked files from (docs/networks/xmpp.md, "Files"): URL prefixes, each an
 * http(s) origin and a path ending in `/` (`https://upload.example.org/share/`). A whole origin is
 * too much: an upload service shares its host with other HTTP endpoints (Prosody's other modules,
 * endpoints open to loopback only) whose answers must not become files the sender can read back.
 */

/** The prefix `https://host:port/path/` of an http(s) URL, its path cut after its last `/`. */
export function prefixOf(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (!['http:', 'https:'].includes(url.protocol)) return null;
  return `${url.origin}${url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1)}`;
}

/**
 * Whether `url` is under `prefix`: the same origin, and a path that starts with the prefix's. An
 * encoded `/` or `\` is refused, since a server may decode it and route the path elsewhere (`..` is
 * already resolved by the URL parser, `%2e%2e` included).
 */
export function isUnder(url: URL, prefix: string): boolean {
  const base = new URL(prefix);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return false;
  return !/%2f|%5c|\\/i.test(url.pathname);
}

/**
 * The prefix under which an upload service serves its files, from the GET URL of a slot it gave
 * (XEP-0363 section 4): the URL without its last two path segments, the slot's own token and the
 * file's name (`http://example.org:5280/file_share/<token>/name.txt` ->
 * `http://example.org:5280/file_share/`, Prosody's mod_http_file_share).
 */
export function uploadPrefixOf(getUrl: string): string | null {
  const prefix = prefixOf(getUrl);
  if (!prefix) return null;
  const url = new URL(prefix);
  const segments = url.pathname.split('/').slice(1, -1);
  return `${url.origin}/${segments
    .slice(0, -1)
    .map((segment) => `${segment}/`)
    .join('')}`;
}
