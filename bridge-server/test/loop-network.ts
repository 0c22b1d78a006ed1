/**
 * A network for tests of the core's outbox and inbound path: it "sends" by recording, can be taken
 * offline and made to fail, and injects inbound traffic through the real sink. It stands in for a
 * network adapter, not for a protocol server: each real network has its own real-server tests.
 */
import type { Address, Message } from '@switchboard/protocol';
import { z } from 'zod';
import { type InboundSink, type InboundTeam, type Network, NetworkError, type NetworkStatus, type OutboundMessage } from '../src/networks/network.js';
import type { NetworkDefinition } from '../src/networks/registry.js';

export class LoopNetwork implements Network {
  readonly scheme = 'loop';
  readonly capabilities = { typing: true, presence: true, receipts: true, maxTextBytes: null, markup: 'plain' as const };
  readonly deliversFromStore = false;
  readonly sent: { message: Message; to: Address }[] = [];
  readonly typing: { from: Address; to: Address; state: string }[] = [];
  /** Failures to throw on the next sends, in order. */
  failures: NetworkError[] = [];
  /** Failures to throw on the next sends to one recipient (an agent who is away), in order. */
  readonly failuresFor = new Map<Address, NetworkError[]>();
  private current: NetworkStatus = { state: 'offline', reason: 'not started' };
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly sink: InboundSink,
    /** The site customers' conversations are filed under, for a team serving several. */
    private readonly customersSite?: string,
  ) {}

  status(): NetworkStatus {
    return this.current;
  }

  async start(): Promise<void> {
    this.setOnline(true);
  }

  async stop(): Promise<void> {
    this.current = { state: 'offline', reason: 'stopped' };
  }

  setOnline(online: boolean): void {
    this.current = online ? { state: 'online' } : { state: 'offline', reason: 'server unreachable' };
    this.sink.status(this.scheme, this.current);
  }

  async send({ message, to }: OutboundMessage) {
    const failure = this.failuresFor.get(to)?.shift() ?? this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ message, to });
    for (const waiter of this.waiters.splice(0)) waiter();
    return { remoteId: `loop-${message.id}` };
  }

  /** Addresses compare case-insensitively here, as JIDs and mail domains do. */
  normalizeAddress(address: string): Address | null {
    return address.startsWith('loop:') ? (address.toLowerCase() as Address) : null;
  }

  /** Every team takes customers' messages here (as SIP's team URIs do). */
  customerDoor(team: string): InboundTeam {
    return this.customersSite === undefined ? { id: team } : { id: team, site: this.customersSite };
  }

  async setTyping(input: { from: Address; to: Address; state: string }) {
    this.typing.push({ from: input.from, to: input.to, state: input.state });
  }

  /** Resolves once `count` messages were sent. */
  async waitForSent(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sent.length < count) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.sent.length} of ${count} sent`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

export function loopDefinition(): { definition: NetworkDefinition; network: () => LoopNetwork } {
  let instance: LoopNetwork | undefined;
  return {
    definition: {
      schema: z.object({ type: z.literal('loop'), customersSite: z.string().optional() }),
      create: ({ sink, config }) => (instance = new LoopNetwork(sink, (config as { customersSite?: string }).customersSite)),
    },
    network: () => instance!,
  };
}

export { NetworkError };
