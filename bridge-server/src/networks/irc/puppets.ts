/**
 * Puppets: one IRC connection per active visitor, so an agent's client lists each visitor as a
 * user of its own and answers with an ordinary private message. A puppet connects on the visitor's
 * first message, reconnects by itself after a drop (netsplit, server restart), and quits when its
 * conversation closes or after an idle time. Servers cap connections per IP, so past `max` puppets
 * new visitors are relayed by the bot instead; so are visitors whose puppet the server refused (a
 * ban, a full server, a connection throttle), for REFUSAL_MS: then a puppet is tried again.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { IrcConnection } from './connection.js';

export interface PuppetPoolOptions {
  max: number;
  idleMs: number;
  logger: Logger;
  /** Makes the connection for a visitor (not yet open). */
  create(visitor: Address, name: string): IrcConnection;
}

/** How long a visitor whose puppet the server refused is relayed by the bot before a puppet is tried again. */
export const REFUSAL_MS = 10 * 60_000;

interface Puppet {
  connection: IrcConnection;
  lastActive: number;
  /** The open conversations it speaks in (one per agent the visitor has on IRC): it quits when the last closes. */
  conversations: Set<string>;
  /** Its first registration, which the sends of the visitor that come meanwhile wait for too. */
  opened: Promise<IrcConnection | null>;
}

export class PuppetPool {
  private readonly puppets = new Map<Address, Puppet>();
  /** Visitors the server would not take as puppets, and when: relayed by the bot for REFUSAL_MS. */
  private readonly refused = new Map<Address, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: PuppetPoolOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1_000, options.idleMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.puppets.size;
  }

  /** The visitor's puppet, if it has one. */
  get(visitor: Address): IrcConnection | undefined {
    return this.puppets.get(visitor)?.connection;
  }

  /** The visitor whose puppet has this nick (lowercased), if any. */
  visitorOf(nickLower: string): Address | undefined {
    for (const [visitor, puppet] of this.puppets) if (puppet.connection.nick.toLowerCase() === nickLower) return visitor;
    return undefined;
  }

  /** Nicks of every puppet, lowercased by `fold` (the server's CASEMAPPING): never taken for a new one; never relayed as an agent. */
  nicks(fold: (nick: string) => string = (nick) => nick.toLowerCase()): Set<string> {
    return new Set([...this.puppets.values()].map((puppet) => fold(puppet.connection.nick)));
  }

  /** The visitor was active at `at` (now by default): the idle time counts from then. */
  touch(visitor: Address, at = Date.now()): void {
    const puppet = this.puppets.get(visitor);
    if (puppet) puppet.lastActive = at;
  }

  /**
   * The visitor's registered puppet, connecting one when there is room; null when the visitor is
   * relayed by the bot. Rejects (retryably) while an existing puppet is reconnecting.
   */
  async acquire(visitor: Address, name: string, conversationId?: string): Promise<IrcConnection | null> {
    const existing = this.puppets.get(visitor);
    if (existing) {
      existing.lastActive = Date.now();
      if (conversationId !== undefined) existing.conversations.add(conversationId);
      return existing.opened;
    }
    const refusedAt = this.refused.get(visitor);
    if (refusedAt !== undefined && Date.now() - refusedAt < REFUSAL_MS) return null;
    this.refused.delete(visitor);
    if (this.puppets.size >= this.options.max) return null;
    const connection = this.options.create(visitor, name);
    const opened = this.open(visitor, connection);
    this.puppets.set(visitor, { connection, lastActive: Date.now(), opened, conversations: new Set(conversationId === undefined ? [] : [conversationId]) });
    return opened;
  }

  private async open(visitor: Address, connection: IrcConnection): Promise<IrcConnection | null> {
    try {
      await connection.open();
      return connection;
    } catch (error) {
      void connection.close('not registered');
      this.puppets.delete(visitor);
      const reason = (error as Error).message;
      this.refused.set(visitor, Date.now());
      this.options.logger.warn({ visitor, reason }, 'irc server refused a puppet; the bot relays this visitor');
      return null;
    }
  }

  /**
   * The visitor's conversation is over: its puppet quits now and frees its slot (a new message
   * connects one again), unless it still speaks in another open conversation of theirs.
   */
  release(visitor: Address, message: string, conversationId: string): void {
    const puppet = this.puppets.get(visitor);
    if (!puppet) return;
    puppet.conversations.delete(conversationId);
    if (puppet.conversations.size > 0) return;
    this.puppets.delete(visitor);
    void puppet.connection.close(message);
    this.options.logger.info({ visitor }, 'irc puppet quit: its conversation closed');
  }

  /** Quits puppets idle for longer than the configured time. */
  sweep(now = Date.now()): void {
    for (const [visitor, puppet] of this.puppets) {
      if (now - puppet.lastActive < this.options.idleMs) continue;
      void puppet.connection.close('Visitor left');
      this.puppets.delete(visitor);
      this.options.logger.info({ visitor }, 'irc puppet quit after idle time');
    }
  }

  closeAll(message: string): void {
    clearInterval(this.sweeper);
    for (const puppet of this.puppets.values()) void puppet.connection.close(message);
    this.puppets.clear();
  }

  all(): IrcConnection[] {
    return [...this.puppets.values()].map((puppet) => puppet.connection);
  }
}
