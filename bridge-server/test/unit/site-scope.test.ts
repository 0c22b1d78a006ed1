import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textForSite, toClientForm, withSite, withoutSite } from '../../src/networks/web/site-scope.js';

describe('site scope of web addresses', () => {
  it('adds the site to what a site vouches for, and takes it off again; anonymous visitors and other networks keep one form', () => {
    assert.equal(withSite('web:a_bob', 'shop'), 'web:a_bob@shop');
    assert.equal(withoutSite('web:a_bob@shop'), 'web:a_bob');
    // A user id may hold `@` itself: only the last segment is the site.
    assert.equal(withoutSite(withSite('web:u_ann@example.com', 'shop')), 'web:u_ann@example.com');
    assert.equal(withSite('web:v_0123456789ab', 'shop'), 'web:v_0123456789ab');
    assert.equal(withSite('xmpp:bob@example.com', 'shop'), 'xmpp:bob@example.com');
  });

  it('writes every address under an address key, at any depth, in the form clients see', () => {
    const payload = {
      conversation: { id: 'c1', participants: ['web:v_0123456789ab', 'web:a_bob@shop'], assignee: 'web:a_bob@shop' },
      message: { from: 'web:a_bob@shop', text: 'web:a_bob@shop is not an address here' },
      list: [{ by: 'web:i_crm@shop' }, { by: 'xmpp:ann@example.com' }],
    };
    const before = structuredClone(payload);
    const client = toClientForm(payload);
    assert.deepEqual(client, {
      conversation: { id: 'c1', participants: ['web:v_0123456789ab', 'web:a_bob'], assignee: 'web:a_bob' },
      message: { from: 'web:a_bob', text: 'web:a_bob@shop is not an address here' },
      list: [{ by: 'web:i_crm' }, { by: 'xmpp:ann@example.com' }],
    });
    // The payload itself is left as it was (it may be sent to other sites' clients, or stored).
    assert.deepEqual(payload, before);
    // What did not change is shared, not copied.
    assert.equal(client.list[1], payload.list[1]);
  });

  it('returns the very same object when nothing changes, and reads only its own keys', () => {
    const payload = { message: { from: 'web:v_0123456789ab', participants: ['xmpp:ann@example.com'] }, seq: 3, none: null };
    assert.equal(toClientForm(payload), payload);
    const inherited = Object.create({ from: 'web:a_bob@shop' }) as Record<string, unknown>;
    inherited.to = 'web:a_ann@shop';
    const client = toClientForm(inherited);
    assert.deepEqual({ ...client }, { to: 'web:a_ann' });
  });

  it('writes the addresses of a command answer for the agent of a site, keeping the sentence around them', () => {
    assert.equal(
      textForSite('Assigned to web:a_bob@shop. Ask web:a_ann@other, then xmpp:x@y.', 'shop'),
      'Assigned to web:a_bob. Ask web:a_ann@other, then xmpp:x@y.',
    );
  });
});
