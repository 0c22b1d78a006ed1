// Whether each network vouches for a customer's address (`/whois`): XMPP always (its servers
// authenticate), SIP for the domains whose senders the proxy authenticates, IRC with a services
// account as the server's WHOIS answer tells.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { IrcIdentities } from '../../src/networks/irc/identity.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import { sipNetworkConfigSchema } from '../../src/networks/sip/config.js';
import { sipIdentities } from '../../src/networks/sip/identity.js';
import { xmppIdentityOf } from '../../src/networks/xmpp/identity.js';

/** An IRC bot whose server answers WHOIS with `answers` (by nick), or not at all. */
function ircBot(answers: Record<string, { account?: string; error?: string }>, state: 'online' | 'offline' = 'online') {
  const client = new EventEmitter();
  const sent: string[] = [];
  const bot = {
    client,
    status: { state },
    writer: {
      send(line: string) {
        sent.push(line);
        const nick = line.split(' ')[1]!;
        const answer = answers[nick.toLowerCase()];
        if (answer) setImmediate(() => client.emit('whois', { nick, ...answer }));
        return Promise.resolve();
      },
    },
  };
  return { bot: bot as unknown as IrcConnection, sent, listeners: () => client.listenerCount('whois') };
}

const nickOf = (address: Address) => /^irc:([^@]+)@libera$/.exec(address)?.[1] ?? null;

describe("customers' identities", () => {
  it('XMPP vouches for every JID, naming the server that authenticated the account', async () => {
    assert.deepEqual(await xmppIdentityOf('xmpp:carol@example.org'), {
      vouched: true,
      how: `its server example.org authenticated it`,
    });
  });

  it('SIP vouches only for the domains whose senders the proxy authenticates', async () => {
    const config = sipNetworkConfigSchema.parse({
      type: 'sip',
      server: 'ws://127.0.0.1:5066',
      domain: 'example.test',
      username: 'switchboard',
      password: 'secret',
      visitorDomain: 'visitors.example.test',
      authenticatedDomains: ['example.test', '*.corp.example'],
    });
    const identityOf = sipIdentities(config.authenticatedDomains);
    assert.deepEqual(await identityOf('sip:carol@example.test'), { vouched: true, how: 'the SIP proxy authenticates the senders of example.test' });
    assert.equal((await identityOf('sip:dan@pbx.corp.example')).vouched, true);
    assert.deepEqual(await identityOf('sip:eve@elsewhere.example'), {
      vouched: false,
      how: 'no proxy of this bridge authenticates the senders of elsewhere.example: the From URI is what the sender wrote',
    });
    assert.deepEqual(sipNetworkConfigSchema.parse({ ...config, authenticatedDomains: undefined }).authenticatedDomains, []);
  });

  it('IRC vouches for a nick logged in to a services account, as WHOIS tells now', async () => {
    const { bot, sent, listeners } = ircBot({ dana: { account: 'dana' }, fox: {}, ghost: { error: 'not_found' } });
    const identities = new IrcIdentities({ bot, nickOf });
    assert.deepEqual(await identities.identityOf('irc:dana@libera'), { vouched: true, how: 'logged in to the services account "dana"' });
    assert.deepEqual(await identities.identityOf('irc:fox@libera'), { vouched: false, how: 'not logged in to a services account: anyone may take a nick' });
    assert.deepEqual(await identities.identityOf('irc:ghost@libera'), { vouched: false, how: 'no one uses the nick ghost now' });
    assert.deepEqual(sent, ['WHOIS dana', 'WHOIS fox', 'WHOIS ghost']);
    assert.equal(listeners(), 0, 'each answer stops listening');
    assert.equal((await identities.identityOf('sip:x@example.test')).vouched, false);
  });

  it('IRC vouches for a nick only when its services account is that nick (any account may take a nick no one registered)', async () => {
    const { bot } = ircBot({ carol: { account: 'mallory' }, dana: { account: 'DANA' } });
    const identities = new IrcIdentities({ bot, nickOf });
    assert.deepEqual(await identities.identityOf('irc:carol@libera'), {
      vouched: false,
      how: 'logged in to the services account "mallory", not to one named carol: the nick is not vouched for',
    });
    assert.equal((await identities.identityOf('irc:dana@libera')).vouched, true, 'compared without case');
  });

  it('IRC says it could not ask when the bot is offline', async () => {
    const { bot, sent } = ircBot({}, 'offline');
    assert.deepEqual(await new IrcIdentities({ bot, nickOf }).identityOf('irc:dana@libera'), {
      vouched: false,
      how: 'the IRC network is not connected, so it could not be asked',
    });
    assert.deepEqual(sent, []);
  });
});
