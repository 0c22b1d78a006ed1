// What a console form shows of its action (sign-in, invitation, outreach, merge): busy while it
// runs, the failure's message after, nothing of an action the form moved on from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { PendingAction } from '../../src/pending-action.js';

/** A form that counts the renders it was asked for. */
function form() {
  const host = {
    controllers: [] as ReactiveController[],
    updates: 0,
    addController(controller: ReactiveController) {
      host.controllers.push(controller);
    },
    removeController() {},
    requestUpdate() {
      host.updates++;
    },
    updateComplete: Promise.resolve(true),
  };
  return { host, pending: new PendingAction(host satisfies ReactiveControllerHost) };
}

/** An action the test ends. */
function later() {
  let succeed!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    succeed = resolve;
    fail = reject;
  });
  return { action: () => done, succeed, fail };
}

const failed = (message: string) => `Failed: ${message}`;

describe('a pending action of a console form', () => {
  it('is busy while it runs, then shows its failure until the next run; says whether it succeeded', async () => {
    const { host, pending } = form();
    assert.deepEqual(host.controllers, [pending]);
    const first = later();
    const running = pending.run(first.action, failed);
    assert.deepEqual([pending.busy, pending.error], [true, '']);
    const asked = host.updates;
    first.fail(new Error('the network is down'));
    assert.equal(await running, false);
    assert.deepEqual([pending.busy, pending.error], [false, 'Failed: the network is down']);
    assert.ok(host.updates > asked, 'rendered again');
    const second = later();
    const again = pending.run(second.action, failed);
    assert.equal(pending.error, '', 'cleared as the next run starts');
    second.succeed();
    assert.equal(await again, true);
    assert.deepEqual([pending.busy, pending.error], [false, '']);
  });

  it('leaves nothing behind from an action the form moved on from (reset)', async () => {
    const { pending } = form();
    const old = later();
    const running = pending.run(old.action, failed);
    pending.reset(); // another conversation or customer shown
    assert.equal(pending.busy, false, 'the form is usable at once');
    const current = later();
    const now = pending.run(current.action, failed);
    old.fail(new Error('refused'));
    assert.equal(await running, false);
    assert.deepEqual([pending.busy, pending.error], [true, ''], 'the old failure is not shown, and the current run is still busy');
    current.succeed();
    assert.equal(await now, true);
    const overtaken = later();
    const lost = pending.run(overtaken.action, failed);
    pending.reset();
    overtaken.succeed();
    assert.equal(await lost, false, 'a success the form moved on from is not reported');
  });
});
