/**
 * One XMPP connection (component or client) on the network kit's link: connect, open the stream,
 * wait for `online` (authentication and, for clients, binding happen in between), and reconnect
 * with backoff after a drop.
 *
 * A client's stream may have Stream Management (XEP-0198, which xmpp.js enables when the server
 * offers it): a message then counts as sent once the server acknowledged it, not once it was
 * written. A stanza still unacknowledged when the connection drops is sent again by xmpp.js if the
 * stream resumes; if it cannot resume (the server restarted), the send fails as retryable and the
 * outbox sends the message again. https://xmpp.org/extensions/xep-0198.html#acking
 */
import type { Element } from '@xmpp/component';
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { coalesceWrites } from '../../util/coalesced-writes.js';
import { Link } from '../kit/link.js';
import { type InboundSink, NetworkError, type NetworkStatus } from '../network.js';
import { decodeWholeCharacters } from './whole-characters.js';

/** xmpp.js's Stream Management state and events (absent on components: XEP-0114 has none). */
export interface StreamManagement {
  enabled: boolean;
  /** How long xmpp.js waits after a stanza before asking for an acknowledgement (ms). */
  requestAckDebounce: number;
  on(event: 'ack' | 'fail', listener: (stanza: Element) => void): unknown;
  /** The stream was resumed (xmpp.js then sets the entity online without an `online` event). */
  on(event: 'resumed', listener: () => void): unknown;
  off(event: 'resumed', listener: () => void): unknown;
}

export interface XmppEntity {
  status: string;
  reconnect: { stop(): void };
  connect(service: string): Promise<unknown>;
  open(options: { domain: string }): Promise<unknown>;
  stop(): Promise<unknown>;
  send(element: Element): Promise<unknown>;
  /** The connection's socket while connected (xmpp.js keeps it there). */
  socket?: unknown;
  /** The library's iq caller (absent on stand-ins): resolves with the result, rejects on an error. */
  iqCaller?: { request(element: Element, timeoutMs?: number): Promise<Element> };
  streamManagement?: StreamManagement;
  // Listeners take each event's own arguments (xmpp.js types them as any[]).
  /* eslint-disable @typescript-eslint/no-explicit-any */
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

export interface SessionOptions {
  service: string;
  domain: string;
  connectTimeoutSeconds: number;
  sink: InboundSink;
  logger: Logger;
  onOnline(): void;
  onOffline(): void;
  onStanza(stanza: Element): void;
  /**
   * Where status changes go instead of the sink: a network made of several connections (component
   * mode with gateway domains) reports one status for all of them.
   */
  onStatus?(status: NetworkStatus): void;
}

/**
 * How long after a burst of stanzas the server is asked to acknowledge them (ms): a message's
 * `sent` waits for that answer, so not xmpp.js's 250 ms; one request still covers a whole burst.
 */
const ACK_REQUEST_DELAY_MS = 1;

export class XmppSession {
  private connecting = false;
  /** The last close under way (a stop, or an attempt that came up after one). */
  private closing: Promise<void> | undefined;
  private readonly link: Link;
  /** Sends waiting for the server's acknowledgement (Stream Management), by the stanza sent. */
  private readonly unacknowledged = new Map<Element, { acknowledged(): void; lost(): void }>();

  constructor(
    private readonly entity: XmppEntity,
    private readonly options: SessionOptions,
  ) {
    entity.reconnect.stop(); // the kit's link drives reconnection, with the shared backoff
    decodeWholeCharacters(entity);
    this.link = new Link({
      name: 'xmpp',
      connect: () => this.connectOnce(),
      report: (status) => (options.onStatus ? options.onStatus(status) : options.sink.status('xmpp', status)),
      logger: options.logger,
    });
    const cameOnline = () => {
      // An attempt that was under way when the network stopped: it closes at once, or it would
      // keep a session (and the process) alive for a network that no longer runs.
      if (this.link.stopped) return void this.close();
      // The stanzas of a burst (a commit's messages, a message and its receipt) leave together.
      if (entity.socket instanceof Socket) coalesceWrites(entity.socket);
      this.link.up();
      options.onOnline();
    };
    entity.on('online', cameOnline);
    // A stream resumed after a drop (XEP-0198) is online as a new one is, with what was unacknowledged sent again.
    entity.streamManagement?.on('resumed', cameOnline);
    entity.on('disconnect', () => {
      // A failed attempt (refused login, ...) is reported and retried by the reconnect path.
      if (this.link.stopped || this.connecting) return;
      options.onOffline();
      this.link.dropped('connection to the XMPP server lost');
    });
    entity.on('error', (error: Error) => options.logger.debug({ err: error }, 'xmpp error'));
    const sm = entity.streamManagement;
    if (sm) {
      sm.requestAckDebounce = ACK_REQUEST_DELAY_MS;
      sm.on('ack', (stanza) => this.unacknowledged.get(stanza)?.acknowledged());
      sm.on('fail', (stanza) => this.unacknowledged.get(stanza)?.lost());
    }
    entity.on('stanza', (stanza: Element) => {
      try {
        options.onStanza(stanza);
      } catch (error) {
        options.logger.warn({ err: error }, 'xmpp stanza not handled');
      }
    });
  }

  get status(): NetworkStatus {
    return this.link.status;
  }

  private async connectOnce(): Promise<void> {
    const { entity, options } = this;
    this.connecting = true;
    // A close still under way would end the connection this attempt makes (xmpp.js closes the
    // socket current when it gets there).
    await this.closing;
    const finished = () => {
      // Let the disconnect that follows a failure pass first, so it is not taken for a drop.
      setImmediate(() => (this.connecting = false));
    };
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no answer from ${options.service} within ${options.connectTimeoutSeconds} s`)),
        options.connectTimeoutSeconds * 1000,
      );
      const onOnline = () => done();
      const onError = (error: Error) => done(error);
      const sm = entity.streamManagement;
      function done(error?: Error) {
        clearTimeout(timer);
        entity.off('online', onOnline);
        sm?.off('resumed', onOnline);
        entity.off('error', onError);
        if (error) {
          entity
            .stop()
            .catch(() => undefined)
            .finally(finished);
          reject(error);
        } else {
          finished();
          resolve();
        }
      }
      entity.once('online', onOnline);
      sm?.on('resumed', onOnline);
      entity.once('error', onError);
      entity
        .connect(options.service)
        .then(() => entity.open({ domain: options.domain }))
        .catch(onError);
    });
  }

  start(): Promise<void> {
    return this.link.start();
  }

  stop(): Promise<void> {
    return this.link.stop(() => this.close());
  }

  /**
   * Closes the stream, then the socket whatever the server does: xmpp.js gives a server that does
   * not answer the stream's close (a frozen one) a few seconds, then lets the socket go half-closed,
   * where it would stay open until the server wakes up. The next attempt waits for it (`closing`).
   */
  private close(): Promise<void> {
    const socket = this.entity.socket;
    this.closing = this.entity
      .stop()
      .catch(() => undefined)
      .then(() => {
        if (socket instanceof Socket && !socket.destroyed) socket.destroy();
      });
    return this.closing;
  }

  /**
   * Sends now, or fails with a retryable error so the outbox keeps the message. With Stream
   * Management, resolves once the server acknowledged the stanza.
   */
  async send(element: Element): Promise<void> {
    this.link.assertOnline();
    const acknowledged = this.entity.streamManagement?.enabled ? this.acknowledgementOf(element) : undefined;
    // Given up while the write is pending (the connection dropped): not an unhandled rejection.
    acknowledged?.catch(() => undefined);
    try {
      await this.entity.send(element);
    } catch (error) {
      this.unacknowledged.delete(element);
      throw new NetworkError((error as Error).message, true);
    }
    await acknowledged;
  }

  /** Settles once the server acknowledged `element`, or once xmpp.js gave it up (the stream could not resume). */
  private acknowledgementOf(element: Element): Promise<void> {
    return new Promise((resolve, reject) => {
      this.unacknowledged.set(element, {
        acknowledged: () => {
          this.unacknowledged.delete(element);
          resolve();
        },
        lost: () => {
          this.unacknowledged.delete(element);
          reject(new NetworkError('the connection to the XMPP server was lost before the server acknowledged the message', true));
        },
      });
    });
  }

  /** An iq query and its result (rejects on an error answer, a timeout, or no connection). */
  async request(iq: Element, timeoutMs = 10_000): Promise<Element> {
    this.link.assertOnline();
    if (!this.entity.iqCaller) throw new NetworkError('this connection makes no queries', false);
    return this.entity.iqCaller.request(iq, timeoutMs);
  }

  /** Sends if online; for notices that matter only now (presence, chat states). */
  trySend(element: Element): void {
    if (this.link.status.state === 'online') this.entity.send(element).catch(() => undefined);
  }
}
