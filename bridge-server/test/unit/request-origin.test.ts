// How a request's scheme and origin are read (src/gateway/request-origin.ts): X-Forwarded-Proto and
// X-Forwarded-Host only from a trusted proxy; the same-origin check compares scheme, host and port.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { type RequestLike, compileTrust, requestOrigin, requestScheme, sameOrigin, untrustedProxyHint } from '../../src/gateway/request-origin.js';
import { cookieNames } from '../../src/console/cookies.js';

function request(headers: IncomingHttpHeaders, remoteAddress = '127.0.0.1', encrypted = false): RequestLike {
  return { headers, socket: { remoteAddress, encrypted } } as unknown as RequestLike;
}

describe('request scheme', () => {
  it('believes X-Forwarded-Proto from a trusted proxy only', () => {
    const loopback = compileTrust('loopback');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'https' }), loopback), 'https');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'https, http' }), loopback), 'https', 'the first value');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'https' }, '203.0.113.9'), loopback), 'http', 'not a trusted proxy');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'https' }), compileTrust(undefined)), 'http', 'no trustProxy: nobody');
    assert.equal(requestScheme(request({}), compileTrust(true)), 'http');
    assert.equal(requestScheme(request({}, '203.0.113.9', true), compileTrust(undefined)), 'https', 'TLS to the bridge itself');
    assert.equal(requestScheme(request({ 'x-forwarded-proto': 'https' }, '203.0.113.9'), compileTrust(1)), 'https', 'a hop count');
  });

  it("reads the request's origin, the forwarded host only from a trusted proxy", () => {
    const loopback = compileTrust('loopback');
    assert.equal(requestOrigin(request({ host: 'Bridge.test:8080' }), loopback), 'http://bridge.test:8080');
    assert.equal(requestOrigin(request({ host: 'bridge.test:443', 'x-forwarded-proto': 'https' }), loopback), 'https://bridge.test', 'no default port');
    assert.equal(
      requestOrigin(request({ host: '10.0.0.5:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example' }), loopback),
      'https://chat.example',
    );
    assert.equal(requestOrigin(request({ host: '10.0.0.5:8080', 'x-forwarded-host': 'chat.example' }, '203.0.113.9'), loopback), 'http://10.0.0.5:8080');
    assert.equal(requestOrigin(request({}), loopback), undefined);
  });

  it('says when a refused origin is likely a TLS proxy not trusted: same host, other scheme', () => {
    const none = compileTrust(undefined);
    const hint = (origin: string) => untrustedProxyHint(request({ host: 'chat.example', origin, 'x-forwarded-proto': 'https' }, '10.0.0.2'), none);
    assert.match(hint('https://chat.example'), /the page is https but the request came as http: behind a proxy that ends TLS, set server.trustProxy$/);
    assert.equal(hint('https://evil.example'), '', 'another host: no hint');
    assert.equal(hint('http://chat.example'), '', 'the same origin: nothing to explain');
    assert.equal(hint('not a url'), '');
    assert.equal(
      untrustedProxyHint(request({ host: 'chat.example', origin: 'https://chat.example', 'x-forwarded-proto': 'https' }, '10.0.0.2'), compileTrust(true)),
      '',
      'trusted: no mismatch',
    );
  });

  it('is same-origin only for the same scheme, host and port', () => {
    const none = compileTrust(undefined);
    const at = (origin: string | undefined, extra: IncomingHttpHeaders = {}) =>
      sameOrigin(request({ host: 'bridge.test:8080', ...(origin !== undefined ? { origin } : {}), ...extra }), none);
    assert.equal(at('http://bridge.test:8080'), true);
    assert.equal(at('http://BRIDGE.test:8080'), true);
    assert.equal(at('http://bridge.test:8081'), false, 'another port');
    assert.equal(at('https://bridge.test:8080'), false, 'another scheme');
    assert.equal(at('http://evil.test:8080'), false);
    assert.equal(at('null'), false);
    assert.equal(at('not a url'), false);
    assert.equal(at(undefined), true, 'no Origin: a same-origin GET');
    assert.equal(at(undefined, { 'sec-fetch-site': 'same-origin' }), true);
    assert.equal(at(undefined, { 'sec-fetch-site': 'cross-site' }), false);
    const proxied = sameOrigin(
      request({ host: '10.0.0.5:8080', origin: 'https://chat.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example' }),
      compileTrust(true),
    );
    assert.equal(proxied, true);
  });

  it('names the console cookies with __Host- over https only', () => {
    assert.deepEqual(cookieNames(true), { session: '__Host-sb_agent', csrf: '__Host-sb_csrf' });
    assert.deepEqual(cookieNames(false), { session: 'sb_agent', csrf: 'sb_csrf' });
  });
});
