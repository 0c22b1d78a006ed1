// Browser tier: a bridge whose site lets visitors continue on XMPP, with a real Prosody and the
// visitors' own XMPP clients on it, started the first time a test page asks (/__continuation) so
// the other files pay nothing for it. The page reads what an XMPP client received, and makes it
// write, through /__continuation/xmpp/... (a page cannot speak XMPP itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { createBridge, identityHash, parseConfig } from '@switchboard/bridge-server';

const SECRET = 'browser-continuation-secret-0123456789';
/** The visitors' XMPP accounts on the test's Prosody. */
const USERS = ['dana', 'erin', 'fay'];

export function continuationBridgePlugin() {
  let started;
  let origins;
  const clients = new Map();

  async function start() {
    const { startProsody } = await tsImport('../../../bridge-server/test/servers/prosody.ts', import.meta.url);
    const site = (key, continueOn) => ({ key, name: 'Browser shop', origins, identitySecret: SECRET, continueOn });
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-wtr-continue-'));
    const prosody = await startProsody({ users: USERS.map((user) => [user, `${user}pw`]) });
    // Whatever fails from here on leaves no server behind.
    const cleanup = [() => prosody.destroy(), () => rmSync(dir, { recursive: true, force: true })];
    const stop = async () => {
      for (const client of clients.values()) await client.stop();
      for (const step of cleanup.splice(0).reverse()) await step();
    };
    try {
      return await startBridge(prosody, dir, site, cleanup, stop);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  async function startBridge(prosody, dir, site, cleanup, stop) {
    const { prosodyNetwork } = await tsImport('../../../bridge-server/test/servers/networks.ts', import.meta.url);
    const { connectAgent, chatWithOriginId } = await tsImport('../../../bridge-server/test/xmpp-agent.ts', import.meta.url);
    const bridge = await createBridge(
      parseConfig(
        {
          server: { host: '127.0.0.1', port: 0, drainSeconds: 1 },
          store: { type: 'sqlite', path: join(dir, 'bridge.db') },
          sites: [site('continue-site', { networks: ['xmpp'], maxAttempts: 3 })],
          teams: [{ id: 'support', members: ['web:a_agent'], capacity: 1000 }],
          networks: [{ type: 'web', presenceGraceMs: 100 }, prosodyNetwork(prosody)],
          limits: { ratePerSecond: 1000, burst: 1000 },
          log: { level: 'silent' },
        },
        'web-test-runner continuation',
        dir,
      ),
    );
    const url = await bridge.start();
    cleanup.push(() => bridge.stop());
    for (let i = 0; bridge.registry.get('xmpp')?.status().state !== 'online'; i++) {
      if (i > 200) throw new Error('the XMPP component did not connect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const user of USERS) clients.set(user, await connectAgent(prosody.c2sPort, user, `${user}pw`));
    const team = `support@${prosody.componentDomain}`;
    return {
      info: {
        url,
        siteKey: 'continue-site',
        team,
        agent: { userId: 'agent', name: 'Agent', role: 'agent', hash: identityHash(SECRET, 'agent', 'agent') },
      },
      team,
      chatWithOriginId,
      stop,
    };
  }

  return {
    name: 'switchboard-continuation-bridge',
    serverStart({ config }) {
      origins = [`http://${config.hostname}:${config.port}`, `http://localhost:${config.port}`];
    },
    async serverStop() {
      await (await started?.catch(() => undefined))?.stop();
    },
    async serve(context) {
      if (!context.path.startsWith('/__continuation')) return undefined;
      const bridge = await (started ??= start());
      const json = (value) => ({ body: JSON.stringify(value), type: 'application/json' });
      if (context.path === '/__continuation') return json(bridge.info);
      const user = context.query.user;
      const client = typeof user === 'string' ? clients.get(user) : undefined;
      if (!client) return json({ error: `no XMPP client ${String(user)}` });
      // What the user's XMPP client received: the body and the sender's bare JID of each chat message.
      if (context.path === '/__continuation/xmpp/messages')
        return json(
          client.stanzas
            .filter((stanza) => stanza.is('message') && stanza.getChildText('body') !== null)
            .map((stanza) => ({ from: stanza.attrs.from?.split('/')[0], body: stanza.getChildText('body') })),
        );
      // The user writes to the team's JID from their XMPP client.
      if (context.path === '/__continuation/xmpp/send') {
        await client.send(bridge.chatWithOriginId(bridge.team, String(context.query.text), `wtr-${Date.now()}-${Math.random()}`));
        return json({ sent: true });
      }
      return undefined;
    },
  };
}
