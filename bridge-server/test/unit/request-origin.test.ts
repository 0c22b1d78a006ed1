// How a request's scheme is read (src/gateway/request-origin.ts): X-Forwarded-Proto only from a trusted proxy.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { type RequestLike, compileTrust, requestScheme } from '../../src/gateway/request-origin.js';
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

  it('names the console cookies with __Host- over https only', () => {
    assert.deepEqual(cookieNames(true), { session: '__Host-sb_agent', csrf: '__Host-sb_csrf' });
    assert.deepEqual(cookieNames(false), { session: 'sb_agent', csrf: 'sb_csrf' });
  });
});
