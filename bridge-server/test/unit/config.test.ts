import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.js';
import { validateNetworks } from '../../src/networks/registry.js';
import { createBridge } from '../../src/server.js';

const minimal = () => ({ sites: [{ key: 'shop' }], store: { type: 'sqlite', path: 'db.sqlite' } });

function rejects(raw: unknown, field: RegExp): void {
  assert.throws(
    () => parseConfig(raw, 'test.json', '/base'),
    (error: unknown) => error instanceof ConfigError && field.test(error.message),
  );
}

describe('configuration', () => {
  it('refuses an XMPP member written with a resource, naming the bare JID to list', () => {
    rejects(
      { ...minimal(), teams: [{ id: 'support', members: ['xmpp:erin@example.org/desk'] }] },
      /teams\[0\]\.members\[0\]: xmpp:erin@example\.org\/desk names a resource; list the bare JID xmpp:erin@example\.org \(every client of the agent counts\)/,
    );
  });

  it("names a network's customers.site, customers.team(s) or teamAddresses key that no site or team has", () => {
    const withNetwork = (network: Record<string, unknown>) => ({
      ...minimal(),
      teams: [{ id: 'support', members: ['xmpp:a@example.org'] }],
      networks: [network],
    });
    const xmpp = { type: 'xmpp', service: 'xmpp://localhost:5347', domain: 'bridge.example.org', password: 'secret' };
    rejects(withNetwork({ ...xmpp, customers: { site: 'shoop' } }), /networks\[0\]\.customers\.site: no site has the key "shoop"/);
    rejects(
      withNetwork({ ...xmpp, customers: { teamAddresses: { suport: 'help' } } }),
      /networks\[0\]\.customers\.teamAddresses\.suport: no team has the id "suport"/,
    );
    const irc = { type: 'irc', server: 'localhost', nick: 'bot', customers: { team: 'support', teams: ['sales'] } };
    rejects(withNetwork(irc), /networks\[0\]\.customers\.teams\[0\]: no team has the id "sales"/);
    const client = { ...xmpp, mode: 'client', domain: 'example.org', username: 'bot', customers: { team: 'helpdesk' } };
    rejects(withNetwork(client), /networks\[0\]\.customers\.team: no team has the id "helpdesk"/);
    assert.ok(parseConfig(withNetwork({ ...xmpp, customers: { site: 'shop', teamAddresses: { support: 'help' } } }), 'test.json', '/base'));
  });

  it('names a gateway pair whose network is not configured, and refuses email in a pair', () => {
    const withPairs = (allow: { from: string; to: string }[]) => ({
      ...minimal(),
      gateway: { site: 'shop', allow },
      networks: [
        { type: 'xmpp', service: 'xmpp://localhost:5347', domain: 'bridge.example.org', password: 'secret' },
        { type: 'irc', server: 'localhost', nick: 'bot' },
      ],
    });
    rejects(withPairs([{ from: 'xmpp', to: 'matrix' }]), /gateway\.allow\[0\]\.to: no network of type "matrix" is configured \(networks: xmpp, irc\)/);
    rejects(withPairs([{ from: 'sip', to: 'xmpp' }]), /gateway\.allow\[0\]\.from: no network of type "sip" is configured/);
    for (const email of ['email', 'mailto'])
      rejects(withPairs([{ from: 'xmpp', to: email }]), /gateway\.allow\[0\]\.to: email takes no part in the gateway: mail goes out from a team's mailbox/);
    assert.ok(parseConfig(withPairs([{ from: 'xmpp', to: 'irc' }]), 'test.json', '/base'));
  });

  it("names a webhook's site no site has, and a timeout past five minutes (fetch could not wait that long)", () => {
    const hook = { url: 'https://hooks.example.com/in', secret: 'webhook-secret-0123456789' };
    rejects({ ...minimal(), webhooks: [{ ...hook, sites: ['shop', 'shoop'] }] }, /webhooks\[0\]\.sites\[1\]: no site has the key "shoop"/);
    rejects({ ...minimal(), webhooks: [{ ...hook, timeoutSeconds: 86_400 * 60 }] }, /webhooks\[0\]\.timeoutSeconds/);
    assert.ok(parseConfig({ ...minimal(), webhooks: [{ ...hook, sites: ['shop'], timeoutSeconds: 300 }] }, 'test.json', '/base'));
  });

  it('names an email entry whose team serves several sites and no site says which its mail is filed under', () => {
    const withEmail = (extra: Record<string, unknown>, team: Record<string, unknown> = {}) => ({
      sites: [{ key: 'shop' }, { key: 'shop2' }],
      store: { type: 'sqlite', path: 'db.sqlite' },
      teams: [{ id: 'multi', members: ['web:a_alice'], ...team }],
      networks: [
        {
          type: 'email',
          imap: { host: '127.0.0.1', user: 'bridge', password: 'secret' },
          smtp: { host: '127.0.0.1' },
          messageIdDomain: 'bridge.example.com',
          plusAddressSecret: 'a-plus-address-secret-of-32-chars!!',
          teams: { 'support@example.com': 'multi' },
          ...extra,
        },
      ],
    });
    // The networks' own checks, as loadConfig and createBridge run them.
    const check = (raw: unknown) => validateNetworks(parseConfig(raw, 'test.json', '/base'));
    const refused = (raw: unknown, field: RegExp) =>
      assert.throws(
        () => check(raw),
        (error: unknown) => error instanceof ConfigError && field.test(error.message),
      );
    refused(
      withEmail({}),
      /networks\[0\]\.site: team "multi" \(teams\.support@example\.com\) serves several sites \(shop, shop2\); set site to the one its mail is filed under/,
    );
    refused(withEmail({ site: 'elsewhere' }, { sites: ['shop', 'shop2'] }), /networks\[0\]\.site: team "multi"/);
    assert.ok(check(withEmail({ site: 'shop2' })));
    assert.ok(check(withEmail({}, { sites: ['shop'] })), 'a team of one site files its mail there');
  });

  it("names an email entry's team no team has, and the secrets its environment lacks, before anything is opened", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    const env = process.env.SWITCHBOARD_EMAIL_SECRET;
    delete process.env.SWITCHBOARD_EMAIL_SECRET;
    try {
      const raw = {
        sites: [{ key: 'shop' }],
        store: { type: 'sqlite', path: join(dir, 'newdir', 'db.sqlite') },
        teams: [{ id: 'support', members: ['mailto:erin@example.org'] }],
        networks: [
          {
            type: 'email',
            imap: { host: '127.0.0.1', user: 'bridge', passwordEnv: 'SWITCHBOARD_TEST_UNSET_PASSWORD' },
            smtp: { host: '127.0.0.1' },
            messageIdDomain: 'bridge.example.com',
            teams: { 'sales@example.com': 'sales' },
          },
        ],
      };
      const problems = [
        'networks[0].teams.sales@example.com: "sales" is no team of the configuration',
        'networks[0].imap.passwordEnv: the environment variable SWITCHBOARD_TEST_UNSET_PASSWORD is not set',
        'networks[0].plusAddressSecret: set it (at least 32 characters), or the environment variable SWITCHBOARD_EMAIL_SECRET',
      ];
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify(raw));
      assert.throws(
        () => loadConfig(file, {}),
        (error: unknown) => error instanceof ConfigError && error.message === `Invalid configuration in ${file}:\n  ${problems.join('\n  ')}`,
      );
      await assert.rejects(
        createBridge(parseConfig(raw, 'test.json', dir)),
        (error: unknown) => error instanceof ConfigError && problems.every((p) => error.message.includes(p)),
      );
      assert.equal(existsSync(join(dir, 'newdir')), false, "nothing created: not even the store's folder");
    } finally {
      if (env !== undefined) process.env.SWITCHBOARD_EMAIL_SECRET = env;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a site's continueOn network that no networks entry brings, and fills its defaults", () => {
    const xmpp = { type: 'xmpp', service: 'xmpp://localhost:5347', domain: 'bridge.example.org', password: 'secret' };
    const site = (continueOn: unknown) => ({ ...minimal(), sites: [{ key: 'shop', continueOn }], networks: [xmpp] });
    rejects(site({ networks: ['xmpp', 'mailto'] }), /sites\[0\]\.continueOn\.networks\[1\]: no email network is configured/);
    rejects(site({ networks: ['irc'] }), /sites\[0\]\.continueOn\.networks\[0\]/);
    rejects(site({ networks: [] }), /sites\[0\]\.continueOn\.networks: list at least one network/);
    rejects(site({ networks: ['xmpp'], codeTtlSeconds: 5 }), /sites\[0\]\.continueOn\.codeTtlSeconds/);
    assert.deepEqual(parseConfig(site({ networks: ['xmpp'] }), 'test.json', '/base').sites[0]!.continueOn, {
      networks: ['xmpp'],
      proof: 'code',
      codeTtlSeconds: 600,
      maxAttempts: 5,
    });
    assert.equal(parseConfig(minimal(), 'test.json', '/base').sites[0]!.continueOn, undefined, 'off when left out');
  });

  it("names a site's outreach network that no networks entry brings", () => {
    const xmpp = { type: 'xmpp', service: 'xmpp://localhost:5347', domain: 'bridge.example.org', password: 'secret' };
    const site = (networks: string[]) => ({ ...minimal(), sites: [{ key: 'shop', outreach: { networks, domains: ['example.org'] } }], networks: [xmpp] });
    rejects(site(['xmpp', 'mailto']), /sites\[0\]\.outreach\.networks\[1\]: no email network is configured \(add a networks entry of type "email"\)/);
    rejects(site(['irc']), /sites\[0\]\.outreach\.networks\[0\]: no irc network is configured/);
    rejects(site(['sip']), /sites\[0\]\.outreach\.networks\[0\]: no sip network is configured/);
    assert.deepEqual(parseConfig(site(['xmpp']), 'test.json', '/base').sites[0]!.outreach?.networks, ['xmpp']);
  });

  it("fills defaults and resolves paths from the config file's folder", () => {
    const config = parseConfig(minimal(), 'test.json', '/base');
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.store.type, 'sqlite');
    assert.equal(config.store.path, '/base/db.sqlite');
    assert.equal(config.store.synchronous, 'normal');
    assert.deepEqual(config.networks, [{ type: 'web' }]);
    assert.equal(config.limits.maxTextLength, 10_000);
    assert.equal(config.sites[0]!.tokenTtlDays, 30);
  });

  it('names the field of every kind of mistake', () => {
    rejects({ store: { type: 'sqlite', path: 'x' } }, /sites/);
    rejects({ ...minimal(), sites: [] }, /sites: configure at least one site/);
    rejects({ ...minimal(), sites: [{ key: 'a b' }] }, /sites\[0\]\.key/);
    rejects({ ...minimal(), sites: [{ key: 'shop', origins: ['https://x.test/path'] }] }, /sites\[0\]\.origins\[0\]/);
    rejects({ ...minimal(), sites: [{ key: 'shop', identitySecret: 'short' }] }, /sites\[0\]\.identitySecret/);
    rejects({ ...minimal(), sites: [{ key: 'shop', apiKeys: ['tiny'] }] }, /sites\[0\]\.apiKeys\[0\]/);
    rejects({ ...minimal(), sites: [{ key: 'shop' }, { key: 'shop' }] }, /sites\[1\]\.key: duplicate/);
    rejects({ ...minimal(), teams: [{ id: 'support', members: ['alice'] }] }, /teams\[0\]\.members\[0\]/);
    rejects({ ...minimal(), teams: [{ id: 'support', sites: ['nope'] }] }, /teams\[0\]\.sites\[0\]/);
    rejects({ ...minimal(), teams: [{ id: 's' }, { id: 's' }] }, /teams\[1\]\.id: duplicate/);
    rejects({ ...minimal(), store: { type: 'mysql' } }, /store\.type/);
    rejects({ ...minimal(), server: { port: 70000 } }, /server\.port/);
    rejects({ ...minimal(), limits: { maxTextLength: 20_000 } }, /limits\.maxTextLength/);
  });

  it('refuses unknown keys, so a typo is not silently ignored', () => {
    rejects({ ...minimal(), limts: {} }, /limts/);
    rejects({ ...minimal(), sites: [{ key: 'shop', orgins: [] }] }, /orgins/);
    // Objects that may also be written another way (a string, false): their unknown keys are named too.
    const site = { key: 'shop', origins: ['https://shop.example'] };
    rejects({ ...minimal(), sites: [{ ...site, apiKeys: [{ id: 'a', key: '0123456789abcdef0', x: 1 }] }] }, /sites\[0\]\.apiKeys\[0\]: Unrecognized key: "x"/);
    rejects({ ...minimal(), sites: [{ ...site, files: { typez: [] } }] }, /sites\[0\]\.files: Unrecognized key: "typez"/);
    rejects(
      { ...minimal(), sites: [site], teams: [{ id: 'support', members: [{ addresses: ['web:a_x'], q: 1 }] }] },
      /teams\[0\]\.members\[0\]: Unrecognized key: "q"/,
    );
  });

  it('names the field of a wrong network entry, before touching the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    try {
      const base = { ...minimal(), store: { type: 'sqlite', path: join(dir, 'never-created', 'db.sqlite') } };
      const cases: [unknown[], RegExp][] = [
        [[{ type: 'carrier-pigeon' }], /networks\[0\]\.type: unknown network type "carrier-pigeon"/],
        [[{ type: 'web' }, { type: 'web' }], /networks\[1\]\.type: "web" is already configured at networks\[0\]/],
        [[{ type: 'web', presenceGraceMs: -1 }], /networks\[0\]\.presenceGraceMs/],
        [[{ type: 'web', presenseGraceMs: 10 }], /networks\[0\]: Unrecognized key: "presenseGraceMs"/],
        // docs/networks/xmpp.md: a component's service is plain xmpp://, never xmpps://.
        [
          [{ type: 'xmpp', service: 'xmpps://127.0.0.1:5347', domain: 'web.example.org', password: 'secret' }],
          /networks\[0\]\.service: must be xmpp:\/\/host:port \(the server's component port; components do not use TLS\)/,
        ],
      ];
      for (const [networks, message] of cases) {
        const config = parseConfig({ ...base, networks }, 'test.json', dir);
        await assert.rejects(createBridge(config), (error: unknown) => error instanceof ConfigError && message.test(error.message));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads a file, with PORT, HOST and LOG_LEVEL overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    try {
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(minimal()));
      const config = loadConfig(path, { PORT: '9999', HOST: '0.0.0.0', LOG_LEVEL: 'warn' });
      assert.equal(config.server.port, 9999);
      assert.equal(config.server.host, '0.0.0.0');
      assert.equal(config.log.level, 'warn');
      assert.equal(config.store.type, 'sqlite');
      assert.equal(config.store.path, join(dir, 'db.sqlite'));
      assert.throws(() => loadConfig(path, { PORT: 'eighty' }), /PORT/);
      // Digits only: blanks are no port 0 (a random port), nor are hex, exponent or decimal forms ports.
      for (const typed of [' ', '0x50', '1e3', '80.0', '+80', '-1', '65536'])
        assert.throws(() => loadConfig(path, { PORT: typed }), { message: `PORT: must be an integer from 0 to 65535, got "${typed}"` }, typed);
      assert.throws(() => loadConfig(path, { LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
      writeFileSync(path, '{ not json');
      assert.throws(() => loadConfig(path, {}), /not valid JSON/);
      assert.throws(() => loadConfig(join(dir, 'missing.json'), {}), /Cannot read/);
      writeFileSync(path, JSON.stringify({ ...minimal(), networks: [{ type: 'telex' }] }));
      assert.throws(
        () => loadConfig(path, {}),
        (error: unknown) => error instanceof ConfigError && error.message.includes(path) && /networks\[0\]\.type/.test(error.message),
      );
      writeFileSync(path, JSON.stringify({ ...minimal(), server: { prot: 80 } }));
      assert.throws(() => loadConfig(path, {}), /server: Unrecognized key: "prot"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps files in a folder by default, in the Postgres store's database when asked, and names what does not fit", () => {
    assert.equal(parseConfig(minimal(), 'test.json', '/base').files.storage, 'folder');
    const postgres = { ...minimal(), store: { type: 'postgres', url: 'postgres://bridge:pw@db.internal:5432/switchboard' } };
    const inDatabase = parseConfig({ ...postgres, files: { storage: 'database' } }, 'test.json', '/base');
    assert.equal(inDatabase.files.storage, 'database');
    assert.equal(inDatabase.files.folder, undefined, 'no folder is made');
    rejects(
      { ...minimal(), files: { storage: 'database' } },
      /files\.storage: "database" keeps files in the Postgres store's database; set store\.type to "postgres"/,
    );
    rejects({ ...postgres, files: { storage: 'database', folder: 'files' } }, /files\.folder: not used with files\.storage "database"/);
    rejects({ ...postgres, files: { storage: 'disk' } }, /files\.storage/);
    const cluster = { ...postgres, cluster: { redis: { url: 'redis://redis.internal:6379' } } };
    assert.equal(parseConfig(cluster, 'test.json', '/base').files.storage, 'database', 'several nodes keep files where each reads them');
    rejects({ ...cluster, files: { storage: 'folder' } }, /files\.storage: "folder" keeps files on one node's disk/);
  });

  it('takes a Postgres store from the file or from SWITCHBOARD_DATABASE_URL, which wins', () => {
    const postgres = (store: Record<string, unknown>) => ({ ...minimal(), store: { type: 'postgres', ...store } });
    const parsed = parseConfig(postgres({ url: 'postgres://bridge:pw@db.internal:5432/switchboard' }), 'test.json', '/base');
    assert.deepEqual(parsed.store, {
      type: 'postgres',
      url: 'postgres://bridge:pw@db.internal:5432/switchboard',
      poolSize: 10,
      queryTimeoutSeconds: 5,
      connectTimeoutSeconds: 5,
    });
    rejects(postgres({ url: 'mysql://x' }), /store\.url: must be a URL such as postgres:/);
    rejects(postgres({ url: 'postgres://x/y', poolSize: 0 }), /store\.poolSize/);
    rejects(postgres({ url: 'postgres://x/y', path: 'db.sqlite' }), /store: Unrecognized key: "path"/);
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    try {
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(postgres({ poolSize: 4 })));
      const fromEnv = loadConfig(path, { SWITCHBOARD_DATABASE_URL: 'postgresql://bridge:secret@127.0.0.1/sb' });
      assert.deepEqual(fromEnv.store, {
        type: 'postgres',
        url: 'postgresql://bridge:secret@127.0.0.1/sb',
        poolSize: 4,
        queryTimeoutSeconds: 5,
        connectTimeoutSeconds: 5,
      });
      assert.throws(
        () => loadConfig(path, {}),
        (error: unknown) => error instanceof ConfigError && /store\.url: set it, or the environment variable SWITCHBOARD_DATABASE_URL/.test(error.message),
      );
      assert.throws(() => loadConfig(path, { SWITCHBOARD_DATABASE_URL: 'db.internal' }), /SWITCHBOARD_DATABASE_URL: must be a URL/);
      writeFileSync(path, JSON.stringify(postgres({ url: 'postgres://from-file/sb' })));
      assert.equal((loadConfig(path, { SWITCHBOARD_DATABASE_URL: 'postgres://from-env/sb' }).store as { url: string }).url, 'postgres://from-env/sb');
      assert.equal((loadConfig(path, {}).store as { url: string }).url, 'postgres://from-file/sb');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes cluster settings with a Postgres store only: lease timings (defaults 6 s and 2 s, renewed at least twice per ttl), the Redis URL from the file or from SWITCHBOARD_REDIS_URL, which wins', () => {
    const clustered = (cluster: Record<string, unknown>, store: Record<string, unknown> = { type: 'postgres', url: 'postgres://x/y' }) => ({
      ...minimal(),
      store,
      cluster,
    });
    const defaults = parseConfig(clustered({}), 'test.json', '/base').cluster!;
    assert.deepEqual(defaults.lease, { ttlSeconds: 6, renewSeconds: 2 });
    assert.match(defaults.nodeId!, /^[A-Za-z0-9_.:-]+-\d+-[0-9a-f]{8}$/, 'a node id of its own');
    assert.deepEqual(parseConfig(clustered({ nodeId: 'node-1', lease: { ttlSeconds: 10 } }), 'test.json', '/base').cluster, {
      redis: {},
      nodeId: 'node-1',
      lease: { ttlSeconds: 10, renewSeconds: 2 },
    });
    const parsed = parseConfig(clustered({ redis: { url: 'redis://redis.internal:6379' }, nodeId: 'bridge-1' }), 'test.json', '/base');
    assert.deepEqual(parsed.cluster, { redis: { url: 'redis://redis.internal:6379' }, nodeId: 'bridge-1', lease: { ttlSeconds: 6, renewSeconds: 2 } });
    assert.equal(parseConfig(minimal(), 'test.json', '/base').cluster, undefined, 'a single node when left out');
    // The one problem the writer has: not the files' default that comes with cluster.
    assert.throws(
      () => parseConfig(clustered({ redis: { url: 'redis://r' } }, { type: 'sqlite', path: 'x.db' }), 'test.json', '/base'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'Invalid configuration in test.json:\n  cluster: needs store.type "postgres" (nodes share one database)',
    );
    rejects(clustered({ lease: { ttlSeconds: 3, renewSeconds: 2 } }), /cluster\.lease\.renewSeconds: renewSeconds must be at most half of ttlSeconds/);
    rejects(clustered({ nodeId: 'a node' }), /cluster\.nodeId: must be 1-100 letters/);
    rejects(clustered({ redis: { url: 'http://r' } }), /cluster\.redis\.url: must be a URL such as redis:/);
    rejects(clustered({ redis: { url: 'redis://r' }, leases: 1 }), /cluster: Unrecognized key: "leases"/);
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    try {
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(clustered({})));
      assert.equal(loadConfig(path, { SWITCHBOARD_REDIS_URL: 'rediss://:pw@redis.internal:6380/1' }).cluster?.redis.url, 'rediss://:pw@redis.internal:6380/1');
      assert.throws(
        () => loadConfig(path, {}),
        (error: unknown) =>
          error instanceof ConfigError && /cluster\.redis\.url: set it, or the environment variable SWITCHBOARD_REDIS_URL/.test(error.message),
      );
      assert.throws(() => loadConfig(path, { SWITCHBOARD_REDIS_URL: 'redis.internal' }), /SWITCHBOARD_REDIS_URL: must be a URL/);
      writeFileSync(path, JSON.stringify(clustered({ redis: { url: 'redis://from-file' } })));
      assert.equal(loadConfig(path, { SWITCHBOARD_REDIS_URL: 'redis://from-env' }).cluster?.redis.url, 'redis://from-env');
      assert.equal(loadConfig(path, {}).cluster?.redis.url, 'redis://from-file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
