// The XMPP component network started again after a stop, against a real Prosody: what a cluster
// node does when it gets the network's lease back (docs/deploying.md, "Several nodes"). The
// component connects again and carries messages both ways as it did the first time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import type { NetworkConversation } from '../../src/networks/network.js';
import { createComponentNetwork } from '../../src/networks/xmpp/component-mode.js';
import { xmppComponentConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';
import { until } from '../helpers.js';
import { aloneContext, recordingSink } from '../recording-sink.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, bare, connectAgent, xml } from '../xmpp-agent.js';

const VISITOR = 'web:v_1' as Address;
const ALICE = 'xmpp:alice@localhost' as Address;

describe('the XMPP component network started again after a stop, against a real Prosody', () => {
  let prosody: ProsodyServer;
  let alice: Agent;
  let network: ReturnType<typeof createComponentNetwork>;
  const { sink, stored, reported, onlineAfter } = recordingSink([ALICE]);

  before(async () => {
    prosody = await startProsody({ users: [['alice', 'alicepw']] });
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    network = createComponentNetwork(aloneContext(xmppComponentConfigSchema.parse(prosodyNetwork(prosody, { connectTimeoutSeconds: 5 })), sink));
  });
  after(async () => {
    await network?.stop();
    await alice?.stop();
    await prosody?.destroy();
  });

  const visitorJid = () => `v_1@${prosody.componentDomain}`;
  /** Alice's chat message to the visitor's JID: Prosody routes it to the component. */
  const write = (text: string) => alice.send(xml('message', { type: 'chat', to: visitorJid() }, xml('body', {}, text)));
  /** The visitor's message to Alice, as the outbox hands it to the network. */
  const reply = (id: string, text: string) =>
    network.send({
      message: { id, conversationId: 'c1', seq: 1, from: VISITOR, text, sentAt: new Date().toISOString(), status: 'accepted' } as unknown as Message,
      to: ALICE,
      conversation: { id: 'c1', state: 'open', participants: [VISITOR, ALICE] } as unknown as NetworkConversation,
    });
  const received = (text: string) => alice.next((s) => s.is('message') && bare(s.attrs.from) === visitorJid() && s.getChildText('body') === text);

  it('connects again when started after a stop, and carries messages both ways as before', async () => {
    await network.start();
    await until(() => onlineAfter(0), 10_000, 'the component online');
    await write('before the stop');
    await until(() => stored.length === 1, 10_000, 'the first message stored');
    await reply('m_a', 'answer before the stop');
    await received('answer before the stop');

    await network.stop();
    assert.equal(network.status().state, 'offline');
    const stoppedAt = reported.length;
    // Nobody takes messages for the domain while the component is gone: Prosody bounces them.
    await write('while stopped');
    await alice.next((s) => s.is('message') && s.attrs.type === 'error' && bare(s.attrs.from) === visitorJid());

    await network.start();
    await until(() => onlineAfter(stoppedAt), 10_000, 'the component online again');
    await write('after the start');
    await until(() => stored.length === 2, 10_000, 'the second message stored');
    await reply('m_b', 'answer after the start');
    await received('answer after the start');
    assert.deepEqual(
      stored.map((message) => [message.from, message.to, message.text]),
      [
        [ALICE, VISITOR, 'before the stop'],
        [ALICE, VISITOR, 'after the start'],
      ],
    );
  });
});
