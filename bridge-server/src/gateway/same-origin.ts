/** Same-origin requests: the bridge's own pages (the agent console). */
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request comes from the bridge's own pages: its `Origin`'s host is the `Host` it was
 * sent to. Without an Origin (a browser leaves it out of a same-origin GET, such as socket.io's
 * first polling request), `Sec-Fetch-Site`, when the browser sends it, must say same-origin.
 */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const host = headers.host;
  if (host === undefined) return false;
  const origin = headers.origin;
  if (origin === undefined) {
    const site = headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin';
  }
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
