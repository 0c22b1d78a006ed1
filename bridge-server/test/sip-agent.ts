/** A real SIP user agent (SIP.js over WebSocket) acting as a support agent in the tests. */
import { type Message, Messager, type Notification, Publisher, Registerer, Subscriber, UserAgent } from 'sip.js';
import WebSocket from 'ws';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export interface SipAgent {
  ua: UserAgent;
  uri: string;
  inbox: Message[];
  /** Answers each incoming MESSAGE (200 by default). */
  answer: { statusCode: number; reasonPhrase?: string };
  /** When set, the only body types it takes: any other is answered 415 with these in Accept (as Baresip does). */
  takes?: string[];
  next(predicate: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
  /** Sends a MESSAGE; resolves with the final status code. */
  send(to: string, body: string, contentType?: string, extraHeaders?: string[]): Promise<number>;
  /** Sends a MESSAGE; resolves with the final answer: status, reason phrase and Warning header (RFC 3261 section 20.43). */
  request(
    to: string,
    body: string,
    contentType?: string,
    extraHeaders?: string[],
  ): Promise<{ statusCode: number; reasonPhrase: string; warning: string | undefined; retryAfter: string | undefined }>;
  /** PUBLISHes a PIDF presence document for the agent itself. */
  publish(pidf: string): Promise<void>;
  /** Withdraws that publication (PUBLISH with Expires: 0, RFC 3903 section 4.5). */
  unpublish(): Promise<void>;
  /** SUBSCRIBEs to someone's presence; every NOTIFY body lands in `notifications`. */
  watch(uri: string): Promise<{ notifications: string[]; stop(): Promise<void> }>;
  register(): Promise<void>;
  stop(): Promise<void>;
}

/** Ends a presence watch (RFC 6665 unsubscription); never throws. */
async function endWatch(subscriber: Subscriber): Promise<void> {
  await subscriber.unsubscribe().catch(() => undefined);
  await subscriber.dispose().catch(() => undefined);
}

async function waitFor<T>(get: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function connectSipAgent(
  wsUrl: string,
  domain: string,
  user: string,
  password: string,
  options: { displayName?: string } = {},
): Promise<SipAgent> {
  const inbox: Message[] = [];
  const uri = `sip:${user}@${domain}`;
  const agent = {} as SipAgent;
  const ua = new UserAgent({
    uri: UserAgent.makeURI(uri),
    authorizationUsername: user,
    authorizationPassword: password,
    ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
    transportOptions: { server: wsUrl },
    logLevel: 'error',
    delegate: {
      onMessage(message) {
        inbox.push(message);
        const type = message.request.getHeader('Content-Type')?.split(';')[0]?.trim().toLowerCase() ?? '';
        if (agent.takes && !agent.takes.includes(type)) {
          void message.reject({ statusCode: 415, reasonPhrase: 'Unsupported Media Type', extraHeaders: [`Accept: ${agent.takes.join(', ')}`] });
          return;
        }
        const { statusCode, reasonPhrase } = agent.answer;
        void (statusCode < 300 ? message.accept() : message.reject({ statusCode, ...(reasonPhrase ? { reasonPhrase } : {}) }));
      },
    },
  });
  const registerer = new Registerer(ua, { expires: 300 });
  const publisher = new Publisher(ua, UserAgent.makeURI(uri)!, 'presence', { contentType: 'application/pidf+xml', expires: 600 });
  /** Presence watches running, ended at `stop()` if a test did not end them. */
  const watches = new Set<Subscriber>();
  Object.assign(agent, {
    ua,
    uri,
    inbox,
    answer: { statusCode: 200 },
    next: (predicate: (message: Message) => boolean, timeoutMs = 10_000) => waitFor(() => inbox.find(predicate), `a MESSAGE at ${user}`, timeoutMs),
    request: (to: string, body: string, contentType = 'text/plain;charset=UTF-8', extraHeaders: string[] = []) =>
      new Promise<{ statusCode: number; reasonPhrase: string; warning: string | undefined; retryAfter: string | undefined }>((resolve, reject) => {
        const done = (response: { message: { statusCode?: number; reasonPhrase?: string; getHeader(name: string): string | undefined } }) =>
          resolve({
            statusCode: response.message.statusCode ?? 0,
            reasonPhrase: response.message.reasonPhrase ?? '',
            warning: response.message.getHeader('Warning'),
            retryAfter: response.message.getHeader('Retry-After'),
          });
        new Messager(ua, UserAgent.makeURI(to)!, body, contentType, { extraHeaders })
          .message({ requestDelegate: { onAccept: done, onReject: done } })
          .catch(reject);
      }),
    send: async (to: string, body: string, contentType?: string, extraHeaders?: string[]) =>
      (await agent.request(to, body, contentType, extraHeaders)).statusCode,
    publish: (pidf: string) => publisher.publish(pidf),
    unpublish: () => publisher.unpublish(),
    async watch(target: string) {
      const notifications: string[] = [];
      const subscriber = new Subscriber(ua, UserAgent.makeURI(target)!, 'presence', { expires: 600 });
      watches.add(subscriber);
      subscriber.delegate = {
        onNotify(notification: Notification) {
          notifications.push(notification.request.body);
          void notification.accept();
        },
      };
      await subscriber.subscribe();
      // The first NOTIFY says the subscription is in place: a publication after it is notified
      // (the proxy handles a SUBSCRIBE and a PUBLISH arriving together in parallel workers).
      await waitFor(() => (notifications.length > 0 ? true : undefined), `the first NOTIFY of ${target}`, 10_000);
      return {
        notifications,
        async stop() {
          watches.delete(subscriber);
          await endWatch(subscriber);
        },
      };
    },
    register: () =>
      new Promise<void>((resolve, reject) => {
        registerer
          .register({ requestDelegate: { onAccept: () => resolve(), onReject: (response) => reject(new Error(`REGISTER: ${response.message.statusCode}`)) } })
          .catch(reject);
      }),
    async stop() {
      // Watches a failed test left running end first: SIP.js's own stop waits for good on a live one.
      await Promise.all([...watches].map(endWatch));
      watches.clear();
      await publisher.dispose().catch(() => undefined);
      await ua.stop().catch(() => undefined);
    },
  } satisfies Partial<SipAgent>);
  await ua.start();
  await agent.register();
  return agent;
}

export const pidf = (entity: string, basic: 'open' | 'closed', activity?: 'away' | 'busy') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${entity}"><tuple id="t1"><status><basic>${basic}</basic></status></tuple>${activity ? `<dm:person id="p1"><rpid:activities><rpid:${activity}/></rpid:activities></dm:person>` : ''}</presence>`;
