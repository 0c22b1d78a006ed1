// The bot's own nick won back after registering under another one (RFC 2812 section 3.1.2), against
// a real ngircd: someone holds the configured nick when the bridge starts (as the ghost of the
// bridge's connection from before a network drop does), so the bot registers as `nick_`; it asks
// for its nick again the moment the holder renames or quits in the support channel, and every
// `nickRetrySeconds` when the holder is out of its sight. Then lines to the nick reach the bot.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBridge, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const CHANNEL = '#support';

/** An IRC client that has joined `channel` (the server confirmed it). */
async function joined(port: number, nick: string, channel: string): Promise<IrcAgent> {
  const user = await connectIrcAgent(port, nick);
  await new Promise<void>((resolve) => {
    user.client.on('join', (event: { nick: string; channel: string }) => {
      if (event.nick === nick && event.channel === channel) resolve();
    });
    user.client.raw(`JOIN ${channel}`);
  });
  return user;
}

describe("the IRC bot's nick, held by someone when it registers, against a real ngircd", () => {
  let ngircd: NgircdServer;
  /** An agent in the support channel, watching the bot's joins and nick changes there. */
  let alice: IrcAgent;
  const seen: string[] = [];
  let t: TestBridge | undefined;

  before(async () => {
    ngircd = await startNgircd();
    alice = await joined(ngircd.port, 'alice', CHANNEL);
    alice.client.on('join', (event: { nick: string }) => seen.push(`join ${event.nick}`));
    alice.client.on('nick', (event: { nick: string; new_nick: string }) => seen.push(`nick ${event.nick} ${event.new_nick}`));
  });
  after(async () => {
    await t?.stop();
    await alice?.quit();
    await ngircd?.destroy();
  });

  /** Starts a bridge whose bot is `nick`, and waits until it joined the support channel as `registeredAs`. */
  async function startWithBot(nick: string, registeredAs: string, nickRetrySeconds: number): Promise<void> {
    await t?.stop();
    t = await startBridge({
      teams: [{ id: 'support', members: ['irc:alice@test'], capacity: 10 }],
      networks: [ngircdNetwork(ngircd, { nick, channel: CHANNEL, nickRetrySeconds, connectTimeoutSeconds: 5 })],
    });
    await until(() => seen.includes(`join ${registeredAs}`), 10_000, `the bot to join as ${registeredAs}`);
  }

  /** The bot answers `/help` written to `nick`: the nick is the bot's. */
  async function botAnswersOn(nick: string): Promise<void> {
    const count = alice.messages.length;
    alice.say(nick, '/help');
    const answer = await alice.next((m) => alice.messages.indexOf(m) >= count && m.type === 'notice' && m.nick === nick);
    assert.match(answer.message, /\S/);
  }

  it('takes its nick the moment the holder changes nick in the channel they share', async () => {
    const holder = await joined(ngircd.port, 'desk', CHANNEL);
    await startWithBot('desk', 'desk_', 3600);
    holder.client.changeNick('notdesk');
    await until(() => seen.includes('nick desk_ desk'), 10_000, 'the bot to take desk');
    await botAnswersOn('desk');
    await holder.quit();
  });

  it('takes its nick the moment the holder quits in the channel they share (a ghost timing out)', async () => {
    const ghost = await joined(ngircd.port, 'kiosk', CHANNEL);
    await startWithBot('kiosk', 'kiosk_', 3600);
    await ghost.quit();
    await until(() => seen.includes('nick kiosk_ kiosk'), 10_000, 'the bot to take kiosk');
    await botAnswersOn('kiosk');
  });

  it('asks again after nickRetrySeconds for a nick whose holder it cannot see', async () => {
    const holder = await connectIrcAgent(ngircd.port, 'helper'); // in no channel the bot is in
    await startWithBot('helper', 'helper_', 0.3);
    await holder.quit();
    await until(() => seen.includes('nick helper_ helper'), 10_000, 'the bot to take helper');
    await botAnswersOn('helper');
  });
});
