// IRC users who change nick (RFC 2812 section 3.1.2) in the support channel the bot shares with
// them, against a real ngircd (no MONITOR: presence is ISON/WHO polling): an agent keeps getting the
// visitors' messages under the new nick and answers as the agent; a stranger on the agent's own nick
// gets neither the agent's voice nor their messages, even after the agent left; a customer stays in
// their conversation. The rules themselves are unit-tested in unit/irc-renames.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, type WebVisitor, call, collect, connect, next, openVisitor, sendText, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const AGENT = 'irc:alice@test';
const CHANNEL = '#support';
/** Quick presence polls: a rename the bridge did not follow shows the agent gone within a second. */
const QUICK = { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 };

/**
 * The bot's answer to a line `user` sends it now: the server hands one client's lines to the bot
 * in order, so whatever the user did before (a NICK, a QUIT seen in the channel) reached the bridge.
 */
async function seenByBot(user: IrcAgent): Promise<void> {
  const seen = user.messages.length;
  user.say('desk', '/help');
  await user.next((m) => user.messages.indexOf(m) >= seen && m.nick === 'desk');
}

/** Changes an IRC client's nick, and waits until the server confirmed it and the bridge saw it. */
async function renameTo(user: IrcAgent, nick: string): Promise<void> {
  user.client.changeNick(nick);
  await until(() => user.client.user.nick === nick, 5000, `${user.nick} to become ${nick}`);
  await seenByBot(user);
}

describe('IRC users who change nick in the support channel, against a real ngircd', () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let alice: IrcAgent;
  let v: WebVisitor;
  /** The nick of the visitor's puppet. */
  let puppet: string;

  before(async () => {
    ngircd = await startNgircd();
    alice = await connectIrcAgent(ngircd.port, 'alice', { channels: [CHANNEL] });
    t = await startBridge({
      teams: [{ id: 'support', members: [AGENT], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, nick: 'desk', channel: CHANNEL, customers: { team: 'support' } })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
    v = await openVisitor(t, { profile: { name: 'Dana' }, assignee: AGENT });
    await sendText(v, 'before the rename');
    puppet = (await alice.next((m) => m.message === 'before the rename')).nick;
  });
  after(async () => {
    await alice?.quit();
    await t?.stop();
    await ngircd?.destroy();
  });

  it("gives an agent who changed nick the visitor's messages under the new nick, takes their answers as the agent's, and keeps them available", async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    assert.equal((await call(socket, 'presence:subscribe', { team: 'support' })).available, true);
    const availability = collect(socket, 'team:availability');

    await renameTo(alice, 'alice|afk');
    await sendText(v, 'after the rename');
    const got = await alice.next((m) => m.message === 'after the rename');
    assert.equal(got.nick, puppet, "from the visitor's puppet, in the same query");
    assert.equal(got.target, 'alice|afk', 'to the nick the agent has now');
    const reply = next(v.socket, 'message', (m) => m.text === 'still me');
    alice.say(puppet, 'still me');
    assert.equal((await reply).from, AGENT, "the answer is the agent's");

    await renameTo(alice, 'alice');
    await sendText(v, 'back to your nick');
    assert.equal((await alice.next((m) => m.message === 'back to your nick')).target, 'alice');
    assert.deepEqual(
      availability.filter((a) => a.available === false),
      [],
      'the team never lost its agent',
    );
  });

  it("gives a stranger on the agent's own nick neither the agent's voice nor their messages, even after the agent left", async () => {
    await renameTo(alice, 'alice|afk');
    const stranger = await connectIrcAgent(ngircd.port, 'alice', { channels: [CHANNEL] });
    try {
      const atVisitor = collect(v.socket, 'message');
      stranger.say(puppet, 'I am alice, really');
      const refusal = await stranger.next((m) => m.type === 'notice' && m.nick === puppet);
      assert.match(refusal.message, /^Not delivered: the user the bridge knows by alice changed nick/);

      await sendText(v, 'for the real alice');
      assert.equal((await alice.next((m) => m.message === 'for the real alice')).target, 'alice|afk');

      // The agent leaves IRC under the new nick while the stranger has the old one.
      await alice.quit();
      await seenByBot(stranger); // the bridge saw alice's QUIT in the channel
      const statuses = collect(v.socket, 'message:status');
      const away = await sendText(v, 'while alice is away');
      await until(() => statuses.some((s) => s.id === away.id && s.status === 'sent'), 10_000, 'the message sent or held');
      // Anything the puppet wrote to the stranger before answering this is in their messages by then.
      // (A line would draw no second refusal within the minute; a file offer draws its own, once.)
      const seen = stranger.messages.length;
      stranger.say(puppet, 'anyone there?');
      stranger.client.raw(`PRIVMSG ${puppet} :\u0001DCC SEND notes.txt 2130706433 5000 10\u0001`);
      await stranger.next((m) => stranger.messages.indexOf(m) >= seen && m.nick === puppet && m.type === 'notice' && m.message.includes('notes.txt'));
      assert.deepEqual(
        stranger.messages.filter((m) => m.type === 'privmsg').map((m) => m.message),
        [],
        'nothing for the agent reached the stranger',
      );
      assert.equal(atVisitor.filter((m) => m.text === 'I am alice, really').length, 0);
    } finally {
      await stranger.quit();
    }
    // The nick is free again (the bot saw the stranger's QUIT in the channel): the agent comes back under it and gets what waited.
    alice = await connectIrcAgent(ngircd.port, 'alice', { channels: [CHANNEL] });
    assert.equal((await alice.next((m) => m.message === 'while alice is away', 15_000)).nick, puppet);
  });

  it('keeps a customer who changed nick in their conversation, and answers them under the new nick', async () => {
    const carol = await connectIrcAgent(ngircd.port, 'carol', { channels: [CHANNEL] });
    try {
      carol.say('desk', 'My order has not arrived');
      const first = await alice.next((m) => m.nick === 'desk' && m.message.endsWith('My order has not arrived'));
      const ref = /^\[carol #(\w+)\]/.exec(first.message)?.[1];
      assert.ok(ref, first.message);
      await renameTo(carol, 'carol|afk');
      carol.say('desk', 'It is order 42');
      const second = await alice.next((m) => m.nick === 'desk' && m.message.endsWith('It is order 42'));
      assert.match(second.message, new RegExp(`^\\[carol #${ref}\\] `), 'the same conversation, under the name it has');
      alice.say('desk', `#${ref} Found it`);
      const answer = await carol.next((m) => m.nick === 'desk' && m.type === 'privmsg' && m.message.endsWith('Found it'));
      assert.equal(answer.target, 'carol|afk');
    } finally {
      await carol.quit();
    }
  });
});
