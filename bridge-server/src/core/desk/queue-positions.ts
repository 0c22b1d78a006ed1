/**
 * What a visitor waiting in a team's queue is told (`queue:position`, docs/protocol.md): its place,
 * and when it is taken. Each team's queue is kept in memory in the store's order (oldest first),
 * read from the store once at first use and then followed through every conversation change, so
 * a new conversation costs no re-reading of the queue. Updates are coalesced: a visitor is told
 * once per tick when its place changed; a change of `waiting` alone (someone joining behind) at
 * most once per WAITING_TOLD_EVERY_MS per team.
 */
import { KeyedThrottle } from '../../util/keyed-throttle.js';
import type { ClientHub, HubRoom } from '../hub.js';
import type { ConversationRecord, Store } from '../../store/store.js';

/** Queued conversations whose visitors are told their position (beyond: told on their turn). */
export const POSITIONS_TOLD = 500;
/** How often, at most, visitors are told that only the number waiting changed (docs/protocol.md). */
export const WAITING_TOLD_EVERY_MS = 1000;
/** Queued conversations of a team read at first use (all of them, in practice). */
const SEED_MAX = 1_000_000;

const roomsOf = (conversation: ConversationRecord): HubRoom[] => conversation.participants.map((address) => ({ kind: 'address', address }));

const isQueued = (conversation: ConversationRecord): boolean =>
  conversation.team !== undefined && conversation.state === 'open' && conversation.assignee === undefined;

interface Waiting {
  id: string;
  createdAt: string;
  rooms: HubRoom[];
}

/** The store's queue order: created_at, then id. */
const before = (a: Waiting, b: Waiting): boolean => a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/** One team's queue, in order, and what each of its visitors was last told. */
class TeamQueue {
  readonly entries: Waiting[] = [];
  readonly byId = new Map<string, Waiting>();
  readonly told = new Map<string, { position: number; waiting: number }>();
  /** Set once the store was read; changes seen meanwhile wait in `pending`. */
  seeded = false;
  seeding: Promise<void> | undefined;
  pending: ConversationRecord[] = [];
  /** The first place that changed since visitors were last told: those before it stay where they were. */
  movedFrom = 0;
  /** The number waiting that every visitor told was told (after a full update). */
  everyoneKnows: number | undefined;

  /** Where `entry` is or would go. */
  indexOf(entry: Waiting): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(this.entries[middle]!, entry)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Follows a change of one of the team's conversations; whether the queue changed. */
  apply(conversation: ConversationRecord, queued: boolean): boolean {
    const known = this.byId.get(conversation.id);
    if (known && queued) {
      known.rooms = roomsOf(conversation);
      return false;
    }
    if (!known && !queued) return false;
    if (known) {
      const index = this.indexOf(known);
      this.entries.splice(index, 1);
      this.byId.delete(known.id);
      this.told.delete(known.id);
      this.movedFrom = Math.min(this.movedFrom, index);
      return true;
    }
    const entry = { id: conversation.id, createdAt: conversation.createdAt, rooms: roomsOf(conversation) };
    const index = this.indexOf(entry);
    this.entries.splice(index, 0, entry);
    this.byId.set(entry.id, entry);
    this.movedFrom = Math.min(this.movedFrom, index);
    return true;
  }
}

export class QueuePositions {
  private readonly teams = new Map<string, TeamQueue>();
  /** The team each queued conversation waits in, to notice it leaving for another. */
  private readonly teamOf = new Map<string, string>();
  private readonly perTick = new KeyedThrottle(0);
  private readonly waitingThrottle: KeyedThrottle;

  constructor(
    private readonly store: Pick<Store, 'queuedConversations'>,
    private readonly hub: ClientHub,
    waitingEveryMs = WAITING_TOLD_EVERY_MS,
  ) {
    this.waitingThrottle = new KeyedThrottle(waitingEveryMs);
  }

  /** Follows a conversation change (every one the announcer tells of): it joins, stays in or leaves a queue. */
  changed(conversation: ConversationRecord): void {
    const previous = this.teamOf.get(conversation.id);
    if (previous !== undefined && previous !== conversation.team) this.follow(previous, conversation, false);
    if (conversation.team !== undefined) this.follow(conversation.team, conversation, isQueued(conversation));
  }

  /** A conversation just queued: in the team's view at once, its visitor told its place. */
  async enqueued(conversation: ConversationRecord): Promise<void> {
    if (conversation.team === undefined) return;
    await this.ready(conversation.team);
    this.changed(conversation);
  }

  /** Tells each waiting visitor of a team its place in the queue, if it changed (on the next tick). */
  async tell(team: string): Promise<void> {
    await this.ready(team);
    this.schedule(team);
  }

  /** A conversation's place in its team's queue (1: next), if it waits among the first POSITIONS_TOLD. */
  async positionOf(team: string, conversationId: string): Promise<number | undefined> {
    const queue = await this.ready(team);
    const entry = queue.byId.get(conversationId);
    const index = entry ? queue.indexOf(entry) : -1;
    return index >= 0 && index < POSITIONS_TOLD ? index + 1 : undefined;
  }

  /** Tells the visitor that an agent took its conversation out of the queue. */
  taken(conversation: ConversationRecord): void {
    if (conversation.team === undefined) return;
    this.changed(conversation);
    this.hub.emit(roomsOf(conversation), 'queue:position', { conversationId: conversation.id, team: conversation.team, position: 0, waiting: 0 });
  }

  /**
   * Conversations were deleted without a change the announcer tells of (an erasure, a retention
   * sweep): each team's queue is read from the store again, and the visitors whose place changed
   * are told. What each was last told is kept, so the others get nothing.
   */
  async reread(): Promise<void> {
    const known = [...this.teams];
    // All at once, before any read: a team read again meanwhile (a visitor asking) keeps its own.
    for (const [team, queue] of known) for (const id of queue.byId.keys()) if (this.teamOf.get(id) === team) this.teamOf.delete(id);
    this.teams.clear();
    const failed: unknown[] = [];
    for (const [team, queue] of known) {
      try {
        const fresh = await this.ready(team);
        for (const [id, last] of queue.told) if (fresh.byId.has(id) && !fresh.told.has(id)) fresh.told.set(id, last);
        fresh.everyoneKnows ??= queue.everyoneKnows;
        this.schedule(team);
      } catch (error) {
        failed.push(error); // read at the team's next use
      }
    }
    if (failed.length > 0) throw failed[0];
  }

  /** Drops pending updates (at shutdown). */
  stop(): void {
    this.perTick.stop();
    this.waitingThrottle.stop();
  }

  private follow(team: string, conversation: ConversationRecord, queued: boolean): void {
    const queue = this.teams.get(team);
    if (queued) this.teamOf.set(conversation.id, team);
    else if (this.teamOf.get(conversation.id) === team) this.teamOf.delete(conversation.id);
    // A team not read yet has nothing to keep: its first use reads the store, this change included.
    if (!queue?.seeding) return;
    if (!queue.seeded) {
      queue.pending.push(conversation);
      return;
    }
    if (queue.apply(conversation, queued && conversation.team === team)) this.schedule(team);
  }

  /** The team's queue, read from the store at first use. */
  private async ready(team: string): Promise<TeamQueue> {
    let queue = this.teams.get(team);
    if (!queue) {
      queue = new TeamQueue();
      this.teams.set(team, queue);
    }
    const seeding = (queue.seeding ??= this.seed(team, queue));
    await seeding;
    return queue;
  }

  private async seed(team: string, queue: TeamQueue): Promise<void> {
    try {
      const queued = await this.store.queuedConversations(team, SEED_MAX);
      for (const conversation of queued) {
        const entry = { id: conversation.id, createdAt: conversation.createdAt, rooms: roomsOf(conversation) };
        queue.entries.push(entry); // already in the queue's order
        queue.byId.set(entry.id, entry);
        this.teamOf.set(entry.id, team);
      }
      queue.seeded = true;
      for (const conversation of queue.pending.splice(0)) queue.apply(conversation, isQueued(conversation) && conversation.team === team);
    } catch (error) {
      queue.seeding = undefined; // read again at next use
      queue.pending = [];
      throw error;
    }
  }

  private schedule(team: string): void {
    this.perTick.request(team, () => this.flush(team, false));
  }

  /**
   * Tells each visitor among the first POSITIONS_TOLD whose place changed (looking only from the
   * first place that changed, so a conversation joining at the end costs one look); with
   * `withWaiting`, every visitor whose number waiting changed too.
   */
  private flush(team: string, withWaiting: boolean): void {
    const queue = this.teams.get(team);
    if (!queue?.seeded) return;
    const waiting = queue.entries.length;
    const told = Math.min(waiting, POSITIONS_TOLD);
    for (let index = withWaiting ? 0 : queue.movedFrom; index < told; index++) {
      const entry = queue.entries[index]!;
      const position = index + 1;
      const last = queue.told.get(entry.id);
      if (last && last.position === position && (last.waiting === waiting || !withWaiting)) continue;
      queue.told.set(entry.id, { position, waiting });
      this.hub.emit(entry.rooms, 'queue:position', { conversationId: entry.id, team, position, waiting });
    }
    queue.movedFrom = Infinity;
    if (withWaiting) queue.everyoneKnows = waiting;
    else if (queue.everyoneKnows !== waiting) this.waitingThrottle.request(team, () => this.flush(team, true));
  }
}
