// A team's availability as its watchers hear it: a burst of agents connecting (as after a restart)
// is one `team:availability` per window with the final value, and nothing when the value they see
// ends up unchanged; what `presence:subscribe` answers is always the current value, and a watcher
// answered a value the others were not told yet hears the next telling, unchanged or not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { TeamAvailability } from '@switchboard/protocol';
import { configSchema } from '../../src/config.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import type { ClientHub, HubRoom } from '../../src/core/hub.js';
import { PresenceService } from '../../src/core/presence.js';

/** Long enough that no pause of a loaded machine between two ticks spans it. */
const WINDOW_MS = 400;
const AGENTS = Array.from({ length: 20 }, (_, i) => `xmpp:agent${i}@example.org` as const);

function setUp() {
  const told: { rooms: HubRoom[]; availability: TeamAvailability }[] = [];
  const hub = {
    emit: (rooms: HubRoom[], event: string, payload: TeamAvailability) => {
      if (event === 'team:availability') told.push({ rooms, availability: payload });
    },
  } as unknown as ClientHub;
  const teams = new TeamDirectory(configSchema.shape.teams.parse([{ id: 'support', members: AGENTS }]), ['shop']);
  const presence = new PresenceService(hub, teams, WINDOW_MS);
  const heard: TeamAvailability[] = [];
  presence.onTeamChange((availability) => heard.push(availability));
  return { presence, told, heard };
}

const afterWindow = () => new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 2));

describe('team availability to its watchers, coalesced', () => {
  it('tells a burst of agents connecting once, with the final value', async () => {
    const { presence, told } = setUp();
    for (const address of AGENTS) presence.update({ address, status: 'available' });
    assert.deepEqual(presence.teamAvailability('support', 'shop'), { team: 'support', available: true, online: 20 }, 'subscribers get the current value');
    await nextTick();
    await afterWindow();
    assert.deepEqual(
      told.map((t) => t.availability),
      [{ team: 'support', available: true, online: 20 }],
    );
    assert.deepEqual(told[0]!.rooms, [{ kind: 'team', team: 'support', siteKey: 'shop' }]);
    presence.stop();
  });

  it('tells a change at once when the team was quiet, and at most one more per window', async () => {
    const { presence, told } = setUp();
    presence.update({ address: AGENTS[0]!, status: 'available' });
    await nextTick();
    assert.deepEqual(
      told.map((t) => t.availability.online),
      [1],
      'the first change goes out on the next tick',
    );
    // Agents coming back one after another within the window: one update at its end.
    for (const address of AGENTS.slice(1, 10)) {
      presence.update({ address, status: 'available' });
      await nextTick();
    }
    assert.equal(told.length, 1);
    await afterWindow();
    assert.deepEqual(
      told.map((t) => t.availability.online),
      [1, 10],
    );
    presence.stop();
  });

  it('tells nothing when the value watchers see ends up unchanged', async () => {
    const { presence, told, heard } = setUp();
    presence.update({ address: AGENTS[0]!, status: 'available' });
    await nextTick();
    await afterWindow();
    told.length = 0;
    presence.update({ address: AGENTS[0]!, status: 'offline' });
    presence.update({ address: AGENTS[0]!, status: 'available' });
    await nextTick();
    await afterWindow();
    assert.deepEqual(told, []);
    assert.equal(heard.length, 3, 'the networks that publish team presence still hear of every change');
    presence.stop();
  });

  it('tells a watcher who subscribed while a change waited for the window when it changes back', async () => {
    const { presence, told } = setUp();
    presence.update({ address: AGENTS[0]!, status: 'available' });
    await nextTick();
    assert.deepEqual(
      told.map((t) => t.availability.available),
      [true],
    );
    // Within the window: the agent leaves, a visitor subscribes and is answered "away", the agent comes back.
    presence.update({ address: AGENTS[0]!, status: 'offline' });
    assert.deepEqual(presence.teamAvailabilityForWatcher('support', 'shop'), { team: 'support', available: false, online: 0 });
    presence.update({ address: AGENTS[0]!, status: 'available' });
    await nextTick();
    await afterWindow();
    assert.deepEqual(
      told.map((t) => t.availability),
      [
        { team: 'support', available: true, online: 1 },
        { team: 'support', available: true, online: 1 },
      ],
      'the value the other watchers had already goes out again, for the one told otherwise',
    );
    // Once told, an unchanged value is quiet again.
    presence.update({ address: AGENTS[0]!, status: 'offline' });
    presence.update({ address: AGENTS[0]!, status: 'available' });
    await nextTick();
    await afterWindow();
    assert.equal(told.length, 2);
    presence.stop();
  });
});
