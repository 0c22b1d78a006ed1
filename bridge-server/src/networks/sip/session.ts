/**
 * The bridge's one SIP user agent (SIP.js over WebSocket, RFC 7118): connect, REGISTER with digest
 * authentication (RFC 3261 section 22) and keep it refreshed, and reconnect and register again with
 * the shared backoff after a drop (a proxy restart loses every registration).
 */
import type { Logger } from 'pino';
import { type Message, Registerer, RegistererState, UserAgent } from 'sip.js';
import WebSocket from 'ws';
import { Reconnector } from '../../util/backoff.js';
import { type InboundSink, NetworkError, type NetworkStatus } from '../network.js';
import type { SipNetworkConfig } from './config.js';
import { bounded } from '../../util/bounded.js';

// SIP.js opens `new WebSocket(url, 'sip')` on the global; Node 20 has none (Node 22 does).
const globals = globalThis as { WebSocket?: unknown };
globals.WebSocket ??= WebSocket;

export interface SipSessionOptions {
  config: SipNetworkConfig;
  sink: InboundSink;
  logger: Logger;
  onMessage(message: Message): void;
  /** Registered (at start and after every reconnection). */
  onOnline(): void;
  onOffline(): void;
}

export class SipSession {
  readonly ua: UserAgent;
  private readonly registerer: Registerer;
  private current: NetworkStatus = { state: 'offline', reason: 'not started' };
  private stopped = false;
  private readonly reconnector: Reconnector;

  constructor(private readonly options: SipSessionOptions) {
    const { config } = options;
    this.ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${config.username}@${config.domain}`),
      authorizationUsername: config.authorizationUsername ?? config.username,
      authorizationPassword: config.password,
      // No reconnection options: SIP.js' own reconnection is off by default (its options are
      // deprecated and warn), and the shared Reconnector drives reconnection.
      transportOptions: { server: config.server, connectionTimeout: config.connectTimeoutSeconds },
      logLevel: 'error',
      logBuiltinEnabled: false,
      logConnector: (level, category, label, content) => options.logger.debug({ level, category, label }, content),
      userAgentString: 'Switchboard',
      delegate: {
        onMessage: (message) => options.onMessage(message),
        onDisconnect: (error) => {
          if (this.stopped) return;
          options.onOffline();
          this.setStatus({ state: 'offline', reason: `connection to the SIP proxy lost${error ? `: ${error.message}` : ''}` });
          this.reconnector.schedule();
        },
      },
    });
    this.registerer = new Registerer(this.ua, { expires: config.registerExpiresSeconds, refreshFrequency: 90 });
    this.registerer.stateChange.addListener((state) => {
      // A refresh that failed (the proxy forgot us): register again through the reconnect path.
      if (state === RegistererState.Unregistered && this.current.state === 'online' && !this.stopped) {
        options.onOffline();
        this.setStatus({ state: 'offline', reason: 'registration lost' });
        this.reconnector.schedule();
      }
    });
    this.reconnector = new Reconnector(
      () => this.connectOnce(),
      (error, attempt, delayMs) => {
        options.logger.warn({ err: error, attempt, retryInMs: delayMs }, 'sip connection failed');
        this.setStatus({ state: 'offline', reason: (error as Error).message });
      },
    );
  }

  get status(): NetworkStatus {
    return this.current;
  }

  private setStatus(next: NetworkStatus): void {
    this.current = next;
    this.options.sink.status('sip', next);
  }

  private async connectOnce(): Promise<void> {
    if (this.stopped) return;
    this.setStatus({ state: 'connecting' });
    if (this.ua.isConnected()) await this.ua.transport.disconnect().catch(() => undefined);
    await (this.ua.state === 'Started' ? this.ua.reconnect() : this.ua.start());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to REGISTER within ${this.options.config.connectTimeoutSeconds} s`)), this.options.config.connectTimeoutSeconds * 1000);
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
    this.setStatus({ state: 'online' });
    this.options.logger.info({ aor: `sip:${this.options.config.username}@${this.options.config.domain}` }, 'sip registered');
    this.options.onOnline();
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.reconnector.start();
    try {
      await this.connectOnce();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'sip: first connection failed; retrying in the background');
      this.setStatus({ state: 'offline', reason: (error as Error).message });
      this.reconnector.schedule();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnector.stop();
    // Unregistering is a courtesy: a proxy that does not answer must not hold the shutdown up.
    if (this.current.state === 'online') await bounded(this.registerer.unregister(), 2_000);
    await bounded(this.ua.stop(), 2_000);
    // SIP.js may still wait on a subscription the proxy already ended: close the socket regardless.
    await bounded(this.ua.transport.disconnect(), 1_000);
    this.current = { state: 'offline', reason: 'stopped' };
  }

  /** Fails with a retryable error unless registered, so the outbox keeps the message. */
  assertOnline(): void {
    if (this.current.state !== 'online') throw new NetworkError(`sip is ${this.current.state}${this.current.reason ? ` (${this.current.reason})` : ''}`, true);
  }
}
