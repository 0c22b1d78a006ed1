// What a network's user is told when the core refuses their message: the store's `unavailable`
// in their words (an IRC NOTICE, an XMPP error text, a SIP Warning), not the API's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BridgeError } from '../../src/core/errors.js';
import { forNetworkUsers } from '../../src/core/inbound.js';
import { asUnavailable } from '../../src/store/postgres/unreachable.js';

describe("a refusal as a network's user reads it", () => {
  it("says the store's silence without the API's clientId, and passes any other refusal as it is", () => {
    const timeout = asUnavailable(Object.assign(new Error('timeout exceeded when trying to connect'), { code: 'ETIMEDOUT' }));
    assert.match((timeout as Error).message, /clientId/, "the API's own wording, which a network's user must not read");
    assert.throws(() => forNetworkUsers(timeout), {
      code: 'unavailable',
      message: 'The bridge could not store the message just now: send it again in a moment.',
    });
    const limited = new BridgeError('rate_limited', 'Slow down: at most 20 messages a second.');
    assert.throws(
      () => forNetworkUsers(limited),
      (error) => error === limited,
    );
  });
});
