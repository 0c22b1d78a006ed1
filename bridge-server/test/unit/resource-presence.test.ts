import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/component';
import { ResourcePresence } from '../../src/networks/xmpp/resource-presence.js';

const BOB = 'xmpp:bob@example.org';
const presence = (resource: string, children: { show?: string; priority?: string; type?: string } = {}) =>
  xml(
    'presence',
    { from: `bob@example.org/${resource}`, ...(children.type ? { type: children.type } : {}) },
    children.show ? xml('show', {}, children.show) : null,
    children.priority !== undefined ? xml('priority', {}, children.priority) : null,
  );

describe("an XMPP user's presence across their resources", () => {
  it('is the most available of their resources, and offline once the last one leaves', () => {
    const resources = new ResourcePresence();
    assert.equal(resources.update(BOB, presence('desk', { show: 'away' })).status, 'away');
    assert.equal(resources.update(BOB, presence('phone')).status, 'available');
    assert.equal(resources.update(BOB, presence('phone', { type: 'unavailable' })).status, 'away');
    assert.equal(resources.update(BOB, presence('desk', { type: 'unavailable' })).status, 'offline');
    assert.equal(resources.has(BOB), false);
  });

  it('counts a resource of negative priority as none: messages to the bare JID never reach it (RFC 6121 section 4.7.2.3)', () => {
    const resources = new ResourcePresence();
    assert.equal(resources.update(BOB, presence('watcher', { priority: '-1' })).status, 'offline');
    assert.equal(resources.has(BOB), false);
    assert.equal(resources.update(BOB, presence('desk', { show: 'dnd', priority: '0' })).status, 'busy');
    assert.equal(resources.update(BOB, presence('phone', { priority: '5' })).status, 'available');
    // The phone lowers its priority below zero: only the desk is reached now.
    assert.equal(resources.update(BOB, presence('phone', { priority: '-5' })).status, 'busy');
    // A priority that is no number is the default, 0.
    assert.equal(resources.update(BOB, presence('phone', { priority: 'high' })).status, 'available');
  });
});
