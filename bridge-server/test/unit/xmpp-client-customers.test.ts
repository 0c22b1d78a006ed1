// Customers of the bot's JID in client mode (docs/customers.md, "XMPP, client mode"): who counts as
// one, what reaches the core, what goes back, and the configuration's check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { ConfigError } from '../../src/config-error.js';
import type { InboundMessage, InboundSink, InboundTyping } from '../../src/networks/network.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { ClientCustomers } from '../../src/networks/xmpp/client-customers.js';
import { xmppNetworkConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';

const BOT = 'switchboard@example.org';
const TEAMS = [{ id: 'support', name: 'Support', sites: ['shop', 'blog'] }];

function customers(config: { team: string; site?: string } = { team: 'support', site: 'shop' }) {
  const messages: InboundMessage[] = [];
  const typing: InboundTyping[] = [];
  const sent: Element[] = [];
  const sink = {
    isAgent: (address: Address) => address === 'xmpp:erin@example.org',
    message: (input: InboundMessage) => {
      messages.push(input);
      return Promise.resolve({ id: `m${messages.length}` });
    },
    typing: (input: InboundTyping) => typing.push(input),
  } as unknown as InboundSink;
  const door = new ClientCustomers({ config, teams: TEAMS, sink, hosted, botJid: BOT, send: (stanza) => sent.push(stanza), stored: () => undefined });
  return { door, messages, typing, sent };
}

const chat = (from: string, attrs: Record<string, string> = {}, ...children: Element[]) => xml('message', { from, to: BOT, ...attrs }, ...children);

describe("the bot's customers (XMPP client mode)", () => {
  it('takes chat and normal messages from users who are no agents, nothing else', () => {
    const { door } = customers();
    assert.equal(door.takes(chat('carol@example.com/phone', { type: 'chat' })), true);
    assert.equal(door.takes(chat('carol@example.com/phone')), true, 'type normal by default');
    assert.equal(door.takes(chat('erin@example.org/desk', { type: 'chat' })), false, 'an agent');
    assert.equal(door.takes(chat('example.com', { type: 'chat' })), false, "a server's own JID");
    assert.equal(door.takes(chat(`${BOT}/other`, { type: 'chat' })), false, "the bot's own");
    assert.equal(door.takes(chat('carol@example.com/phone', { type: 'headline' })), false);
    assert.equal(door.takes(chat('carol@example.com/phone', { type: 'groupchat' })), false);
  });

  it('hands the core a message to the team with its origin-id, and answers /help without storing it', async () => {
    const { door, messages, typing, sent } = customers();
    const origin = xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o-1' });
    await door.receive(
      chat('carol@example.com/phone', { type: 'chat', id: 's-1' }, xml('body', {}, '/order 42'), origin, xml('request', { xmlns: 'urn:xmpp:receipts' })),
    );
    assert.deepEqual(messages, [
      {
        network: 'xmpp',
        from: 'xmpp:carol@example.com',
        to: 'team:support',
        text: '/order 42',
        team: { id: 'support', site: 'shop' },
        remoteId: 'xmpp:carol@example.com/o-1',
      },
    ]);
    assert.equal(sent[0]?.getChild('received', 'urn:xmpp:receipts')?.attrs.id, 's-1');
    await door.receive(chat('carol@example.com/phone', { type: 'chat' }, xml('body', {}, ' /HELP ')));
    assert.equal(messages.length, 1);
    assert.equal(sent[1]?.getChildText('body'), 'Write here and the Support team answers you here.');
    await door.receive(chat('carol@example.com/phone', { type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.deepEqual(typing, [{ from: 'xmpp:carol@example.com', to: 'team:support', state: 'composing', team: { id: 'support', site: 'shop' } }]);
  });

  it("writes to the conversation's customer the text alone with the writer's nick; to anyone else, not", () => {
    const { door } = customers();
    const conversation = {
      id: 'c1',
      participants: [],
      team: 'support',
      state: 'open' as const,
      createdAt: '',
      lastSeq: 1,
      openedBy: 'xmpp:carol@example.com' as const,
    };
    assert.equal(door.isCustomerOf(conversation, 'xmpp:carol@example.com'), true);
    assert.equal(door.isCustomerOf(conversation, 'xmpp:erin@example.org'), false);
    assert.equal(door.isCustomerOf({ ...conversation, openedBy: 'web:v_1' }, 'web:v_1'), false, 'a website visitor');
    const { team: _team, ...withoutTeam } = conversation;
    assert.equal(door.isCustomerOf(withoutTeam, 'xmpp:carol@example.com'), false, 'no team conversation');
    const message = { id: 'm1', conversationId: 'c1', seq: 1, from: 'web:a_alice' as const, text: 'Hello <you>', sentAt: '' };
    const stanza = door.messageTo(message, 'xmpp:carol@example.com', 'Alice');
    assert.equal(stanza.attrs.to, 'carol@example.com');
    assert.equal(stanza.getChildText('body'), 'Hello <you>');
    assert.equal(stanza.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Alice');
    assert.equal(door.messageTo(message, 'xmpp:carol@example.com', undefined).getChild('nick', 'http://jabber.org/protocol/nick'), undefined);
  });

  it('needs a team of the configuration, and the entry takes `customers` in client mode only', () => {
    assert.throws(() => customers({ team: 'nobody' }), ConfigError);
    const entry = { type: 'xmpp', mode: 'client', service: 'xmpp://127.0.0.1:5222', domain: 'example.org', username: 'bot', password: 'pw' };
    assert.equal(xmppNetworkConfigSchema.safeParse({ ...entry, customers: { team: 'support' } }).success, true);
    assert.equal(xmppNetworkConfigSchema.safeParse({ ...entry, customers: { team: '' } }).success, false);
    assert.equal(xmppNetworkConfigSchema.safeParse({ ...entry, customers: { team: 'support', teamAddresses: {} } }).success, false);
  });
});
