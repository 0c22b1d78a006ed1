/**
 * The bridge's one SIP user agent (SIP.js over WebSocket, RFC 7118): connect, REGISTER with digest
 * authentication (RFC 3261 section 22) and keep it refreshed, and reconnect and register again with
 * the shared backoff after a drop (a proxy restart loses every registration).
 */
import type { Logger } from 'pino';
import { type Message, Registerer, RegistererState, UserAgent, UserAgentState } from 'sip.js';
import WebSocket from 'ws';
import { Link } from '../kit/link.js';
import type { InboundSink, NetworkStatus } from '../network.js';
import type { SipNetworkConfig } from './config.js';
import { type RawBodies, rawBodyTransport } from './raw-bodies.js';
import { bounded } from '../../util/bounded.js';

// SIP.js opens `new WebSocket(url, 'sip')` on the global; Node 20 has none (Node 22 does).
const globals = globalThis as { WebSocket?: unknown };
globals.WebSocket ??= WebSocket;

export interface SipSessionOptions {
  config: SipNetworkConfig;
  sink: InboundSink;
  logger: Logger;
  onMessage(message: Message): void;
  /** Where the bodies of MESSAGEs that came in binary frames are kept (raw-bodies.ts). */
  rawBodies?: RawBodies;
  /** Registered (at start and after every reconnection). */
  onOnline(): void;
  onOffline(): void;
}

export class SipSession {
  readonly ua: UserAgent;
  private registerer: Registerer;
  /** Whether stop() ended the user agent, which disposed of its registerer: a start needs a new one. */
  private registererDisposed = false;
  private readonly link: Link;
  /** Set while a connection attempt closes the last transport before it connects again. */
  private closingForRetry = false;

  constructor(private readonly options: SipSessionOptions) {
    const { config } = options;
    this.ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${config.username}@${config.domain}`),
      authorizationUsername: config.authorizationUsername ?? config.username,
      authorizationPassword: config.password,
      // No reconnection options: SIP.js' own reconnection is off by default (its options are
      // deprecated and warn), and the kit's link drives reconnection.
      transportOptions: { server: config.server, connectionTimeout: config.connectTimeoutSeconds },
      ...(options.rawBodies ? { transportConstructor: rawBodyTransport(options.rawBodies, config.visitorDomain) } : {}),
      logLevel: 'error',
      logBuiltinEnabled: false,
      logConnector: (level, category, label, content) => options.logger.debug({ level, category, label }, content),
      userAgentString: 'Switchboard',
      delegate: {
        onMessage: (message) => options.onMessage(message),
        onDisconnect: (error) => {
          // A retry's own disconnect before it connects again (connectOnce) is no drop: the
          // retry's outcome is the status (a refused REGISTER's reason, not "connection lost").
          if (this.link.stopped || this.closingForRetry) return;
          options.onOffline();
          this.link.dropped(`connection to the SIP proxy lost${error ? `: ${error.message}` : ''}`);
        },
      },
    });
    this.registerer = this.newRegisterer();
    this.link = new Link({ name: 'sip', connect: () => this.connectOnce(), report: (status) => options.sink.status('sip', status), logger: options.logger });
  }

  private newRegisterer(): Registerer {
    const registerer = new Registerer(this.ua, { expires: this.options.config.registerExpiresSeconds, refreshFrequency: 90 });
    registerer.stateChange.addListener((state) => {
      // A refresh that failed (the proxy forgot us): register again through the reconnect path.
      if (registerer === this.registerer && state === RegistererState.Unregistered && this.link.status.state === 'online' && !this.link.stopped) {
        this.options.onOffline();
        this.link.dropped('registration lost');
      }
    });
    return registerer;
  }

  get status(): NetworkStatus {
    return this.link.status;
  }

  private async connectOnce(): Promise<void> {
    if (this.ua.isConnected()) {
      this.closingForRetry = true;
      try {
        await this.ua.transport.disconnect().catch(() => undefined);
      } finally {
        this.closingForRetry = false;
      }
    }
    await (this.ua.state === UserAgentState.Started ? this.ua.reconnect() : this.ua.start());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to REGISTER within ${this.options.config.connectTimeoutSeconds} s`)),
        this.options.config.connectTimeoutSeconds * 1000,
      );
      this.registerer
        .register({
          requestDelegate: {
            onAccept: () => {
              clearTimeout(timer);
              resolve();
            },
            onReject: (response) => {
              clearTimeout(timer);
              reject(new Error(`the SIP registrar refused REGISTER: ${response.message.statusCode} ${response.message.reasonPhrase}`));
            },
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
    // Registered while the network stopped: the stop ends the user agent; nothing is online.
    if (this.link.stopped) return;
    this.link.up();
    this.options.logger.info({ aor: `sip:${this.options.config.username}@${this.options.config.domain}` }, 'sip registered');
    this.options.onOnline();
  }

  /**
   * Connects and registers; again after a stop (a cluster node that gets the network's lease back
   * runs the same network again), with a new registerer: SIP.js disposed of the last one.
   */
  start(): Promise<void> {
    if (this.registererDisposed) {
      this.registererDisposed = false;
      this.registerer = this.newRegisterer();
    }
    return this.link.start();
  }

  stop(): Promise<void> {
    const registered = this.link.status.state === 'online';
    return this.link.stop(async () => {
      // Unregistering is a courtesy: a proxy that does not answer must not hold the shutdown up.
      if (registered) await bounded(this.registerer.unregister(), 2_000);
      this.registererDisposed = true;
      await bounded(this.ua.stop(), 2_000);
      // SIP.js may still wait on a subscription the proxy already ended: close the socket regardless.
      await bounded(this.ua.transport.disconnect(), 1_000);
    });
  }

  /** Fails with a retryable error unless registered, so the outbox keeps the message. */
  assertOnline(): void {
    this.link.assertOnline();
  }
}
