/**
 * MESSAGE requests from the bridge (RFC 3428): from a party's URI under the visitor domain (or the
 * bridge's own), with the sender's display name quoted (RFC 3261 section 25.1) and the gateway hop
 * marker. A final answer decides the message's fate: a 2xx sends it, a failure is a NetworkError
 * with the contract's code, retryable when another try may work.
 */
import type { Address } from '@switchboard/protocol';
import { Messager, UserAgent } from 'sip.js';
import { cleanHops } from '../../util/hops.js';
import { NetworkError } from '../network.js';
import { type VisitorDomain, quotedDisplayName } from './addresses.js';
import { type Frame, PLACEHOLDER_BODY, frameOf } from './request-size.js';
import type { SipSession } from './session.js';

/** The gateway hop marker (docs/gateway.md): an extension header (RFC 3261 section 7.3, no `X-` per RFC 6648). */
export const HOPS_HEADER = 'Switchboard-Hops';

/** The bridge itself as a sender (its own URI under the visitor domain). */
export const BRIDGE = Symbol('bridge');

/** Final responses worth another try (the outbox retries with backoff); anything else fails the message. */
const RETRYABLE = new Set([408, 480, 500, 503, 504]);

/** A final SIP failure as the error the outbox reads: the contract's code, and whether a retry can help. */
export function failure(statusCode: number, reason: string): NetworkError {
  const code =
    statusCode === 404 || statusCode === 604
      ? 'not_found'
      : statusCode === 403 || statusCode === 603
        ? 'forbidden'
        : statusCode === 413 || statusCode === 513
          ? 'too_large'
          : RETRYABLE.has(statusCode)
            ? 'unavailable'
            : 'bad_request';
  return new NetworkError(`SIP ${statusCode} ${reason}`, RETRYABLE.has(statusCode), code);
}

/**
 * A 415 answer (RFC 3261 section 21.4.13): the recipient does not take the body's type. `accepted`
 * lists the types its Accept header names, those a new try may use (section 8.1.3.5).
 */
export class UnsupportedBodyType extends NetworkError {
  constructor(
    reason: string,
    readonly accepted: readonly string[],
  ) {
    super(`SIP 415 ${reason}`, false, 'bad_request');
  }

  /** Whether the recipient said it takes `type` all the same (then the type is not what it refused). */
  takes(type: string): boolean {
    return this.accepted.includes(type.toLowerCase());
  }
}

/** The media types an Accept header names, without their parameters (RFC 3261 section 20.1). */
function acceptedTypes(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((entry) => entry.split(';')[0]!.trim().toLowerCase())
    .filter((type) => type !== '');
}

export interface OutgoingMessage {
  from: Address | typeof BRIDGE;
  fromName?: string;
  /** The recipient's URI. */
  to: string;
  body: string;
  contentType: string;
  via?: readonly string[];
}

export class SipMessenger {
  constructor(
    private readonly session: SipSession,
    private readonly domain: VisitorDomain,
  ) {}

  /** Sends one MESSAGE; resolves on a 2xx. */
  send(input: OutgoingMessage): Promise<void> {
    this.session.assertOnline();
    const request = this.prepared(input);
    if (!request) return Promise.reject(new NetworkError(`not a SIP URI: ${input.to}`, false, 'bad_request'));
    return new Promise<void>((resolve, reject) => {
      new Messager(this.session.ua, request.target, input.body, input.contentType, { extraHeaders: request.extraHeaders, params: request.params })
        .message({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: ({ message }) =>
              reject(
                message.statusCode === 415
                  ? new UnsupportedBodyType(message.reasonPhrase ?? 'Unsupported Media Type', acceptedTypes(message.getHeader('Accept')))
                  : failure(message.statusCode ?? 500, message.reasonPhrase ?? 'Error'),
              ),
          },
        })
        .catch((error: unknown) => reject(new NetworkError((error as Error).message, true)));
    });
  }

  /**
   * The bytes the MESSAGE `input` would take besides its body (request-size.ts), measured on the
   * request SIP.js builds for it, the very one `send` builds; undefined when `to` is no SIP URI.
   */
  frame(input: Omit<OutgoingMessage, 'body'>): Frame | undefined {
    const request = this.prepared(input);
    if (!request) return undefined;
    const { ua } = this.session;
    const body = { contentDisposition: 'render', contentType: input.contentType, content: PLACEHOLDER_BODY };
    const written = ua.userAgentCore.makeOutgoingRequestMessage(
      'MESSAGE',
      request.target,
      request.fromUri,
      request.target,
      request.params,
      request.extraHeaders,
      body,
    );
    const { viaHost, authorizationUsername, uri } = ua.configuration;
    return frameOf(written, { viaHost, username: authorizationUsername || uri.user || '', realm: uri.host });
  }

  /** What SIP.js is given for a MESSAGE: its target, From and extra headers. */
  private prepared(input: Omit<OutgoingMessage, 'body'>) {
    const target = UserAgent.makeURI(input.to);
    const fromUri = UserAgent.makeURI(input.from === BRIDGE ? this.domain.bridgeUri : this.domain.uriOf(input.from));
    if (!target || !fromUri) return undefined;
    const displayName = input.fromName ? quotedDisplayName(input.fromName) : '';
    const hops = cleanHops(input.via ?? []);
    const extraHeaders = hops.length > 0 ? [`${HOPS_HEADER}: ${hops.join(', ')}`] : [];
    return { target, fromUri, extraHeaders, params: { fromUri, ...(displayName ? { fromDisplayName: displayName } : {}) } };
  }
}
