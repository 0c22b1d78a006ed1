/** A stand-in for a MESSAGE the SIP network receives, without a proxy: the final answer it gets. */
import { type Message as IncomingMessage, UserAgent } from 'sip.js';
import type { IncomingMessages } from '../src/networks/sip/incoming.js';

export interface SipAnswer {
  statusCode: number;
  reasonPhrase: string;
  extraHeaders?: string[];
}

/** Hands `incoming` a MESSAGE from `from` to `to` (URIs); resolves with `accepted` or the refusal. */
export function answerOf(
  incoming: IncomingMessages,
  request: {
    to: string;
    from: string;
    contentType?: string;
    /** Other headers of the request, by name as SIP.js is asked for them. */
    headers?: Record<string, string>;
    body?: string;
    callId?: string;
    cseq?: number;
    /** Sees the options of the 2xx (its Warning header). */
    acceptedWith?(options: SipAnswer | undefined): void;
  },
): Promise<SipAnswer | 'accepted'> {
  return new Promise((resolve) => {
    incoming.handle({
      request: {
        to: { uri: UserAgent.makeURI(request.to)! },
        from: { uri: UserAgent.makeURI(request.from)! },
        getHeader: (name: string) => (name === 'Content-Type' ? (request.contentType ?? 'text/plain;charset=UTF-8') : request.headers?.[name]),
        getHeaders: () => [],
        body: request.body ?? 'hi',
        callId: request.callId ?? 'call-1',
        cseq: request.cseq ?? 1,
      },
      accept: (options?: SipAnswer) => {
        request.acceptedWith?.(options);
        return Promise.resolve(resolve('accepted'));
      },
      reject: (answer: SipAnswer) => Promise.resolve(resolve(answer)),
    } as unknown as IncomingMessage);
  });
}
