/** What every browser test page of the widget shares: the bridge the run started, and polling for a condition. */
export interface BridgeInfo {
  url: string;
  siteKey: string;
  agent: { userId: string; name: string; role: 'agent'; hash: string };
  user: { userId: string; name: string; email: string; hash: string };
  /** A site whose origins do not include the test page: the bridge refuses it. */
  lockedSiteKey: string;
  /** The agent of the team `queue`, who has room for one conversation. */
  queuer: { userId: string; name: string; role: 'agent'; hash: string };
}

export const info = (await (await fetch('/__bridge')).json()) as BridgeInfo;

export function until(condition: () => unknown, what: string, timeoutMs = 15000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 10);
    };
    check();
  });
}

/**
 * Every test starts as a new visitor: a removed widget's client may still persist its cursors in
 * a microtask after removal, so storage is cleared before each test as well as after; `clients`
 * the test connected are disconnected after it.
 */
export function freshVisitorEachTest(clients: { disconnect(): void }[]): void {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    for (const element of document.querySelectorAll('switchboard-chat')) element.remove();
    await new Promise((resolve) => setTimeout(resolve, 0));
    localStorage.clear();
    sessionStorage.clear();
  });
}
