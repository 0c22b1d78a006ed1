/**
 * The `/v1` socket.io namespace: authenticates each handshake, validates every payload against the
 * contract's schemas, applies the per-connection rate limit, and answers every event's ack exactly
 * once with `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`. Knows nothing of
 * networks: it calls the core.
 */
import type { Ack, Address, ClientEventName, ErrorBody, Message } from '@switchboard/protocol';
import { CLIENT_EVENTS, LIMITS } from '@switchboard/protocol';
import { clientEventSchemas, commonForms, describeIssues } from '@switchboard/protocol/schemas';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { LimitsConfig } from '../config.js';
import type { Actor } from '../core/actor.js';
import { actsForSite } from '../core/actor.js';
import type { Core } from '../core/core.js';
import { BridgeError, toErrorBody } from '../core/errors.js';
import { unacceptedField } from '../util/payload-guard.js';
import { toWireConversation } from '../core/wire.js';
import { errorForSite, textForSite, toClientForm, withSite, withoutSite } from '../networks/web/site-scope.js';
import type { Metrics } from '../metrics.js';
import { TokenBucket } from '../util/token-bucket.js';
import type { Authenticator } from './auth.js';
import { type TrustProxy, compileTrust, requestOrigin } from './request-origin.js';
import { type SocketHub, type V1Namespace, type V1Socket, roomName } from './socket-hub.js';

type Schemas = typeof clientEventSchemas;
/** Answers an event; what it throws (at once or later) becomes the error the client is acked with. */
type Handler<E extends ClientEventName> = (payload: z.infer<Schemas[E]>, actor: Actor, socket: V1Socket) => Promise<object | void> | void;
/** An event's handler as the connection's middleware calls it: the packet's arguments, its ack last if any. */
type Dispatch = (socket: V1Socket, args: unknown[]) => void;

/** JSON objects only: not arrays, not binary attachments, not class instances. */
/** A host as a `Host` header names one: a name or an address, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The address the client reached the bridge at, for links it opens: its handshake's scheme and
 * host, as a proxy `server.trustProxy` trusts forwards them (an https page behind a proxy that
 * ends TLS gets https links); none when unusable.
 */
function reachedAt(socket: V1Socket, trust: TrustProxy): string | undefined {
  const origin = requestOrigin(socket.request, trust);
  return origin !== undefined && HOST.test(new URL(origin).host) ? origin : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'binary data';
  return typeof value;
}

const KNOWN_EVENTS = new Set<string>(CLIENT_EVENTS);

export interface SocketGatewayDeps {
  nsp: V1Namespace;
  hub: SocketHub;
  core: Core;
  authenticator: Authenticator;
  limits: LimitsConfig;
  logger: Logger;
  metrics: Metrics;
  /** `server.trustProxy`: which proxies' X-Forwarded-Proto and X-Forwarded-Host are believed. */
  trust?: TrustProxy;
}

export class SocketGateway {
  private draining = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /**
   * Every event's handler, made once for all connections: a connection holds one middleware, not
   * a listener per event (two dozen closures per idle connection otherwise).
   */
  private readonly handlers = new Map<string, Dispatch>();
  private readonly trust: TrustProxy;

  constructor(private readonly deps: SocketGatewayDeps) {
    this.trust = deps.trust ?? compileTrust(undefined);
    this.registerHandlers();
    deps.nsp.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          const body = toErrorBody(error);
          if (body.code === 'internal') deps.logger.error({ err: error }, 'handshake failed');
          deps.metrics.errors.inc({ code: body.code });
          next(Object.assign(new Error(body.message), { data: body }));
        },
      );
    });
    deps.nsp.on('connection', (socket) => this.onConnection(socket));
  }

  private async authenticate(socket: V1Socket): Promise<void> {
    if (this.draining) throw new BridgeError('unavailable', 'The bridge is shutting down; reconnect in a moment.');
    const result = await this.deps.authenticator.authenticateHandshake(socket.handshake.auth, socket.request);
    if (result.party) await this.deps.core.parties.admit(result.party);
    // A visitor who signs in on a device where they were anonymous: that visitor is them too.
    if (result.signedInFrom) {
      const { address, siteKey } = result.actor;
      // Best effort, as every proof: a store that fails here does not refuse the sign-in.
      await this.deps.core.contacts
        .link({ siteKey, party: address, address: result.signedInFrom, proof: 'identity' })
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'signed-in visitor not linked to their anonymous session'));
      // What they began before signing in goes on as the user: replies reach them, their list shows it.
      await this.deps.core.conversations
        .signedIn(siteKey, result.signedInFrom, address)
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'signed-in visitor not joined to their conversations from before'));
    }
    socket.data = {
      actor: connectionActor(result.actor, socket.id),
      token: result.token,
      ...(result.consoleSession !== undefined ? { consoleSession: result.consoleSession } : {}),
    };
  }

  private onConnection(socket: V1Socket): void {
    const { actor, token = '', consoleSession } = socket.data;
    // The token is sent once, below: every connection keeping its own copy would cost memory for nothing.
    socket.data = consoleSession !== undefined ? { actor, consoleSession } : { actor };
    const { hub, metrics, logger } = this.deps;
    // The contract: `session` is the first event a client receives.
    const { continuations, outreach } = this.deps.core;
    const continueOn = actor.role === 'visitor' ? continuations.networksOf(actor.siteKey) : undefined;
    // Visitors: whether a reply reaches them by mail once they left (what the widget's offline form may promise).
    const repliesByEmail = actor.role === 'visitor' && this.deps.core.visitorMail.repliesByEmail();
    // Agents: where they may invite a visitor to continue, and start conversations (the console's choices).
    const inviteTo = actor.role === 'agent' ? continuations.networksOf(actor.siteKey) : undefined;
    const outreachTo = actor.role === 'agent' ? outreach.networksOf(actor.siteKey) : undefined;
    socket.emit('session', {
      token,
      self: withoutSite(actor.address),
      role: actor.role,
      siteKey: actor.siteKey,
      ...(actor.name ? { name: actor.name } : {}),
      ...(continueOn ? { continueOn } : {}),
      ...(repliesByEmail ? { repliesByEmail } : {}),
      ...(inviteTo ? { inviteTo } : {}),
      ...(outreachTo ? { outreachTo } : {}),
      // A composer counts against the limit that holds here, not the protocol's.
      ...(this.deps.limits.maxTextLength < LIMITS.maxTextLength ? { maxTextLength: this.deps.limits.maxTextLength } : {}),
    });
    // Then where the party's conversations continue on other networks, if anywhere, and a visitor's
    // places in queues (after a reload).
    if (actor.role !== 'integration')
      this.deps.core
        .standing(actor)
        .then(({ continuations, positions }) => {
          for (const continuation of continuations) socket.emit('continuation', continuation);
          for (const position of positions) socket.emit('queue:position', position);
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'continuations and queue places not shown on connection'));
    const rooms = [roomName({ kind: 'address', address: actor.address })];
    if (actsForSite(actor)) rooms.push(roomName({ kind: 'agents', siteKey: actor.siteKey }));
    void socket.join(rooms);
    hub.attach(actor.address, actor.siteKey);
    metrics.connections.inc({ role: actor.role });
    logger.debug({ address: actor.address, role: actor.role, connection: socket.id }, 'connected');

    const bucket = new TokenBucket(this.deps.limits.ratePerSecond, this.deps.limits.burst);
    socket.use((packet, next) => {
      const event = String(packet[0]);
      const last: unknown = packet.at(-1);
      const ack = typeof last === 'function' ? (last as (response: Ack) => void) : undefined;
      const refuse = (error: ErrorBody) => {
        metrics.errors.inc({ code: error.code });
        ack?.({ ok: false, error });
      };
      // Every event takes a token first, known or not, so junk cannot be sent faster than honest work.
      if (!bucket.take())
        return refuse({
          code: 'rate_limited',
          message: `Too many events: at most ${this.deps.limits.ratePerSecond} per second on one connection; slow down and retry.`,
        });
      if (!KNOWN_EVENTS.has(event))
        return refuse({ code: 'bad_request', message: `event: unknown event "${event.slice(0, 64)}"; see docs/protocol.md for the events of /v1` });
      if (this.draining) return refuse({ code: 'unavailable', message: 'The bridge is shutting down; retry after reconnecting.' });
      const dispatch = this.handlers.get(event);
      if (!dispatch) return next();
      dispatch(socket, packet.slice(1));
    });

    socket.on('disconnect', () => {
      hub.detach(actor.address);
      metrics.connections.dec({ role: actor.role });
    });
  }

  /** The handlers of every event of /v1 (docs/protocol.md). */
  private registerHandlers(): void {
    const { conversations, messages, parties, presenceWatch } = this.deps.core;
    // Addresses a client writes are its site's: web identities get the site (networks/web/site-scope.ts).
    const own = (address: string, a: Actor) => withSite(address as Address, a.siteKey);
    this.handle('conversation:open', async (p, a) => {
      // `to` with `team`: outreach to a customer on their network (docs/customers.md, "Outreach").
      if (p.to !== undefined && p.team !== undefined)
        return { conversation: toWireConversation((await this.deps.core.outreach.open(a, { ...p, to: p.to, team: p.team })).conversation) };
      return { conversation: await conversations.open(a, p.to === undefined ? p : { ...p, to: own(p.to, a) }) };
    });
    this.handle('conversation:list', async (p, a) => ({ conversations: await conversations.list(a, p) }));
    this.handle('conversation:close', async (p, a) => ({ conversation: await conversations.closeFor(a, p.conversationId) }));
    this.handle('conversation:rate', async (p, a) => ({ conversation: await conversations.rate(a, p) }));
    this.handle('agent:command', async (p, a) => ({ answer: textForSite(await this.deps.core.agentCommand(a, p.text), a.siteKey) }));
    this.handle('message:send', async (p, a) => ({ message: await messages.send(a, p) }));
    this.handle('history:get', (p, a) => messages.history(a, p));
    this.handle('file:link', (p, a, s) => this.deps.core.files.linkFor(a, p.fileId, p.variant, reachedAt(s, this.trust)));
    this.handle('sync', async (p, a, s) => {
      const { skipped } = await messages.sync(a, p.cursors, (message) => this.replay(s, a, message));
      if (p.statuses) for (const status of await messages.statusesSince(a, p.statuses)) s.emit('message:status', status);
      return skipped.length > 0 ? { skipped } : {};
    });
    this.handle('typing', (p, a) => messages.typing(a, p));
    this.handle('read', (p, a) => messages.read(a, p));
    this.handle('presence:subscribe', async (p, a, s) => {
      const { rooms: watch, ...result } = await presenceWatch.subscribe(
        a,
        p.addresses === undefined ? p : { ...p, addresses: p.addresses.map((address) => own(address, a)) },
      );
      void s.join(watch.map(roomName));
      return result;
    });
    this.handle('presence:set', (p, a) => presenceWatch.set(a, p));
    this.handle('profile:update', async (p, a) => ({ party: await parties.updateProfile(a, p) }));
    this.handle('party:get', async (p, a) => ({ party: await parties.get(a, own(p.address, a)) }));
    const { continuations } = this.deps.core;
    this.handle('continuation:start', async (p, a) => ({ continuation: await continuations.start(a, p) }));
    this.handle('continuation:verify', async (p, a) => ({ continuation: await continuations.verify(a, p) }));
    this.handle('continuation:stop', async (p, a) => ({ continuation: await continuations.stop(a, p) }));
    this.handle('continuation:invite', async (p, a) => ({ offer: await continuations.invite(a, p) }));

    // Contacts (docs/protocol.md, "Contacts"): the site's agents and integrations only.
    const { contacts } = this.deps.core;
    this.handle('contact:get', async (p, a) => ({
      contact: await contacts.get(a, p.address !== undefined ? { address: own(p.address, a) } : { contactId: p.contactId! }),
    }));
    this.handle('contact:merge', (p, a) => contacts.merge(a, p.contactId, p.into));
    this.handle('contact:unmerge', async (p, a) => ({ contacts: await contacts.unmerge(a, p.mergeId) }));

    // The agents' inbox (docs/protocol.md, "Addition: the agent inbox"): the site's agents only.
    const { inbox, desk, notes } = this.deps.core;
    this.handle('inbox:list', async (p, a) => ({ items: await inbox.list(a, p) }));
    this.handle('inbox:counts', async (p, a) => ({ counts: await inbox.counts(a, p.team) }));
    this.handle('inbox:search', async (p, a) => ({ results: await inbox.search(a, p) }));
    this.handle('conversation:claim', async (p, a) => ({ conversation: await desk.claim(a, p.conversationId) }));
    this.handle('conversation:transfer', async (p, a) => ({ conversation: await desk.transfer(a, p.conversationId, p.to) }));
    this.handle('desk:directory', async (_p, a) => ({ teams: desk.directory(a) }));
    this.handle('canned:list', async (p, a) => ({ canned: desk.canned(a, p.team) }));
    this.handle('note:add', async (p, a) => ({ note: await notes.add(a, p) }));
    this.handle('note:list', async (p, a) => ({ notes: await notes.list(a, p.conversationId) }));
    // Reports (docs/support-desk.md, "Reports"): of the caller's site, for its agents and integrations.
    this.handle('report:get', (p, a) => {
      if (!actsForSite(a)) throw new BridgeError('forbidden', 'report:get is for agents and integrations');
      return this.deps.core.reports.report(a.siteKey, p);
    });
  }

  /** A replayed message asks for the client's acknowledgement, which counts as `delivered`. */
  private replay(socket: V1Socket, actor: Actor, message: Message): void {
    const pending = message.from !== actor.address && (message.status === 'accepted' || message.status === 'sent');
    const wire = toClientForm(message);
    if (!pending) {
      socket.emit('message', wire);
      return;
    }
    socket.emit('message', wire, () => this.deps.core.messages.delivered(message.id));
  }

  private handle<E extends ClientEventName>(event: E, run: Handler<E>): void {
    const schema = clientEventSchemas[event];
    const commonForm = commonForms[event];
    // Payloads are read as the unknown values they are until their schema has checked them.
    this.handlers.set(event, (socket, args) => {
      const last = args.at(-1);
      let acked = false;
      const ack = (response: Ack) => {
        if (acked) return;
        acked = true;
        if (typeof last === 'function') (last as (r: Ack) => void)(response);
      };
      if (typeof last === 'function') args.pop();
      // `conversation:list` and `desk:directory` may be sent with no payload at all.
      const raw = args.length === 0 && (event === 'conversation:list' || event === 'desk:directory') ? {} : args[0];
      const fail = (error: ErrorBody) => {
        this.deps.metrics.errors.inc({ code: error.code });
        ack({ ok: false, error });
      };
      if (!isPlainObject(raw)) return fail({ code: 'bad_request', message: `payload: expected an object, received ${describeType(raw)}` });
      // Arguments past the payload are not read, but binary data is refused wherever it comes.
      for (const extra of args.slice(1)) {
        const unaccepted = unacceptedField(extra, 'payload');
        if (unaccepted !== undefined) return fail({ code: 'bad_request', message: unaccepted });
      }
      // The common form of a hot event holds only its own keys: none can be a polluting one.
      let payload = commonForm?.(raw);
      if (payload === undefined) {
        const unaccepted = unacceptedField(raw, 'payload');
        if (unaccepted !== undefined) return fail({ code: 'bad_request', message: unaccepted });
        const parsed = schema.safeParse(raw);
        if (!parsed.success) return fail({ code: 'bad_request', message: describeIssues(parsed.error) });
        payload = parsed.data as z.infer<Schemas[E]>;
      }
      const checked = payload;
      this.inFlight++;
      new Promise<object | void>((resolve) => resolve(run(checked, socket.data.actor, socket)))
        .then(
          (result) => ack({ ok: true, ...toClientForm(result ?? {}) }),
          (error: unknown) => {
            const body = toErrorBody(error);
            if (body.code === 'internal') this.deps.logger.error({ err: error, event }, 'handler failed');
            // Addresses in the words as the party writes them (the contract's forms, not the bridge's own).
            fail(errorForSite(body, socket.data.actor.siteKey));
          },
        )
        .finally(() => {
          this.inFlight--;
          if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    });
  }

  /** Refuses new work and resolves once in-flight requests are answered (or `timeoutMs` passed). */
  drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * The actor of one connection, built field by field: every connection's actor then shares one
 * hidden class (a spread copy got one of its own per connection, about 200 bytes each).
 */
function connectionActor(actor: Actor, connectionId: string): Actor {
  const own: Actor = { address: actor.address, role: actor.role, siteKey: actor.siteKey, connectionId };
  if (actor.name !== undefined) own.name = actor.name;
  return own;
}
