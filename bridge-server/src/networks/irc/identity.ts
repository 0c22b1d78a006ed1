/**
 * Whether IRC vouches for a customer's nick (`/whois`): only when they are logged in to the services
 * account of that name, which the server tells in its WHOIS answer (RPL_WHOISACCOUNT, 330). Without
 * services (or logged out), anyone may take a nick. Asked when an agent asks, so it is true then.
 */
import type { Address } from '@switchboard/protocol';
import type { CustomerIdentity } from '../network.js';
import type { IrcConnection } from './connection.js';

/** How long the server may take to answer WHOIS. */
const WHOIS_MS = 4_000;

/** The part of irc-framework's `whois` event used here. */
interface WhoisAnswer {
  nick: string;
  account?: string;
  error?: string;
}

export class IrcIdentities {
  constructor(private readonly options: { bot: IrcConnection; nickOf(address: Address): string | null }) {}

  identityOf(address: Address): Promise<CustomerIdentity> {
    const { bot } = this.options;
    const nick = this.options.nickOf(address);
    if (!nick) return Promise.resolve({ vouched: false, how: `${address} is not a nick of this IRC network` });
    if (bot.status.state !== 'online') return Promise.resolve({ vouched: false, how: 'the IRC network is not connected, so it could not be asked' });
    return new Promise((resolve) => {
      const done = (identity: CustomerIdentity) => {
        clearTimeout(timer);
        bot.client.removeListener('whois', onWhois);
        resolve(identity);
      };
      const onWhois = (answer: WhoisAnswer) => {
        if (answer.nick.toLowerCase() !== nick.toLowerCase()) return;
        // As `requireAccount` for agents: the account must be the nick's, else whoever holds any account could take an unregistered nick.
        if (answer.account?.toLowerCase() === nick.toLowerCase()) done({ vouched: true, how: `logged in to the services account "${answer.account}"` });
        else if (answer.account)
          done({ vouched: false, how: `logged in to the services account "${answer.account}", not to one named ${nick}: the nick is not vouched for` });
        else if (answer.error) done({ vouched: false, how: `no one uses the nick ${nick} now` });
        else done({ vouched: false, how: 'not logged in to a services account: anyone may take a nick' });
      };
      const timer = setTimeout(() => done({ vouched: false, how: 'the IRC server did not answer WHOIS' }), WHOIS_MS);
      bot.client.on('whois', onWhois);
      bot.writer.send(`WHOIS ${nick}`).catch(() => done({ vouched: false, how: 'WHOIS could not be sent' }));
    });
  }
}
