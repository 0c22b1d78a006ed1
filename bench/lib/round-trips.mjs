// Round trips for the benchmarks: XMPP clients that accept subscriptions, and a runner that keeps
// a window of messages in flight, each resolved by its echo.
import { client, xml } from '@xmpp/client';

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** An XMPP client of `localhost` (password: the username and `pw`), online, accepting every subscription. */
export async function xmppClient(port, username) {
  const c = client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username, password: `${username}pw`, resource: 'bench' });
  c.reconnect.stop();
  c.on('error', () => {});
  c.on('stanza', (stanza) => {
    if (stanza.is('presence') && stanza.attrs.type === 'subscribe') c.send(xml('presence', { type: 'subscribed', to: stanza.attrs.from }));
  });
  await c.start();
  await c.send(xml('presence'));
  return c;
}

/** Sends `count` messages, at most `window` in flight, each resolved by its echo; latencies in ms, CPU of this process per round trip in us. */
export async function run(send, count, window) {
  const latencies = [];
  let next = 0;
  let done = 0;
  const started = now();
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve, reject) => {
    const pending = new Map();
    const timer = setTimeout(() => reject(new Error(`round trips stalled: ${done} of ${count} back`)), 60_000 + count * 50);
    const launch = () => {
      while (next < count && pending.size < window) {
        const id = `m${next++}`;
        pending.set(id, now());
        send(id, (echoed) => {
          const at = pending.get(echoed);
          if (at === undefined) return;
          pending.delete(echoed);
          latencies.push(now() - at);
          if (++done === count) {
            clearTimeout(timer);
            resolve();
          } else launch();
        }).catch(reject);
      }
    };
    launch();
  });
  const cpu = process.cpuUsage(cpuBefore);
  // CPU of this whole process (clients, and the bridge when in-process) per round trip: steadier than rates on a shared machine.
  return { latencies: latencies.sort((a, b) => a - b), seconds: (now() - started) / 1000, cpuMicros: (cpu.user + cpu.system) / count };
}
