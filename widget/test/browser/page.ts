/** What every browser test page of the widget shares: the bridge the run started, and polling for a condition. */
export interface BridgeInfo {
  url: string;
  siteKey: string;
  agent: { userId: string; name: string; role: 'agent'; hash: string };
  user: { userId: string; name: string; email: string; hash: string };
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
