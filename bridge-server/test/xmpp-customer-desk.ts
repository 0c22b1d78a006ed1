/**
 * Steps the tests of the XMPP customers' doors share: the start of the kill -9 tests (the real CLI
 * with team `support`, web agent alice, and an XMPP network entry; a customer who writes first and
 * is answered), and the team opening on Monday for a customer who wrote while it was closed.
 */
import type { TestContext } from 'node:test';
import type { Address, Conversation, Message } from '@switchboard/protocol';
import { type runCli, runCliOnline, writeCliConfig } from './cli-process.js';
import { SITE, type V1Socket, agentAuth, call, connectTo, next, until } from './helpers.js';
import type { ManualClock } from './manual-clock.js';
import type { ProsodyServer } from './servers/prosody.js';
import { type Agent, askingReceipt, connectAgent, isChatFrom, xml } from './xmpp-agent.js';

export interface CustomerBeforeCrash {
  config: string;
  first: Awaited<ReturnType<typeof runCli>>;
  alice: V1Socket;
  customer: Agent;
  conversation: Conversation;
}

/** Runs the CLI and resolves once its XMPP network is online (/readyz): the HTTP side listens first. */
export const runXmppCli = (config: string): ReturnType<typeof runCli> => runCliOnline(config, 'xmpp');

/**
 * Runs the CLI, has `user` write "Before the crash" to `door` (its receipt awaited) and alice answer
 * "Answer before the crash" (its arrival awaited).
 */
export async function customerBeforeCrash(
  t: TestContext,
  prosody: ProsodyServer,
  network: Record<string, unknown>,
  { user, door }: { user: string; door: string },
): Promise<CustomerBeforeCrash> {
  const address: Address = `xmpp:${user}@localhost`;
  const config = writeCliConfig(t, {
    teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 }],
    networks: [{ type: 'web', presenceGraceMs: 50 }, network],
  });
  const customer = await connectAgent(prosody.c2sPort, user, `${user}pw`);
  t.after(() => customer.stop());
  const first = await runXmppCli(config);
  t.after(() => first.child.kill('SIGKILL'));
  const { socket: alice } = await connectTo(t, first.url, agentAuth('alice'));
  const offered = next(alice, 'conversation', (c) => c.participants.includes(address) && c.assignee === 'web:a_alice', 15_000);
  await customer.send(askingReceipt(door, 'Before the crash', `${user}-1`));
  const conversation = await offered;
  await customer.next((s) => s.attrs.from?.split('/')[0] === door && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === `${user}-1`);
  await call(alice, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Answer before the crash' });
  await customer.next((s) => isChatFrom(door)(s) && s.getChildText('body') === 'Answer before the crash');
  return { config, first, alice, customer, conversation };
}

/** Monday 09:00 in Paris: the team of the tests' hours opens; resolves with the customer's conversation, given to alice, and its texts. */
export async function whenTeamOpens(alice: V1Socket, clock: ManualClock, customer: Address): Promise<{ conversation: Conversation; texts: string[] }> {
  const assigned = next(alice, 'conversation', (c) => c.participants.includes(customer) && c.assignee === 'web:a_alice');
  clock.set(new Date('2026-11-30T09:00:00+01:00')); // the opening timer runs
  const conversation = await assigned;
  const history = await call(alice, 'history:get', { conversationId: conversation.id });
  return { conversation, texts: history.messages.map((m: Message) => m.text) };
}

/**
 * Waits until the server answers for a component or client session that is gone (a disco#info to
 * its domain or full JID comes back as an error): after a kill -9 the server learns of it only when
 * it reads the closed socket, and what it routes there before then is written to a dead connection.
 */
export async function untilGone(customer: Agent, jid: string): Promise<void> {
  let probe = 0;
  await until(
    async () => {
      const id = `gone-${++probe}`;
      await customer.send(xml('iq', { type: 'get', to: jid, id }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const answer = await customer.next((s) => s.attrs.id === id, 2000).catch(() => undefined);
      return answer?.attrs.type === 'error';
    },
    15_000,
    `the server to see ${jid} gone`,
  );
}
