// Messages that wait for an agent off IRC, against a real ngircd, when the conversation moves on
// meanwhile: the agent who comes back does not get lines of a conversation that is no longer
// theirs (they could not answer them), and the agent who has it now got them at the handover.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { type TestBridge, SITE, collect, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

describe('IRC: messages waiting for an agent off IRC whose conversation moved to another agent', () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let alice: IrcAgent;
  let bob: IrcAgent | undefined;

  before(async () => {
    ngircd = await startNgircd();
    alice = await connectIrcAgent(ngircd.port, 'alice');
    t = await startBridge({
      teams: [{ id: 'support', members: ['irc:alice@test', 'irc:bob@test'], sites: [SITE] }],
      networks: [{ type: 'web' }, ngircdNetwork(ngircd, { nick: 'desk', presencePollSeconds: 0.5, connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await Promise.all([alice?.quit(), bob?.quit()]);
    await t?.stop();
    await ngircd?.destroy();
  });

  it('does not give alice, back on IRC, the lines of a conversation bob took while she was away; bob has them', async () => {
    // Alice is the only agent on IRC: the conversation is hers.
    const dana = await openVisitor(t, { profile: { name: 'Dana' }, assignee: 'irc:alice@test' });
    const ref = dana.conversationId.slice(-5).toLowerCase();
    await sendText(dana, 'Hello, my parcel is late');
    await alice.next((m) => m.type === 'privmsg' && m.message === 'Hello, my parcel is late');

    await alice.quit();
    await until(() => t.bridge.core.presence.get('irc:alice@test').status === 'offline', 10_000, "the bridge to see alice's leaving");
    const statuses = collect(dana.socket, 'message:status');
    const waiting: Message[] = [await sendText(dana, 'waiting 1'), await sendText(dana, 'waiting 2')];
    await until(() => waiting.every((m) => statuses.some((s) => s.id === m.id && s.status === 'sent')), 10_000, 'the bridge to take them');

    bob = await connectIrcAgent(ngircd.port, 'bob');
    const moved = bob;
    moved.say('desk', `/transfer ${ref} bob`);
    await moved.next((m) => m.type === 'notice' && m.nick === 'desk' && /is now with/.test(m.message));
    // Bob gets what was said, the lines alice never read among it.
    await moved.collect((m) => m.type === 'privmsg' && (m.message === 'waiting 1' || m.message === 'waiting 2'), 2);

    // Bob leaves: alice, back, is the one agent on IRC, and the next visitor's conversation is hers.
    await moved.quit();
    alice = await connectIrcAgent(ngircd.port, 'alice');
    await until(() => t.bridge.core.presence.get('irc:alice@test').status === 'available', 10_000, "the bridge to see alice's return");
    await until(() => t.bridge.core.presence.get('irc:bob@test').status === 'offline', 10_000, "the bridge to see bob's leaving");
    const erin = await openVisitor(t, { profile: { name: 'Erin' }, assignee: 'irc:alice@test' });
    // What waited for alice would go before anything new for her: this line marks the end of it.
    await sendText(erin, 'a question of a conversation that is hers');
    await alice.next((m) => m.type === 'privmsg' && m.message === 'a question of a conversation that is hers');
    assert.deepEqual(
      alice.messages.filter((m) => m.message.startsWith('waiting')).map((m) => m.message),
      [],
      'no line of the conversation bob has',
    );
    assert.deepEqual(
      statuses.filter((s) => s.status === 'failed'),
      [],
      'nothing failed: bob has them',
    );
  });

  it('gives bob, off IRC when a conversation was transferred to him, its context line first once he is back, then what was said', async () => {
    await until(() => t.bridge.core.presence.get('irc:bob@test').status === 'offline', 10_000, 'the bridge to see bob off IRC');
    const fay = await openVisitor(t, { profile: { name: 'Fay' }, assignee: 'irc:alice@test' });
    const ref = fay.conversationId.slice(-5).toLowerCase();
    await sendText(fay, 'Can I change the address?');
    await alice.next((m) => m.type === 'privmsg' && m.message === 'Can I change the address?');
    alice.say('desk', `/transfer ${ref} bob`);
    await alice.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message.includes('who is offline: they see it when they are back'));

    bob = await connectIrcAgent(ngircd.port, 'bob');
    const back = bob;
    await back.next((m) => m.type === 'privmsg' && m.message.endsWith('Can I change the address?'), 10_000);
    const fromFay = back.messages.filter((m) => m.type === 'privmsg' && m.nick !== 'desk').map((m) => m.message);
    assert.match(fromFay[0] ?? '', new RegExp(`^#${ref} Fay \\(not verified\\), team support\\.`), 'the context line first');
    assert.match(fromFay[1] ?? '', /^(\[\d\d:\d\d\] )?Can I change the address\?$/, 'then what was said');
    await back.quit();
    bob = undefined;
  });

  it('gives bob back on IRC no context line for a conversation that moved on while he was away, only for the one still his', async () => {
    await until(() => t.bridge.core.presence.get('irc:bob@test').status === 'offline', 10_000, 'the bridge to see bob off IRC');
    const [hal, ivy] = [
      await openVisitor(t, { profile: { name: 'Hal' }, assignee: 'irc:alice@test' }),
      await openVisitor(t, { profile: { name: 'Ivy' }, assignee: 'irc:alice@test' }),
    ];
    const [halRef, ivyRef] = [hal, ivy].map((v) => v.conversationId.slice(-5).toLowerCase()) as [string, string];
    await sendText(hal, 'Hal here');
    await sendText(ivy, 'Ivy here');
    // Past maxPuppets the bot relays them (`[Hal #ref] ...`): either way, the words end the line.
    await alice.collect((m) => m.type === 'privmsg' && (m.message.endsWith('Hal here') || m.message.endsWith('Ivy here')), 2);
    const answered = (text: string) => alice.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message.startsWith(text));
    alice.say('desk', `/transfer ${halRef} bob`);
    await answered(`#${halRef} is now with irc:bob@test`);
    alice.say('desk', `/transfer ${ivyRef} bob`);
    await answered(`#${ivyRef} is now with irc:bob@test`);
    // Hal's conversation comes back to alice before bob returns.
    alice.say('desk', `/transfer ${halRef} alice`);
    await answered(`#${halRef} is now with irc:alice@test`);

    bob = await connectIrcAgent(ngircd.port, 'bob');
    const back = bob;
    // Ivy's context line, then what she said: written after any other context line that waited.
    await back.next((m) => m.type === 'privmsg' && m.message.endsWith('Ivy here'), 10_000);
    const lines = back.messages.filter((m) => m.type === 'privmsg').map((m) => m.message);
    assert.ok(
      lines.some((line) => line.includes(`#${ivyRef}`) && line.includes('Ivy (not verified), team support.')),
      lines.join(' | '),
    );
    assert.equal(lines.filter((line) => line.includes(halRef) || line.includes('Hal here')).length, 0, lines.join(' | '));
    await back.quit();
    bob = undefined;
  });
});
