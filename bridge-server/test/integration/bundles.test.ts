// The browser bundles as a browser receives them: precompressed as the request accepts, with Vary
// and an ETag; the loader briefly cached, the content-hashed chat chunk cached for good.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type TestBridge, startBridge } from '../helpers.js';

const widgetDist = fileURLToPath(new URL('../../../widget/dist/', import.meta.url));

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with exactly these headers (fetch would add and undo its own encodings). */
function raw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('browser bundles over HTTP', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it('sends the loader as brotli, gzip or plain, as the request accepts', async () => {
    const plain = readFileSync(`${widgetDist}widget.js`);
    const br = await raw(`${t.url}/widget.js`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers['content-type']), /text\/javascript/);
    assert.match(String(br.headers.vary), /Accept-Encoding/i);
    assert.equal(br.headers['access-control-allow-origin'], '*');
    assert.match(String(br.headers['cache-control']), /max-age=300/);
    assert.deepEqual(brotliDecompressSync(br.body), plain);
    assert.ok(br.body.length < plain.length);

    const gz = await raw(`${t.url}/widget.js`, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plain);

    const none = await raw(`${t.url}/widget.js`, { 'accept-encoding': 'identity' });
    assert.equal(none.headers['content-encoding'], undefined);
    assert.deepEqual(none.body, plain);

    const again = await raw(`${t.url}/widget.js`, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    assert.equal(again.status, 304, 'the ETag answers a conditional request');
  });

  it('serves the chat chunk the loader names, immutable, and nothing else under /widget/', async () => {
    const chunk = /chat-[\w-]+\.js/.exec(readFileSync(`${widgetDist}widget.js`, 'utf8'))![0];
    assert.ok(readdirSync(`${widgetDist}chunks`).includes(chunk), 'the loader names a chunk the build wrote');
    const response = await raw(`${t.url}/widget/${chunk}`, { 'accept-encoding': 'br' });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['cache-control']), /max-age=31536000.*immutable|immutable.*max-age=31536000/);
    assert.deepEqual(brotliDecompressSync(response.body), readFileSync(`${widgetDist}chunks/${chunk}`));
    for (const path of ['/widget/chat-nope.js', '/widget/..%2Fwidget.js', '/widget/index.js', `/widget/${chunk}.br`]) {
      assert.equal((await raw(`${t.url}${path}`)).status, 404, path);
    }
  });

  it('compresses what the bridge answers over 1 KB, never a bundle again', async () => {
    const metrics = await raw(`${t.url}/metrics`, { 'accept-encoding': 'gzip, br' });
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers['content-encoding'], 'br');
    assert.match(String(metrics.headers.vary), /Accept-Encoding/i);
    assert.match(brotliDecompressSync(metrics.body).toString(), /# TYPE /);

    const health = await raw(`${t.url}/healthz`, { 'accept-encoding': 'gzip, br' });
    assert.equal(health.headers['content-encoding'], undefined, 'too small to pay');
    assert.deepEqual(JSON.parse(health.body.toString()), { status: 'ok' });

    const deflate = await raw(`${t.url}/widget.js`, { 'accept-encoding': 'deflate' });
    assert.equal(deflate.headers['content-encoding'], undefined, 'a bundle is sent as built');
    assert.deepEqual(deflate.body, readFileSync(`${widgetDist}widget.js`));
  });

  it('sends the SDK bundles compressed too', async () => {
    const esm = await raw(`${t.url}/sdk.js`, { 'accept-encoding': 'gzip' });
    assert.equal(esm.headers['content-encoding'], 'gzip');
    assert.match(gunzipSync(esm.body).toString(), /export\s*\{/);
  });
});
