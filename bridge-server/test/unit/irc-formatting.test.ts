// IRC formatting codes (https://modern.ircdocs.horse/formatting) are taken out of what IRC users
// write before it reaches another network: XMPP would show U+FFFD, mail and the web stray digits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import pino from 'pino';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import type { IrcConnections } from '../../src/networks/irc/connections.js';
import { IrcCustomers } from '../../src/networks/irc/customers.js';
import { stripFormatting } from '../../src/networks/irc/formatting.js';
import { IrcInbound } from '../../src/networks/irc/inbound.js';
import type { Relay } from '../../src/networks/kit/relay.js';
import type { HostedParties, InboundMessage, InboundSink } from '../../src/networks/network.js';

describe('IRC formatting codes', () => {
  it('takes out each code that has no arguments', () => {
    const codes = { bold: '\x02', reset: '\x0f', monospace: '\x11', reverse: '\x16', italic: '\x1d', strikethrough: '\x1e', underline: '\x1f' };
    for (const [name, code] of Object.entries(codes)) assert.equal(stripFormatting(`a ${code}word${code} b`), 'a word b', name);
  });

  it('takes out a colour with its foreground, and its background when a comma and digits follow', () => {
    assert.equal(stripFormatting('\x034red\x03 plain'), 'red plain');
    assert.equal(stripFormatting('\x0304red'), 'red');
    assert.equal(stripFormatting('\x0304,01red on black\x03'), 'red on black');
    assert.equal(stripFormatting('\x034,1x'), 'x');
    assert.equal(stripFormatting('\x0304,01234'), '234', 'two digits at most each');
    assert.equal(stripFormatting('\x03123'), '3', 'two digits at most');
    assert.equal(stripFormatting('\x03'), '', 'no colour: colours reset');
  });

  it('keeps a comma that is text: after a foreground without background digits, or after no foreground', () => {
    assert.equal(stripFormatting('\x0304,text'), ',text');
    assert.equal(stripFormatting('\x0304, then'), ', then');
    assert.equal(stripFormatting('\x03,05'), ',05');
  });

  it('takes out a hex colour with its RRGGBB, and its background when a comma and six hex digits follow', () => {
    assert.equal(stripFormatting('\x04FF0000red'), 'red');
    assert.equal(stripFormatting('\x04ff0000,000000red on black\x04'), 'red on black');
    assert.equal(stripFormatting('\x04FF0000,text'), ',text');
    assert.equal(stripFormatting('\x04 plain'), ' plain');
  });

  it('leaves text without codes as it is', () => {
    for (const text of ['', 'Is the tent waterproof?', '3,000 mm, 04,01', '/me waves', 'été 中 \u{1F600}', 'tab\there'])
      assert.equal(stripFormatting(text), text);
  });
});

const hosted: HostedParties = {
  isHosted: (address) => address.startsWith('web:'),
  isVisitor: (address) => address.startsWith('web:v_'),
  idOf: (address) => (address.startsWith('web:') ? address.slice(4) : null),
  addressOf: (id) => (id.startsWith('v_') ? `web:${id}` : null),
};

/** The inbound side with a stand-in core that records the messages it is handed. */
function inbound() {
  const messages: InboundMessage[] = [];
  const sink = {
    isAgent: (address: Address) => address === 'irc:alice@libera',
    message: (input: InboundMessage) => {
      messages.push(input);
      return Promise.resolve({ id: `m${messages.length}` } as Message);
    },
  } as unknown as InboundSink;
  const connections = {
    isOurs: (nick: string) => nick.toLowerCase() === 'switchboard' || nick.startsWith('puppet'),
    puppets: { touch: () => undefined },
    notice: () => undefined,
  } as unknown as IrcConnections;
  const handler = new IrcInbound({
    sink,
    logger: pino({ level: 'silent' }),
    requireAccount: true,
    addresses: new IrcAddresses('libera', hosted),
    connections,
    relay: {} as Relay,
    channel: undefined,
    customers: new IrcCustomers({ team: 'support', teams: [] }, [{ id: 'support', name: 'Support', sites: ['shop'] }], 'libera'),
    gateway: false,
  });
  /** A PRIVMSG from `nick` to `target` (the bot, or a puppet standing for `visitor`). */
  const say = async (nick: string, target: string, visitor: Address | undefined, message: string, action = false) => {
    const event: IrcMessageEvent = { nick, ident: nick, hostname: 'h', target, message, tags: {}, account: nick };
    handler.received({ nick: target } as IrcConnection, visitor, event, action);
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { say, messages };
}

describe('IRC formatting in what IRC users write', () => {
  it("is taken out of an agent's words to a visitor's puppet and to a gateway user's puppet, /me included", async () => {
    const { say, messages } = inbound();
    await say('alice', 'puppet1', 'web:v_1', '\x02Yes\x02, \x0303,01in stock\x0f.');
    await say('alice', 'puppet2', 'xmpp:carl@example.org', '\x1dhello\x1d \x0304,there');
    await say('alice', 'puppet2', 'xmpp:carl@example.org', '\x0312waves\x03', true);
    assert.deepEqual(
      messages.map(({ to, text }) => [to, text]),
      [
        ['web:v_1', 'Yes, in stock.'],
        ['xmpp:carl@example.org', 'hello ,there'],
        ['xmpp:carl@example.org', '/me waves'],
      ],
    );
  });

  it("is taken out of a customer's words to the bot; a line of nothing but codes is dropped", async () => {
    const { say, messages } = inbound();
    await say('carol', 'switchboard', undefined, '\x02\x0304,01My order\x0f has not arrived');
    await say('carol', 'switchboard', undefined, '\x02\x0304\x0f');
    await say('carol', 'switchboard', undefined, '\x1d', true);
    assert.deepEqual(
      messages.map(({ to, text }) => [to, text]),
      [['team:support', 'My order has not arrived']],
    );
  });
});
