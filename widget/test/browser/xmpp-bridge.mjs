// What the browser tier's XMPP plugins share: a real Prosody and a bridge that is its component,
// started the first time a test page asks so the other test files pay nothing for them, and
// stopped (Prosody by PID, through its helper) when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { createBridge, parseConfig } from '@switchboard/bridge-server';

/**
 * A plugin serving the paths under `prefix`: `prefix` itself answers the `info` of what `start`
 * started (given the test page's origins), any other path what its `serve` answers.
 */
export function lazyBridgePlugin(name, prefix, start) {
  let started;
  let origins;
  return {
    name,
    serverStart({ config }) {
      origins = [`http://${config.hostname}:${config.port}`, `http://localhost:${config.port}`];
    },
    async serverStop() {
      await (await started?.catch(() => undefined))?.stop();
    },
    async serve(context) {
      if (!context.path.startsWith(prefix)) return undefined;
      const bridge = await (started ??= start(origins));
      const json = (value) => ({ body: JSON.stringify(value), type: 'application/json' });
      if (context.path === prefix) return json(bridge.info);
      return bridge.serve(context, json);
    },
  };
}

/**
 * Prosody (`prosodyOptions`, see bridge-server/test/servers/prosody.ts) and a bridge configured
 * by `config(xmppNetwork, dir)`, online on it. `cleanup` steps run in reverse at `stop`: push
 * what is started next (XMPP clients); whatever fails here leaves no server behind.
 */
export async function startXmppBridge({ prosodyOptions, config, name }) {
  const { startProsody } = await tsImport('../../../bridge-server/test/servers/prosody.ts', import.meta.url);
  const { prosodyNetwork } = await tsImport('../../../bridge-server/test/servers/networks.ts', import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-wtr-xmpp-'));
  const cleanup = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    const prosody = await startProsody(prosodyOptions);
    cleanup.push(() => prosody.destroy());
    const bridge = await createBridge(parseConfig(config(prosodyNetwork(prosody), dir), name, dir));
    const url = await bridge.start();
    cleanup.push(() => bridge.stop());
    for (let i = 0; bridge.registry.get('xmpp')?.status().state !== 'online'; i++) {
      if (i > 200) throw new Error('the XMPP component did not connect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { prosody, url, cleanup, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Connects XMPP clients (bridge-server/test/xmpp-agent.ts), stopped with the rest; stops it all if one fails. */
export async function connectClients(started, users) {
  const { connectAgent } = await tsImport('../../../bridge-server/test/xmpp-agent.ts', import.meta.url);
  const clients = new Map();
  try {
    for (const [user, password] of users) {
      const client = await connectAgent(started.prosody.c2sPort, user, password);
      started.cleanup.push(() => client.stop());
      clients.set(user, client);
    }
  } catch (error) {
    await started.stop();
    throw error;
  }
  return clients;
}
