/**
 * Nick changes the bot sees (NICK, RFC 2812 section 3.1.2), so that a user the bridge follows (an
 * agent, a gateway party, a customer who wrote within the hour) keeps their address under a new
 * nick (`alice|away`, `alice_`) for as long as the bot sees them: what is sent to `irc:alice@net`
 * goes to their current nick, their lines are alice's, and their presence follows the new nick.
 *
 * A server tells a NICK change (and a QUIT) only to clients sharing a channel with the user, and the
 * bot is in one channel, the support channel: a user who leaves it (PART, KICK) or IRC (QUIT, or a
 * 401 to a line) is out of sight, and the bridge forgets their new nick. MONITOR (IRCv3) tells
 * nothing of renames. Nobody's messages go to a stranger:
 * - while alice is known as `alice|away`, the nick `alice` is someone else's (or nobody's): nothing
 *   for alice goes there, and nothing from it is alice's;
 * - alice leaving under `alice|away` leaves that nick to whoever takes it next (their own address);
 * - when `alice` was seen taken by someone else meanwhile, it stays someone else's after alice
 *   left, until the bot sees it free (MONITOR, ISON, a QUIT or 401) or change hands (a NICK).
 */
import type { Address } from '@switchboard/protocol';
import type { IrcConnection } from './connection.js';
import { ircLower } from './nicks.js';

/** Renamed users kept at most (the oldest are forgotten first, as if out of sight). */
export const MAX_RENAMED = 2_000;

export interface IrcRenamesOptions {
  bot: Pick<IrcConnection, 'client' | 'casemapping'>;
  /** An address of this network from a nick, and back: a nick's own address. */
  addressOf: (nick: string) => Address;
  nickOf: (address: Address) => string | null;
  /** Whether the bridge follows this address (an agent, a gateway party, a customer): only theirs are kept. */
  cares: (address: Address) => boolean;
  /** Whether a nick is the bot's or a puppet's (their own nick changes are none of this). */
  isOurs: (nick: string) => boolean;
  /** The user of an address is here under a new nick (`here`), or out of sight (gone, as far as the bridge knows). */
  onChange?: (address: Address, here: boolean) => void;
}

/** An address's user under another nick: the nick now, and their own as they spelled it. */
interface Renamed {
  nick: string;
  own: string;
}

export class IrcRenames {
  /** A nick as the server compares nicks (ISUPPORT CASEMAPPING). */
  private readonly key = (nick: string): string => ircLower(nick, this.options.bot.casemapping);
  /** Address -> its user's nick now (not their own). */
  private readonly renamed = new Map<Address, Renamed>();
  /** Nick now (lowercased) -> the address whose user has it. */
  private readonly holders = new Map<string, Address>();
  /** Own nicks (lowercased) seen held by someone else while their user was elsewhere -> their address. */
  private readonly taken = new Map<string, Address>();

  constructor(private readonly options: IrcRenamesOptions) {
    const { client } = options.bot;
    client.on('nick', (event: { nick: string; new_nick: string }) => this.changed(event.nick, event.new_nick));
    client.on('quit', (event: { nick: string }) => this.quit(event.nick));
    client.on('part', (event: { nick: string }) => this.parted(event.nick));
    client.on('kick', (event: { kicked: string }) => (options.isOurs(event.kicked) ? this.lostSight() : this.parted(event.kicked)));
    client.on('join', (event: { nick: string }) => {
      if (!options.isOurs(event.nick)) this.sighted(event.nick, true);
    });
  }

  /**
   * The address whose user has this nick now; null when the nick is someone else's than its own
   * address's user (who is known under another nick, or left under one).
   */
  holderOf(nick: string): Address | null {
    return this.senderOf(nick)?.address ?? null;
  }

  /** Who writes from this nick: their address and the nick it names (as they spelled it); null as for `holderOf`. */
  senderOf(nick: string): { address: Address; nick: string } | null {
    const holder = this.holders.get(this.key(nick));
    if (holder !== undefined) return { address: holder, nick: this.renamed.get(holder)!.own };
    const own = this.options.addressOf(nick);
    if (this.renamed.has(own)) return null;
    if (this.taken.has(this.key(nick))) {
      if (this.options.cares(own)) return null;
      this.taken.delete(this.key(nick)); // no longer followed: nothing would tell when it is free
    }
    return { address: own, nick };
  }

  /** The nick to write to for this address now; null when its own nick is someone else's (see `holderOf`). */
  nickFor(address: Address): string | null {
    const renamed = this.renamed.get(address);
    if (renamed !== undefined) return renamed.nick;
    const nick = this.options.nickOf(address);
    return nick !== null && this.holderOf(nick) === address ? nick : null;
  }

  /** A NICK the bot saw (RFC 2812 section 3.1.2): `from`'s user is `to` from now on. */
  changed(from: string, to: string): void {
    const { addressOf, isOurs, cares } = this.options;
    if (isOurs(from) || isOurs(to)) return;
    const holder = this.holderOf(from);
    this.taken.delete(this.key(from)); // free now, whoever had it
    // The server gave `to` to this user: whoever the bridge thought had it left unseen.
    const stale = this.holders.get(this.key(to));
    if (stale !== undefined && stale !== holder) this.forget(stale, false);
    if (holder !== null) {
      if (addressOf(to) === holder) this.forget(holder, true);
      else if (this.renamed.has(holder) || cares(holder)) this.rename(holder, from, to);
    }
    // `to` as another user's own nick: someone else's while that user is known elsewhere; else it
    // changed hands before the bot, and is whoever took it, as any nick is.
    const own = addressOf(to);
    if (own !== holder && this.renamed.has(own)) this.keepTaken(this.key(to), own);
    else this.taken.delete(this.key(to));
  }

  /** A QUIT, or a 401 to a line: nobody has the nick now. */
  quit(nick: string): void {
    this.taken.delete(this.key(nick));
    this.parted(nick);
  }

  /** A PART or KICK from the bot's channel: the user is out of sight (their next renames go unseen). */
  parted(nick: string): void {
    const holder = this.holders.get(this.key(nick));
    if (holder !== undefined) this.forget(holder, false);
  }

  /** The bot's connection dropped, or it left its channel: nobody's renames are seen any more. */
  lostSight(): void {
    for (const address of [...this.renamed.keys()]) this.forget(address, false);
  }

  /**
   * The server said a nick is online (MONITOR, ISON, WHO, a JOIN) or not: an own nick online while its
   * user is known elsewhere is someone else's; one offline is free.
   */
  sighted(nick: string, online: boolean): void {
    const own = this.options.addressOf(nick);
    if (online && this.renamed.has(own)) this.keepTaken(this.key(nick), own);
    else if (!online) this.taken.delete(this.key(nick));
  }

  private rename(address: Address, from: string, to: string): void {
    const before = this.renamed.get(address);
    if (before !== undefined) this.holders.delete(this.key(before.nick));
    this.renamed.delete(address); // the newest is the last forgotten
    this.renamed.set(address, { nick: to, own: before?.own ?? from });
    this.holders.set(this.key(to), address);
    if (this.renamed.size > MAX_RENAMED) this.forget(this.renamed.keys().next().value!, false);
    this.options.onChange?.(address, true);
  }

  /** The address's user is back on their own nick (`here`), or out of sight. */
  private forget(address: Address, here: boolean): void {
    const renamed = this.renamed.get(address);
    if (renamed === undefined) return;
    this.renamed.delete(address);
    this.holders.delete(this.key(renamed.nick));
    this.options.onChange?.(address, here);
  }

  private keepTaken(nick: string, address: Address): void {
    this.taken.delete(nick);
    this.taken.set(nick, address);
    if (this.taken.size > MAX_RENAMED) this.taken.delete(this.taken.keys().next().value!);
  }
}
