/**
 * A SIP client over TCP that writes its MESSAGE byte for byte (RFC 3261 section 18): what a phone
 * sends when its body is binary (a picture), which the tests' SIP.js agent cannot (its bodies are
 * strings). It answers the proxy's digest challenge (RFC 2617 with qop=auth, section 22) once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';

export interface RawSipAnswer {
  statusCode: number;
  reasonPhrase: string;
  headers: Map<string, string>;
}

export interface RawSipMessage {
  host: string;
  port: number;
  /** The sender's account: sip:<user>@<domain>, digest realm `domain`. */
  user: string;
  domain: string;
  password: string;
  to: string;
  contentType: string;
  body: Buffer;
  extraHeaders?: string[];
}

const ANSWER_TIMEOUT_MS = 10_000;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const token = () => randomBytes(8).toString('hex');

/** Reads SIP responses off a stream connection: one at a time, each by its Content-Length. */
function responses(socket: Socket): () => Promise<RawSipAnswer> {
  let buffer = Buffer.alloc(0);
  const waiting: ((answer: RawSipAnswer) => void)[] = [];
  const ready: RawSipAnswer[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [status, ...lines] = buffer.subarray(0, end).toString('utf8').split('\r\n');
      const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers.get('content-length') ?? headers.get('l') ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.subarray(end + 4 + length);
      const match = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(status ?? '');
      if (!match) continue; // a request (none is expected) or keep-alive
      const answer = { statusCode: Number(match[1]), reasonPhrase: match[2]!, headers };
      if (answer.statusCode < 200) continue;
      const waiter = waiting.shift();
      if (waiter) waiter(answer);
      else ready.push(answer);
    }
  });
  return () => {
    const answer = ready.shift();
    if (answer) return Promise.resolve(answer);
    return new Promise((resolve, reject) => {
      // A proxy that drops the request (too large for its buffer) answers nothing.
      const timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
      waiting.push((answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  };
}

/** Sends one MESSAGE over a new TCP connection, authenticating when challenged; resolves with the final answer. */
export async function sendRawSipMessage(input: RawSipMessage): Promise<RawSipAnswer> {
  const socket = connect(input.port, input.host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  try {
    const next = responses(socket);
    const { localPort } = socket;
    const callId = `${token()}@127.0.0.1`;
    const fromTag = token();
    const request = (cseq: number, authorization?: string) =>
      Buffer.concat([
        Buffer.from(
          [
            `MESSAGE ${input.to} SIP/2.0`,
            `Via: SIP/2.0/TCP 127.0.0.1:${localPort};branch=z9hG4bK${token()};rport`,
            'Max-Forwards: 70',
            `From: <sip:${input.user}@${input.domain}>;tag=${fromTag}`,
            `To: <${input.to}>`,
            `Call-ID: ${callId}`,
            `CSeq: ${cseq} MESSAGE`,
            ...(authorization ? [authorization] : []),
            ...(input.extraHeaders ?? []),
            `Content-Type: ${input.contentType}`,
            `Content-Length: ${input.body.length}`,
            '',
            '',
          ].join('\r\n'),
        ),
        input.body,
      ]);
    socket.write(request(1));
    const first = await next();
    if (first.statusCode !== 401 && first.statusCode !== 407) return first;
    const challenge = first.headers.get(first.statusCode === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
    const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1] ?? '';
    const realm = param('realm');
    const nonce = param('nonce');
    const cnonce = token();
    const nc = '00000001';
    const ha1 = md5(`${input.user}:${realm}:${input.password}`);
    const ha2 = md5(`MESSAGE:${input.to}`);
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    const header = first.statusCode === 401 ? 'Authorization' : 'Proxy-Authorization';
    socket.write(
      request(
        2,
        `${header}: Digest username="${input.user}", realm="${realm}", nonce="${nonce}", uri="${input.to}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`,
      ),
    );
    return await next();
  } finally {
    socket.end();
  }
}
