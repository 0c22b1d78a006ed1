// Every JSON example in docs/ is what the bridge accepts: a network entry passes its network's
// schema, a configuration (or a part of one: a team, the gateway, a store) passes the
// configuration's (the cluster's with a Postgres store), so that a newcomer who copies one gets a working file.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config.js';
import { BUILTIN_NETWORKS } from '../../src/networks/registry.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const docs = ['docs', 'docs/networks'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `${dir}/${file}`),
);

/** What a part of a configuration is completed with: one site and a store (no file is opened). */
const SITE = { key: 'shop', origins: ['https://shop.example.com'], identitySecret: 'a-secret-of-at-least-16-chars' };

/** A network entry of each type, for a part of a configuration that names networks (the gateway's pairs). */
const NETWORK_ENTRIES: Record<string, Record<string, string>> = {
  xmpp: { type: 'xmpp', service: 'xmpp://127.0.0.1:5347', domain: 'web.example.org', password: 'component-secret' },
  sip: {
    type: 'sip',
    server: 'wss://sip.example.org:8443',
    domain: 'example.org',
    username: 'switchboard',
    password: 'replace-me',
    visitorDomain: 'web.example.org',
  },
  irc: { type: 'irc', server: 'ircs://irc.libera.chat:6697', nick: 'acme-desk' },
};

function examples(file: string): unknown[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((match) => {
    const block = match[1]!;
    try {
      return JSON.parse(block) as unknown;
    } catch {
      return JSON.parse(`{${block}}`) as unknown; // a fragment of an object: `"teams": [...]`
    }
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one example; returns what it was checked as. */
function check(example: unknown): string {
  assert.ok(isRecord(example), 'an example is a JSON object');
  const network = typeof example.type === 'string' ? BUILTIN_NETWORKS[example.type] : undefined;
  if (network && !('url' in example)) {
    const parsed = network.schema.safeParse(example);
    assert.ok(parsed.success, `network "${String(example.type)}": ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
    return `network ${String(example.type)}`;
  }
  if ('members' in example) return check({ teams: [example] });
  if ('type' in example && 'url' in example) return check({ store: example });
  // The cluster settings need the Postgres store.
  if ('redis' in example) return check({ cluster: example, store: { type: 'postgres', url: 'postgres://switchboard@db.internal/switchboard' } });
  // The gateway's part and a site's outreach name networks the rest of the configuration has: completed with them.
  const pairs = isRecord(example.gateway) && Array.isArray(example.gateway.allow) ? (example.gateway.allow as { from: string; to: string }[]) : [];
  const sites = Array.isArray(example.sites) ? example.sites.filter(isRecord) : [];
  const outreach = sites.flatMap((site) => (isRecord(site.outreach) && Array.isArray(site.outreach.networks) ? (site.outreach.networks as string[]) : []));
  const named = [...new Set([...pairs.flatMap((pair) => [pair.from, pair.to]), ...outreach])];
  const networks = 'networks' in example || named.length === 0 ? {} : { networks: named.map((type) => NETWORK_ENTRIES[type] ?? { type }) };
  const config = { sites: [SITE], store: { type: 'sqlite', path: 'switchboard.db' }, ...networks, ...example };
  parseConfig(config, 'docs example', root);
  return `configuration (${Object.keys(example).join(', ')})`;
}

describe('JSON examples in docs/', () => {
  for (const file of docs) {
    const found = examples(file);
    if (found.length === 0) continue;
    it(`are accepted by the bridge, for ${file}`, () => {
      for (const [index, example] of found.entries()) {
        try {
          check(example);
        } catch (error) {
          assert.fail(`${file}, JSON example ${index + 1}: ${(error as Error).message}`);
        }
      }
    });
  }
});
