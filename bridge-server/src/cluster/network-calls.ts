/**
 * The calls to a network that do not go through the outbox, made on a node that does not hold the
 * network's lease: they travel over the cluster bus to every node, and the holder makes them on its
 * connection.
 * - Told (`forward`): typing, read markers, receipts, conversation announcements, the presence
 *   to follow (a gateway conversation's users). Best effort, as they are on one node: while no node
 *   holds the lease (a takeover) they go nowhere; a node that takes a network over follows its
 *   gateway users again (server.ts).
 * - Asked (`ask`): a send the caller waits for (a continuation's code, sent at once and never
 *   queued), a desk line (`notice`: a handover notes that its context line went out, so that a
 *   node finishing it does not send it again), and what the network says of an address
 *   (`identityOf`). The holder answers the asking node; with no answer within `ANSWER_MS`
 *   (`NOTICE_ANSWER_MS` for a desk line, which routing waits for) the call fails as a network that
 *   is down does.
 */
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { NetworkError } from '../networks/network.js';
import { newId } from '../util/ids.js';
import type { ClusterBus } from './bus.js';

/** The network methods passed on to the holder; each takes its arguments as plain JSON. */
export const FORWARDED_CALLS = ['setTyping', 'markRead', 'reportStatus', 'conversationChanged', 'subscribePresence'] as const;
export type ForwardedCall = (typeof FORWARDED_CALLS)[number];
/** The methods whose answer the caller waits for. */
export const ASKED_CALLS = ['send', 'notice', 'identityOf'] as const;
export type AskedCall = (typeof ASKED_CALLS)[number];

/** How long an asking node waits for the holder's answer. */
const ANSWER_MS = 10_000;
/**
 * A desk line's: a new conversation's routing waits for its context line, so a takeover (no holder
 * to answer) holds it up no longer than this; well within the handover's wait (INTRODUCE_WAIT_MS,
 * desk/handover.ts), so a line that went out is heard of in time to be noted.
 */
export const NOTICE_ANSWER_MS = 3_000;

const NETWORK_CALL = 'network:call';
const NETWORK_ANSWER = 'network:answer';
const callSchema = z.strictObject({
  scheme: z.string().min(1),
  method: z.enum([...FORWARDED_CALLS, ...ASKED_CALLS]),
  args: z.array(z.unknown()).max(4),
  /** Asked calls: the id the answer names. */
  id: z.string().min(1).max(64).optional(),
});
type NetworkCall = z.infer<typeof callSchema>;
const answerSchema = z.strictObject({
  id: z.string().min(1).max(64),
  result: z.unknown().optional(),
  error: z.strictObject({ message: z.string(), retryable: z.boolean(), code: z.string().optional() }).optional(),
});
type NetworkAnswer = z.infer<typeof answerSchema>;

type Maker = (method: ForwardedCall | AskedCall, args: unknown[]) => Promise<unknown> | undefined;

export interface NetworkCalls {
  /** Passes a call on to whichever node holds `scheme`'s lease. */
  forward(scheme: string, method: ForwardedCall, args: unknown[]): void;
  /** Asks the holder of `scheme`'s lease to make a call, and resolves with its answer (failing after `timeoutMs`, by default `ANSWER_MS`). */
  ask(scheme: string, method: AskedCall, args: unknown[], timeoutMs?: number): Promise<unknown>;
  /**
   * Makes the calls other nodes pass on for `scheme`: `make` answers undefined when this node
   * does not run the network (another node answers); returns the unsubscribe.
   */
  serve(scheme: string, make: Maker): () => void;
}

export class BusNetworkCalls implements NetworkCalls {
  private readonly makers = new Map<string, Maker>();
  private readonly waiting = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
  ) {
    bus.on<unknown>(NETWORK_CALL, (payload, fromNode) => {
      const parsed = callSchema.safeParse(payload);
      if (!parsed.success) {
        this.logger.warn({ fromNode, issues: parsed.error.issues.slice(0, 3) }, 'a malformed network call from another node was dropped');
        return;
      }
      this.make(parsed.data, fromNode);
    });
    bus.on<unknown>(NETWORK_ANSWER, (payload) => {
      const parsed = answerSchema.safeParse(payload);
      if (parsed.success) this.answered(parsed.data);
    });
  }

  forward(scheme: string, method: ForwardedCall, args: unknown[]): void {
    // JSON on the wire: what a call carries (a conversation, a message) is plain data already.
    this.bus.publish<NetworkCall>(NETWORK_CALL, { scheme, method, args });
  }

  ask(scheme: string, method: AskedCall, args: unknown[], timeoutMs = ANSWER_MS): Promise<unknown> {
    const id = newId('nc');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new NetworkError(`${scheme} did not answer: no node runs it at the moment`, true, 'unavailable'));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, { resolve, reject, timer });
      this.bus.publish<NetworkCall>(NETWORK_CALL, { scheme, method, args, id });
    });
  }

  serve(scheme: string, make: Maker): () => void {
    this.makers.set(scheme, make);
    return () => {
      if (this.makers.get(scheme) === make) this.makers.delete(scheme);
    };
  }

  private make(call: NetworkCall, fromNode: string): void {
    let made: Promise<unknown> | undefined;
    try {
      made = this.makers.get(call.scheme)?.(call.method, call.args);
    } catch (error) {
      made = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (made === undefined) return; // not run here: the holder answers
    const { id } = call;
    const answer = (reply: Omit<NetworkAnswer, 'id'>) => {
      if (id !== undefined) this.bus.publish<NetworkAnswer>(NETWORK_ANSWER, { id, ...reply }, fromNode);
    };
    made.then(
      (result) => answer(result === undefined ? {} : { result }),
      (error: unknown) => {
        this.logger.debug({ err: error, method: call.method }, 'a call passed on from another node failed');
        const failure = error instanceof NetworkError ? error : undefined;
        answer({
          error: {
            message: error instanceof Error ? error.message : String(error),
            retryable: failure?.retryable ?? true,
            ...(failure?.code !== undefined ? { code: failure.code } : {}),
          },
        });
      },
    );
  }

  private answered(answer: NetworkAnswer): void {
    const waiter = this.waiting.get(answer.id);
    if (!waiter) return;
    this.waiting.delete(answer.id);
    clearTimeout(waiter.timer);
    if (answer.error) waiter.reject(new NetworkError(answer.error.message, answer.error.retryable, answer.error.code as NetworkError['code']));
    else waiter.resolve(answer.result);
  }
}
