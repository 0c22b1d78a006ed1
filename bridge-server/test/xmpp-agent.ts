/** A real XMPP client (@xmpp/client) acting as a support agent in the tests. */
import { type Client, client, xml } from '@xmpp/client';
import { decodeWholeCharacters } from '../src/networks/xmpp/whole-characters.js';

type Stanza = ReturnType<typeof xml>;

export interface Agent {
  xmpp: Client;
  jid: string;
  stanzas: Stanza[];
  /** Resolves with the next stanza matching `predicate` (including ones already received). */
  next(predicate: (stanza: Stanza) => boolean, timeoutMs?: number): Promise<Stanza>;
  send(stanza: Stanza): Promise<void>;
  stop(): Promise<void>;
}

/** Sessions made so far: each gets a resource of its own, as clients do. */
let sessions = 0;

/**
 * An XMPP user's client logged in to Prosody. `priority`: its presence's (RFC 6121 section 4.7.2.3);
 * `carbons`: it asks for copies of its account's chats on other devices (XEP-0280), as every
 * modern client does; `subscriptions`: whether it accepts subscription requests (the default), denies them, or leaves
 * them unanswered (a client that asks its user, who has not answered yet).
 */
export async function connectAgent(
  port: number,
  username: string,
  password: string,
  options: { presence?: boolean; priority?: number; carbons?: boolean; subscriptions?: 'accept' | 'deny' | 'ignore' } = {},
): Promise<Agent> {
  // A resource of its own: the previous session's unavailable presence, should the server send it
  // after this one's available (it closes the old session once the socket is gone), is that
  // resource's, and leaves this one available.
  const xmpp = client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username, password, resource: `desk${++sessions}` });
  // Read as the bridge reads its own streams: whole characters, and nothing after the stream's end
  // (xmpp.js would throw from the socket's event, in the test's process).
  decodeWholeCharacters(xmpp);
  const stanzas: Stanza[] = [];
  const waiters = new Set<() => void>();
  xmpp.on('error', () => undefined);
  xmpp.on('stanza', (stanza: Stanza) => {
    // Accept every subscription request, as an agent adding a visitor to its roster does (or deny each one).
    if (stanza.is('presence') && stanza.attrs.type === 'subscribe' && options.subscriptions !== 'ignore') {
      const answer = options.subscriptions === 'deny' ? 'unsubscribed' : 'subscribed';
      xmpp.send(xml('presence', { type: answer, to: stanza.attrs.from })).catch(() => undefined);
    }
    stanzas.push(stanza);
    for (const wake of waiters) wake();
  });
  await xmpp.start();
  if (options.carbons) await xmpp.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
  if (options.presence !== false)
    await xmpp.send(options.priority === undefined ? xml('presence') : xml('presence', {}, xml('priority', {}, String(options.priority))));
  return {
    xmpp,
    jid: `${username}@localhost`,
    stanzas,
    next(predicate, timeoutMs = 8000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < stanzas.length; seen++) {
            const stanza = stanzas[seen]!;
            if (predicate(stanza)) {
              cleanup();
              return resolve(stanza);
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for a stanza at ${username}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    send: (stanza) => xmpp.send(stanza),
    async stop() {
      await xmpp.stop().catch(() => undefined);
    },
  };
}

/** A chat message with an XEP-0359 origin-id, as a client writes it (a retransmission repeats the id). */
export const chatWithOriginId = (to: string, text: string, id: string): Stanza =>
  xml('message', { type: 'chat', to, id }, xml('body', {}, text), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }));

/** A chat message correcting the sender's earlier one whose stanza id was `replaces` (XEP-0308). */
export const correction = (to: string, text: string, id: string, replaces: string): Stanza =>
  xml('message', { type: 'chat', to, id }, xml('body', {}, text), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: replaces }));

/** A retraction (XEP-0424) of the sender's message whose stanza id was `retracts`, with its fallback body as clients send it. */
export const retraction = (to: string, id: string, retracts: string): Stanza =>
  xml(
    'message',
    { type: 'chat', to, id },
    xml('retract', { xmlns: 'urn:xmpp:message-retract:1', id: retracts }),
    xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:message-retract:1' }),
    xml('body', {}, "/me retracted a previous message, but it's unsupported by your client."),
  );

/** The stanza id a message says it retracts (XEP-0424), if it is a retraction. */
export const retractedBy = (stanza: Stanza): string | undefined => stanza.getChild('retract', 'urn:xmpp:message-retract:1')?.attrs.id;

/** The stanza id a message says it corrects (XEP-0308), if it is a correction. */
export const replacedBy = (stanza: Stanza): string | undefined => stanza.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id;

/** The same, asking for a XEP-0184 receipt. */
export const askingReceipt = (to: string, text: string, id: string): Stanza =>
  xml(
    'message',
    { type: 'chat', to, id },
    xml('body', {}, text),
    xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }),
    xml('request', { xmlns: 'urn:xmpp:receipts' }),
  );

/** Whether a stanza is a message with a body from this bare JID (any resource). */
export const isChatFrom =
  (from: string) =>
  (stanza: Stanza): boolean =>
    stanza.is('message') && stanza.attrs.from?.split('/')[0] === from && stanza.getChildText('body') !== null;

export { xml };

const UPLOAD = 'urn:xmpp:http:upload:0';

/**
 * What a client does before sending a file (XEP-0363): asks `service` for a slot, PUTs the bytes
 * with the headers the slot names, and resolves with the URL others fetch the file from.
 */
export async function uploadFile(agent: Agent, service: string, file: { name: string; type: string; content: Buffer }): Promise<string> {
  const answer = await agent.xmpp.iqCaller.request(
    xml(
      'iq',
      { type: 'get', to: service },
      xml('request', { xmlns: UPLOAD, filename: file.name, size: String(file.content.length), 'content-type': file.type }),
    ),
  );
  const slot = answer.getChild('slot', UPLOAD);
  const put = slot?.getChild('put');
  const get = slot?.getChild('get')?.attrs.url;
  if (!put?.attrs.url || !get) throw new Error(`no slot in ${answer.toString()}`);
  const headers = Object.fromEntries(put.getChildren('header').map((header) => [header.attrs.name ?? '', header.getText()]));
  const response = await fetch(put.attrs.url, { method: 'PUT', body: new Uint8Array(file.content), headers: { ...headers, 'content-type': file.type } });
  if (response.status !== 201) throw new Error(`upload refused: HTTP ${response.status}`);
  return get;
}

/** A message carrying a file's link (XEP-0066), its body the link alone, as Conversations and Gajim send it. */
export const fileMessage = (to: string, url: string, id: string, body = url): Stanza =>
  xml(
    'message',
    { type: 'chat', to, id },
    xml('body', {}, body),
    xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url)),
    xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }),
  );

/** A JID without its resource: the bridge's parties write from `<party>/switchboard`, as clients do. */
export const bare = (full: string | undefined): string | undefined => full?.split('/')[0];
