/**
 * A SIP phone registered over UDP (what Linphone or Baresip do by default): it REGISTERs,
 * PUBLISHes and sends MESSAGEs with digest authentication (RFC 3261 section 22, qop=auth), answers
 * every request it gets with 200, and keeps each MESSAGE it got as the datagram it came in, to see
 * its size (RFC 3261 section 18.1.1: over UDP, a request above 1300 bytes is fragmented).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Socket, createSocket } from 'node:dgram';
import { pidf } from './sip-agent.js';

export interface ReceivedDatagram {
  /** The datagram's size: the whole request, headers included. */
  bytes: number;
  callId: string;
  from: string;
  contentType: string | undefined;
  body: string;
}

export interface UdpPhone {
  uri: string;
  /** Every MESSAGE received, in arrival order, once each (retransmissions left out). */
  messages: ReceivedDatagram[];
  /** Sends a request; resolves with the final status (after one digest challenge, if any). */
  request(
    method: 'REGISTER' | 'PUBLISH' | 'MESSAGE',
    to: string,
    options?: { headers?: string[]; contentType?: string; body?: string; withoutContentLength?: boolean },
  ): Promise<number>;
  /** The header fields of the last final answer (lowercased names), e.g. a PUBLISH's `sip-etag`. */
  lastAnswer: Map<string, string>;
  stop(): Promise<void>;
}

interface Parsed {
  firstLine: string;
  headers: [string, string][];
  body: Buffer;
}

const ANSWER_TIMEOUT_MS = 10_000;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const token = () => randomBytes(8).toString('hex');

/** A SIP message in one datagram: start line, headers (compact forms as their long names), body. */
function parse(datagram: Buffer): Parsed | undefined {
  const end = datagram.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [firstLine, ...lines] = datagram.subarray(0, end).toString('utf8').split('\r\n');
  const compact: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', c: 'content-type', l: 'content-length' };
  const headers = lines.map((line): [string, string] => {
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    return [compact[name] ?? name, line.slice(line.indexOf(':') + 1).trim()];
  });
  return { firstLine: firstLine ?? '', headers, body: datagram.subarray(end + 4) };
}

const header = (message: Parsed, name: string) => message.headers.find(([key]) => key === name)?.[1];

export async function startUdpPhone(proxy: { host: string; port: number }, account: { user: string; domain: string; password: string }): Promise<UdpPhone> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const uri = `sip:${account.user}@${account.domain}`;
  const messages: ReceivedDatagram[] = [];
  const seen = new Set<string>();
  const waiting = new Map<string, (status: number, message: Parsed) => void>();
  const lastAnswer = new Map<string, string>();
  const send = (text: string | Buffer, to = proxy) => socket.send(Buffer.isBuffer(text) ? text : Buffer.from(text), to.port, to.host);

  socket.on('message', (datagram, from) => {
    const message = parse(datagram);
    if (!message) return;
    const callId = header(message, 'call-id') ?? '';
    const cseq = header(message, 'cseq') ?? '';
    const status = /^SIP\/2\.0 (\d{3}) /.exec(message.firstLine);
    if (status) {
      if (Number(status[1]) >= 200) {
        lastAnswer.clear();
        for (const [name, value] of message.headers) lastAnswer.set(name, value);
        waiting.get(`${callId} ${cseq}`)?.(Number(status[1]), message);
      }
      return;
    }
    // A request (a MESSAGE, a NOTIFY): 200, to where it came from (RFC 3261 section 18.2.2).
    const vias = message.headers.filter(([name]) => name === 'via').map(([, value]) => `Via: ${value}`);
    const to = header(message, 'to') ?? '';
    send(
      [
        'SIP/2.0 200 OK',
        ...vias,
        `From: ${header(message, 'from') ?? ''}`,
        `To: ${/;tag=/.test(to) ? to : `${to};tag=${token()}`}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      { host: from.address, port: from.port },
    );
    if (!message.firstLine.startsWith('MESSAGE ') || seen.has(`${callId} ${cseq}`)) return;
    seen.add(`${callId} ${cseq}`);
    const length = Number(header(message, 'content-length') ?? message.body.length);
    messages.push({
      bytes: datagram.length,
      callId,
      from: header(message, 'from') ?? '',
      contentType: header(message, 'content-type'),
      body: message.body.subarray(0, length).toString('utf8'),
    });
  });

  const fromTag = token();
  const request: UdpPhone['request'] = async (method, to, options = {}) => {
    const callId = `${token()}@127.0.0.1`;
    const body = Buffer.from(options.body ?? '');
    const ruri = method === 'REGISTER' ? `sip:${account.domain}` : to;
    const write = (cseq: number, authorization?: string) =>
      Buffer.concat([
        Buffer.from(
          [
            `${method} ${ruri} SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${token()};rport`,
            'Max-Forwards: 70',
            `From: <${uri}>;tag=${fromTag}`,
            `To: <${method === 'REGISTER' ? uri : to}>`,
            `Call-ID: ${callId}`,
            `CSeq: ${cseq} ${method}`,
            ...(method === 'REGISTER' ? [`Contact: <sip:${account.user}@127.0.0.1:${port};transport=udp>`, 'Expires: 300'] : []),
            ...(authorization ? [authorization] : []),
            ...(options.headers ?? []),
            ...(options.contentType ? [`Content-Type: ${options.contentType}`] : []),
            // Over UDP it may be left out (RFC 3261 section 20.14), as Linphone does on a PUBLISH without a body.
            ...(options.withoutContentLength ? [] : [`Content-Length: ${body.length}`]),
            '',
            '',
          ].join('\r\n'),
        ),
        body,
      ]);
    const answer = (cseq: number, datagram: Buffer) =>
      new Promise<{ status: number; message: Parsed }>((resolve, reject) => {
        const key = `${callId} ${cseq} ${method}`;
        // UDP: the request is sent again until answered (RFC 3261 section 17.1.2.2, timer E simplified).
        const again = setInterval(() => send(datagram), 500);
        const timer = setTimeout(() => {
          clearInterval(again);
          waiting.delete(key);
          reject(new Error(`no answer to ${method} within ${ANSWER_TIMEOUT_MS} ms`));
        }, ANSWER_TIMEOUT_MS);
        waiting.set(key, (status, message) => {
          clearInterval(again);
          clearTimeout(timer);
          waiting.delete(key);
          resolve({ status, message });
        });
        send(datagram);
      });
    const first = await answer(1, write(1));
    if (first.status !== 401 && first.status !== 407) return first.status;
    const challenge = header(first.message, first.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
    const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1] ?? '';
    const realm = param('realm');
    const nonce = param('nonce');
    const cnonce = token();
    const nc = '00000001';
    const response = md5(`${md5(`${account.user}:${realm}:${account.password}`)}:${nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${ruri}`)}`);
    const name = first.status === 401 ? 'Authorization' : 'Proxy-Authorization';
    const credentials = `${name}: Digest username="${account.user}", realm="${realm}", nonce="${nonce}", uri="${ruri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
    return (await answer(2, write(2, credentials))).status;
  };

  return {
    uri,
    messages,
    request,
    lastAnswer,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * A phone registered over UDP and published available (`open`) on a Kamailio, as an agent's is once
 * signed in; `etag` is its one publication's entity tag, to modify or withdraw it (RFC 3903).
 */
export async function startAvailablePhone(
  kamailio: { sipPort: number; domain: string },
  account: { user: string; password: string },
): Promise<{ phone: UdpPhone; uri: string; etag: string | undefined }> {
  const uri = `sip:${account.user}@${kamailio.domain}`;
  const phone = await startUdpPhone({ host: '127.0.0.1', port: kamailio.sipPort }, { ...account, domain: kamailio.domain });
  const registered = await phone.request('REGISTER', uri);
  const published =
    registered === 200
      ? await phone.request('PUBLISH', uri, { headers: ['Event: presence', 'Expires: 600'], contentType: 'application/pidf+xml', body: pidf(uri, 'open') })
      : 0;
  if (registered !== 200 || published !== 200) {
    await phone.stop();
    throw new Error(`${uri}: REGISTER answered ${registered}, PUBLISH ${published}`);
  }
  return { phone, uri, etag: phone.lastAnswer.get('sip-etag') };
}
