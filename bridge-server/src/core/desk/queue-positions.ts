/**
 * What a visitor waiting in a team's queue is told (`queue:position`, docs/protocol.md): its place,
 * and when it is taken. Each team's queue is kept in memory in the store's order (oldest first),
 * read from the store once at first use and then followed through every conversation change, so
 * a new conversation costs no re-reading of the queue. Updates are coalesced: a visitor is told
 * once per tick when its place changed, with the number waiting then. Someone joining behind
 * changes no one's place and is told to no one, so an open costs the same however long the queue.
 *
 * Several nodes: each node keeps the same queues, fed by its own changes and by those the others
 * publish on the bus (an event names the conversation; the node reads it from the store, one at a
 * time, so events arriving out of order still leave the store's latest state). Each node tells
 * only the visitors connected to it (`emit` reaches this node's connections alone), and remembers
 * what it told them: a connection lives on one node, so no visitor hears a position twice, and a
 * visitor hears of a change made on any node from the node it is connected to. Telling everyone
 * from the node that made the change instead would tell twice whenever two nodes change one queue
 * in the same tick, each not yet knowing what the other told.
 */
import type { Address, QueuePosition } from '@switchboard/protocol';
import { LOCAL_STATE_BUS, type StateBus } from '../../cluster/state-bus.js';
import { CONVERSATION_CHANGED, QUEUES_REREAD, QUEUE_TAKEN, conversationChangedSchema, queueTakenSchema } from '../../cluster/state-messages.js';
import { KeyedThrottle } from '../../util/keyed-throttle.js';
import type { ClientHub, HubRoom } from '../hub.js';
import type { ConversationRecord, Store } from '../../store/store.js';

/** Queued conversations whose visitors are told their position (beyond: told on their turn). */
export const POSITIONS_TOLD = 500;
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
  /** The place each visitor was last told. */
  readonly told = new Map<string, number>();
  /** Set once the store was read; changes seen meanwhile wait in `pending`. */
  seeded = false;
  seeding: Promise<void> | undefined;
  pending: ConversationRecord[] = [];
  /** The first place that changed since visitors were last told: those before it stay where they were. */
  movedFrom = 0;

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

export interface SharedQueues {
  /** The other nodes (none by default): changes are told to them, and theirs followed. */
  bus?: StateBus;
  /** Emits to this node's own connections only (by default the hub's emit: one node has them all). */
  emit?: ClientHub['emit'];
}

export class QueuePositions {
  private readonly teams = new Map<string, TeamQueue>();
  /** The team each queued conversation waits in, to notice it leaving for another. */
  private readonly teamOf = new Map<string, string>();
  private readonly perTick = new KeyedThrottle(0);
  private readonly bus: StateBus;
  private readonly emit: ClientHub['emit'];
  /** Other nodes' changes, read from the store one after another. */
  private heard: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: Pick<Store, 'queuedConversations' | 'getConversation'>,
    hub: ClientHub,
    shared: SharedQueues = {},
  ) {
    this.bus = shared.bus ?? LOCAL_STATE_BUS;
    this.emit = shared.emit ?? ((rooms, event, payload, options) => hub.emit(rooms, event, payload, options));
    this.bus.on(CONVERSATION_CHANGED, (payload) => {
      const parsed = conversationChangedSchema.safeParse(payload);
      if (parsed.success) this.heardChange(parsed.data.id, parsed.data.team);
    });
    this.bus.on(QUEUES_REREAD, () => {
      this.heard = this.heard.then(() => (this.stopped ? undefined : this.rereadHere())).catch(() => undefined);
    });
    this.bus.on(QUEUE_TAKEN, (payload) => {
      const parsed = queueTakenSchema.safeParse(payload);
      if (parsed.success) this.tellTaken(parsed.data.conversationId, parsed.data.team, parsed.data.participants as Address[]);
    });
  }

  /** Follows a conversation change (every one the announcer tells of): it joins, stays in or leaves a queue. */
  changed(conversation: ConversationRecord): void {
    const previous = this.teamOf.get(conversation.id);
    if (previous !== undefined || conversation.team !== undefined) {
      this.bus.publish(CONVERSATION_CHANGED, { id: conversation.id, ...(conversation.team !== undefined ? { team: conversation.team } : {}) });
    }
    this.follow(conversation, previous);
  }

  private follow(conversation: ConversationRecord, previous: string | undefined): void {
    if (previous !== undefined && previous !== conversation.team) this.followIn(previous, conversation, false);
    if (conversation.team !== undefined) this.followIn(conversation.team, conversation, isQueued(conversation));
  }

  /**
   * Another node changed a conversation: if it concerns a queue this node keeps, the conversation
   * is read from the store (the truth, whatever order events arrive in) and followed.
   */
  private heardChange(id: string, team: string | undefined): void {
    const previous = this.teamOf.get(id);
    const kept = (name: string | undefined) => name !== undefined && this.teams.get(name)?.seeding !== undefined;
    if (!kept(previous) && !kept(team)) return;
    this.heard = this.heard
      .then(async () => {
        if (this.stopped) return;
        const now = await this.store.getConversation(id);
        const before = this.teamOf.get(id);
        if (now) this.follow(now, before);
        // Deleted (an erasure on that node): it leaves whatever queue it was in.
        else if (before !== undefined) this.followIn(before, { id } as ConversationRecord, false);
      })
      .catch(() => undefined); // a store error: the queue is read again at the next re-read (`reread`)
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

  /**
   * Where each queued one of `conversations` stands (those among the first POSITIONS_TOLD), for a
   * visitor who connects: a reloaded page shows its place at once, not at the next move.
   */
  async placesOf(conversations: readonly ConversationRecord[]): Promise<QueuePosition[]> {
    const places: QueuePosition[] = [];
    for (const conversation of conversations) {
      const team = conversation.team;
      if (team === undefined || !isQueued(conversation)) continue;
      const queue = await this.ready(team);
      const entry = queue.byId.get(conversation.id);
      const index = entry ? queue.indexOf(entry) : -1;
      if (index >= 0 && index < POSITIONS_TOLD) places.push({ conversationId: conversation.id, team, position: index + 1, waiting: queue.entries.length });
    }
    return places;
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
    this.bus.publish(QUEUE_TAKEN, { conversationId: conversation.id, team: conversation.team, participants: conversation.participants });
    this.tellTaken(conversation.id, conversation.team, conversation.participants);
  }

  /** Tells this node's connections of the conversation's parties that it left the queue for an agent. */
  private tellTaken(conversationId: string, team: string, participants: readonly Address[]): void {
    const rooms = participants.map((address): HubRoom => ({ kind: 'address', address }));
    this.emit(rooms, 'queue:position', { conversationId, team, position: 0, waiting: 0 });
  }

  /**
   * Conversations were deleted without a change the announcer tells of (an erasure, a retention
   * sweep): each team's queue is read from the store again, and the visitors whose place changed
   * are told. What each was last told is kept, so the others get nothing. The other nodes do the
   * same for theirs.
   */
  async reread(): Promise<void> {
    this.bus.publish(QUEUES_REREAD, {});
    await this.rereadHere();
  }

  private async rereadHere(): Promise<void> {
    const known = [...this.teams];
    // All at once, before any read: a team read again meanwhile (a visitor asking) keeps its own.
    for (const [team, queue] of known) for (const id of queue.byId.keys()) if (this.teamOf.get(id) === team) this.teamOf.delete(id);
    this.teams.clear();
    const failed: unknown[] = [];
    for (const [team, queue] of known) {
      try {
        const fresh = await this.ready(team);
        for (const [id, last] of queue.told) if (fresh.byId.has(id) && !fresh.told.has(id)) fresh.told.set(id, last);
        this.schedule(team);
      } catch (error) {
        failed.push(error); // read at the team's next use
      }
    }
    if (failed.length > 0) throw failed[0];
  }

  /** Drops pending updates (at shutdown). */
  stop(): void {
    this.stopped = true;
    this.perTick.stop();
  }

  private followIn(team: string, conversation: ConversationRecord, queued: boolean): void {
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
    this.perTick.request(team, () => this.flush(team));
  }

  /**
   * Tells each visitor among the first POSITIONS_TOLD whose place changed, with the number waiting
   * now (looking only from the first place that changed, so a conversation joining at the end
   * costs one look).
   */
  private flush(team: string): void {
    const queue = this.teams.get(team);
    if (!queue?.seeded) return;
    const waiting = queue.entries.length;
    const told = Math.min(waiting, POSITIONS_TOLD);
    for (let index = queue.movedFrom; index < told; index++) {
      const entry = queue.entries[index]!;
      const position = index + 1;
      if (queue.told.get(entry.id) === position) continue;
      queue.told.set(entry.id, position);
      this.emit(entry.rooms, 'queue:position', { conversationId: entry.id, team, position, waiting });
    }
    queue.movedFrom = Infinity;
  }
}
