// The IRC network started again after a stop, against a real ngircd: what a cluster node does when
// it gets the network's lease back (docs/deploying.md, "Several nodes"). The bot registers again,
// a visitor's puppet comes back with the visitor's next message, and the agent's answer to the
// puppet is taken as it was the first time. (irc-restart.test.ts restarts the whole bridge.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import { createIrcNetwork, ircNetworkConfigSchema } from '../../src/networks/irc/irc-network.js';
import type { Network, NetworkConversation } from '../../src/networks/network.js';
import { until } from '../helpers.js';
import { aloneContext, recordingSink } from '../recording-sink.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const VISITOR = 'web:v_1' as Address;
const ALICE = 'irc:alice@test' as Address;

describe('the IRC network started again after a stop, against a real ngircd', () => {
  let ngircd: NgircdServer;
  let alice: IrcAgent;
  let network: Network;
  const { sink, stored, reported, onlineAfter } = recordingSink([ALICE]);

  before(async () => {
    ngircd = await startNgircd();
    alice = await connectIrcAgent(ngircd.port, 'alice');
    network = createIrcNetwork(aloneContext(ircNetworkConfigSchema.parse(ngircdNetwork(ngircd, { connectTimeoutSeconds: 5 })), sink));
  });
  after(async () => {
    await network?.stop();
    await alice?.quit();
    await ngircd?.destroy();
  });

  /** The visitor's message to Alice, as the outbox hands it to the network: its puppet says it. */
  const say = (id: string, text: string) =>
    network.send({
      message: { id, conversationId: 'c1', seq: 1, from: VISITOR, text, sentAt: new Date().toISOString(), status: 'accepted' } as unknown as Message,
      to: ALICE,
      conversation: { id: 'c1', state: 'open', participants: [VISITOR, ALICE] } as unknown as NetworkConversation,
      fromName: 'Dana',
    });
  /** The nick of the puppet that said `text` to Alice. */
  const heard = async (text: string) => (await alice.next((m) => m.type === 'privmsg' && m.target === 'alice' && m.message === text)).nick;
  /** Whether a user with this nick is on the server (WHOIS has their host). */
  const online = async (nick: string) => (await new Promise<{ hostname?: string }>((resolve) => alice.client.whois(nick, resolve))).hostname !== undefined;

  it('registers again when started after a stop, and carries messages both ways as before', async () => {
    await network.start();
    await until(() => onlineAfter(0), 10_000, 'the bot registered');
    await say('m_a', 'Hello before the stop');
    const puppet = await heard('Hello before the stop');
    alice.say(puppet, 'answer before the stop');
    await until(() => stored.length === 1, 10_000, "alice's first answer stored");

    await network.stop();
    assert.equal(network.status().state, 'offline');
    const stoppedAt = reported.length;
    // The bot and the puppet left the server with the stop.
    await until(async () => !(await online(puppet)) && !(await online('switchboard')), 10_000, 'the bot and the puppet gone');

    await network.start();
    await until(() => onlineAfter(stoppedAt), 10_000, 'the bot registered again');
    await say('m_b', 'Hello after the start');
    // Under the same nick: alice answers in the query window she has.
    assert.equal(await heard('Hello after the start'), puppet);
    alice.say(puppet, 'answer after the start');
    await until(() => stored.length === 2, 10_000, "alice's second answer stored");
    assert.deepEqual(
      stored.map((message) => [message.from, message.to, message.text]),
      [
        [ALICE, VISITOR, 'answer before the stop'],
        [ALICE, VISITOR, 'answer after the start'],
      ],
    );
  });
});
