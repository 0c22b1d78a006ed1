/**
 * Whether IRC vouches for a customer's nick (`/whois`): only when they are logged in to the services
 * account of that name, which the server tells in its WHOIS answer (RPL_WHOISACCOUNT, 330). Without
 * services (or logged out), anyone may take a nick. Asked when an agent asks, so it is true then.
 * A customer the bot saw change nick (renames.ts) is asked about under the nick they have now, and
 * vouched for by the account of the nick their address names.
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

export interface IrcIdentitiesOptions {
  bot: IrcConnection;
  nickOf(address: Address): string | null;
  /** The nick the address's user has now (renames the bot saw); null when its own is someone else's. */
  nickNow?(address: Address): string | null;
}

export class IrcIdentities {
  constructor(private readonly options: IrcIdentitiesOptions) {}

  identityOf(address: Address): Promise<CustomerIdentity> {
    const { bot } = this.options;
    const own = this.options.nickOf(address);
    if (!own) return Promise.resolve({ vouched: false, how: `${address} is not a nick of this IRC network` });
    const nick = this.options.nickNow ? this.options.nickNow(address) : own;
    if (nick === null) return Promise.resolve({ vouched: false, how: `its user changed nick and left, and someone else has ${own} now` });
    if (bot.status.state !== 'online') return Promise.resolve({ vouched: false, how: 'the IRC network is not connected, so it could not be asked' });
    return new Promise((resolve) => {
      const done = (identity: CustomerIdentity) => {
        clearTimeout(timer);
        bot.client.removeListener('whois', onWhois);
        resolve(identity);
      };
      const onWhois = (answer: WhoisAnswer) => {
        if (answer.nick.toLowerCase() !== nick.toLowerCase()) return;
        // As `requireAccount` for agents: the account must be the address's nick's, else whoever holds any account could take an unregistered nick.
        if (answer.account?.toLowerCase() === own.toLowerCase()) done({ vouched: true, how: `logged in to the services account "${answer.account}"` });
        else if (answer.account)
          done({ vouched: false, how: `logged in to the services account "${answer.account}", not to one named ${own}: the nick is not vouched for` });
        else if (answer.error) done({ vouched: false, how: `no one uses the nick ${nick} now` });
        else done({ vouched: false, how: 'not logged in to a services account: anyone may take a nick' });
      };
      const timer = setTimeout(() => done({ vouched: false, how: 'the IRC server did not answer WHOIS' }), WHOIS_MS);
      bot.client.on('whois', onWhois);
      bot.writer.send(`WHOIS ${nick}`).catch(() => done({ vouched: false, how: 'WHOIS could not be sent' }));
    });
  }
}
