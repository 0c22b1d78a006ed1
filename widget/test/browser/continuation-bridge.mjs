// Browser tier: a bridge whose site lets visitors continue on XMPP (and its agents reach out to XMPP
// users of the Prosody: console/test/browser/outreach.test.ts), with a real Prosody and the
// visitors' own XMPP clients on it, started the first time a test page asks (/__continuation) so
// the other files pay nothing for it. The page reads what an XMPP client received, and makes it
// write, through /__continuation/xmpp/... (a page cannot speak XMPP itself).
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { identityHash } from '@switchboard/bridge-server';
import { connectClients, lazyBridgePlugin, startXmppBridge } from './xmpp-bridge.mjs';

const SECRET = 'browser-continuation-secret-0123456789';
/** The visitors' XMPP accounts on the test's Prosody. */
const USERS = ['dana', 'erin', 'fay', 'gus', 'hal'];

async function start(origins) {
  const { chatWithOriginId } = await tsImport('../../../bridge-server/test/xmpp-agent.ts', import.meta.url);
  const site = (key, continueOn) => ({ key, name: 'Browser shop', origins, identitySecret: SECRET, continueOn });
  const started = await startXmppBridge({
    prosodyOptions: { users: USERS.map((user) => [user, `${user}pw`]) },
    config: (xmpp, dir) => ({
      server: { host: '127.0.0.1', port: 0, drainSeconds: 1 },
      store: { type: 'sqlite', path: join(dir, 'bridge.db') },
      sites: [{ ...site('continue-site', { networks: ['xmpp'], maxAttempts: 3 }), outreach: { networks: ['xmpp'], domains: ['localhost'] } }],
      teams: [{ id: 'support', members: ['web:a_agent'], capacity: 1000 }],
      networks: [{ type: 'web', presenceGraceMs: 100 }, xmpp],
      limits: { ratePerSecond: 1000, burst: 1000 },
      log: { level: 'silent' },
    }),
    name: 'web-test-runner continuation',
  });
  const clients = await connectClients(
    started,
    USERS.map((user) => [user, `${user}pw`]),
  );
  const team = `support@${started.prosody.componentDomain}`;
  return {
    info: {
      url: started.url,
      siteKey: 'continue-site',
      team,
      agent: { userId: 'agent', name: 'Agent', role: 'agent', hash: identityHash(SECRET, 'agent', 'agent') },
    },
    async serve(context, json) {
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
        await client.send(chatWithOriginId(team, String(context.query.text), `wtr-${Date.now()}-${Math.random()}`));
        return json({ sent: true });
      }
      return undefined;
    },
    stop: started.stop,
  };
}

export const continuationBridgePlugin = () => lazyBridgePlugin('switchboard-continuation-bridge', '/__continuation', start);
