// Runs the bridge with the demo configuration, plus the one thing a real website's backend does
// for it: vouching for its agents (the identity hash). Demo only: a real site computes the hash
// after its own login, never for whoever asks.
import { fileURLToPath } from 'node:url';
import { createBridge, identityHash, loadConfig } from '@switchboard/bridge-server';

const configPath = process.env.SWITCHBOARD_CONFIG ?? fileURLToPath(new URL('./switchboard.config.json', import.meta.url));
let config;
try {
  config = loadConfig(configPath);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const site = config.sites[0];
const agents = new Set(
  config.teams
    .flatMap((team) => team.members)
    .filter((a) => a.startsWith('web:a_'))
    .map((a) => a.slice('web:a_'.length)),
);

const bridge = await createBridge(config, {
  routes(app) {
    // DEMO ONLY (the console's one-click sign-in, `console.demoSignIn`): vouches for any demo agent
    // to whoever asks. A real site answers its identityUrl for its own signed-in agent only
    // (docs/support-desk.md, "Signing agents in").
    app.get('/demo/agent-identity', (req, res) => {
      const userId = String(req.query.user ?? '');
      if (!agents.has(userId)) return res.status(404).json({ error: { code: 'not_found', message: `user: not a demo agent (try ${[...agents].join(', ')})` } });
      res.json({
        siteKey: site.key,
        identity: { userId, name: userId[0].toUpperCase() + userId.slice(1), role: 'agent', hash: identityHash(site.identitySecret, 'agent', userId) },
      });
    });
  },
});
const stop = () =>
  bridge.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
let url;
try {
  url = await bridge.start();
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  await bridge.stop().catch(() => {});
  process.exit(1);
}
// The shop and the console are served by the bridge itself, on whatever port it got (PORT=3000,
// PORT=0): the site allows that origin, in both the localhost and the 127.0.0.1 form, beside the
// configured ones. The check reads the site's list on each connection.
const { port } = new URL(url);
for (const host of ['localhost', '127.0.0.1']) {
  const own = `http://${host}:${port}`;
  if (!site.origins.includes(own)) site.origins.push(own);
}
bridge.logger.info(`demo shop: ${url.replace('127.0.0.1', 'localhost')}/  agent console: ${url.replace('127.0.0.1', 'localhost')}/agent`);
