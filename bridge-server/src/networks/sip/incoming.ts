/**
 * MESSAGE requests to the bridge (RFC 3428), each answered with a final response that says what
 * became of it (docs/networks/sip.md, "Incoming MESSAGEs are answered"). To the bridge's own URI:
 * an agent's command. To a party's URI under the visitor domain: text for the core (plain or HTML,
 * body-text.ts; unwrapped from CPIM, RFC 3862, when it came so), a file or a multipart body of text
 * and files (body-files.ts), isComposing (RFC 3994) or an IMDN (RFC 5438) about the bridge's own
 * messages. To a team's URI: the same from a customer, for their conversation with the team
 * (docs/customers.md). Text travels only in bodies.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Message as IncomingMessage } from 'sip.js';
import { cleanHops } from '../../util/hops.js';
import { SerialQueues } from '../../util/serial.js';
import { commandOrHelp } from '../kit/inbound.js';
import { SenderTurns } from '../kit/sender-turns.js';
import { type HostedParties, type InboundFile, type InboundSink, type InboundTeam, isQuietRefusal } from '../network.js';
import { type VisitorDomain, addressOfUri, displayNameOf, warningHeader } from './addresses.js';
import { CONTENT_TYPES, composingOf, parseCpim, receiptOfImdn } from './bodies.js';
import { ComposingExpiry } from './composing-expiry.js';
import { carriesFiles, readFileBody } from './body-files.js';
import { ACCEPTED_ENCODINGS, type DecodedBody, MAX_DECODED_BYTES, decodedBody } from './content-coding.js';
import { isTextBody, readTextBody } from './body-text.js';
import type { ImdnAsk, ImdnNotifications } from './imdn.js';
import { BRIDGE, HOPS_HEADER, type SipMessenger } from './outgoing.js';
import type { RawBodies } from './raw-bodies.js';
import type { TeamUri } from './team-uris.js';
import type { SipTexts } from './text-messages.js';

type IncomingRequestMessage = IncomingMessage['request'];

/** A final response to a request (SIP.js's `reject` options). */
interface Answer {
  statusCode: number;
  reasonPhrase: string;
  extraHeaders?: string[];
}

/** The contract's refusal codes as SIP final responses. */
const REFUSALS: Record<string, Answer> = {
  forbidden: { statusCode: 403, reasonPhrase: 'Forbidden' },
  // Not 503: a proxy sends a 500 of its own in a 503's place, without its Retry-After (RFC 3261
  // section 16.7, step 6). 480 reaches the sender through Kamailio as the bridge wrote it.
  rate_limited: { statusCode: 480, reasonPhrase: 'Rate Limited', extraHeaders: ['Retry-After: 60'] },
  too_large: { statusCode: 413, reasonPhrase: 'Message Too Large' },
  bad_request: { statusCode: 400, reasonPhrase: 'Bad Request' },
};

/** A 403 with its reason phrase, and the bridge's explanation in a Warning header. */
const refusal = (reasonPhrase: string, why: string, agentHost: string): Answer => ({
  statusCode: 403,
  reasonPhrase,
  extraHeaders: [warningHeader(agentHost, why)],
});

/**
 * The answer to a MESSAGE that comes while the network stops here (this node lost its lease, or the
 * bridge shuts down): not taken; the sender may send it again (480, as rate_limited says why: a
 * proxy replaces a 503 with a 500 of its own).
 */
const STOPPING: Answer = {
  statusCode: 480,
  reasonPhrase: 'Bridge Stopping',
  extraHeaders: ['Retry-After: 5'],
};

/** The bodies a MESSAGE to a party may have (RFC 3261 section 20.1, in a 415). */
const ACCEPTED = `text/plain, text/html, ${CONTENT_TYPES.cpim}, ${CONTENT_TYPES.isComposing}, ${CONTENT_TYPES.imdn}, multipart/mixed, image/*, audio/*, video/*, application/pdf, application/octet-stream`;

/** A body's media type, lowercased, without parameters (`text/plain;charset=UTF-8` -> `text/plain`). */
const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

/** What a request carries, unwrapped from CPIM when it came so (with what the sender asked for by IMDN). */
interface Content {
  /** The media type, lowercased, without parameters. */
  type: string;
  /** The whole Content-Type, parameters included. */
  contentType: string;
  disposition?: string | undefined;
  /** The body's bytes, and the same read as UTF-8 text. */
  bytes: Buffer;
  body: string;
  imdn?: ImdnAsk;
}

/**
 * The request's content, or null for a CPIM body that cannot be read. `raw` is the body's bytes
 * when it came in a binary frame (raw-bodies.ts); else SIP.js' text is the body.
 */
function contentOf(request: IncomingRequestMessage, bytes: Buffer): Content | null {
  const contentType = request.getHeader('Content-Type') ?? CONTENT_TYPES.text;
  const type = mediaType(contentType);
  if (type !== CONTENT_TYPES.cpim) {
    const disposition = request.getHeader('Content-Disposition');
    return { type, contentType, disposition, bytes, body: bytes.toString('utf8') };
  }
  // Read byte for byte (latin1), so that a binary body inside comes out whole; the headers are UTF-8.
  const cpim = parseCpim(bytes.toString('latin1'));
  if (!cpim) return null;
  const header = (name: string) => {
    const value = cpim.headers.get(name);
    return value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8');
  };
  const inner = Buffer.from(cpim.body, 'latin1');
  const id = header(`${cpim.imdnPrefix}.message-id`);
  const wanted = header(`${cpim.imdnPrefix}.disposition-notification`) ?? '';
  // The IM's own DateTime, which its notifications carry (RFC 5438 section 7.2.1.1).
  const sentAt = new Date(header('datetime') ?? '');
  const imdn = id
    ? { id, display: /display/i.test(wanted), delivery: /positive-delivery/i.test(wanted), ...(Number.isNaN(sentAt.getTime()) ? {} : { sentAt }) }
    : undefined;
  const innerType = header('content-type') ?? CONTENT_TYPES.text;
  return {
    type: mediaType(innerType),
    contentType: innerType,
    disposition: header('content-disposition'),
    bytes: inner,
    body: inner.toString('utf8'),
    ...(imdn ? { imdn } : {}),
  };
}

/** The answer to a body whose content coding cannot be undone (RFC 3261 section 8.2.3 for one not known). */
function codingRefusal(decoded: Exclude<DecodedBody, { bytes: Buffer }>, domain: string) {
  const { refused, coding } = decoded;
  if (refused === 'unsupported') {
    return {
      statusCode: 415,
      reasonPhrase: 'Unsupported Media Type',
      extraHeaders: [
        `Accept-Encoding: ${ACCEPTED_ENCODINGS}`,
        warningHeader(domain, `The content coding ${coding} is not taken here: send the body as it is, gzip or deflate.`),
      ],
    };
  }
  if (refused === 'too_large') {
    return {
      statusCode: 413,
      reasonPhrase: 'Message Too Large',
      extraHeaders: [warningHeader(domain, `The body is larger than ${MAX_DECODED_BYTES} bytes once decoded.`)],
    };
  }
  return { statusCode: 400, reasonPhrase: 'Bad Content-Encoding', extraHeaders: [warningHeader(domain, `The body is not valid ${coding} data.`)] };
}

/** What the bridge stores of a MESSAGE: its text and, when its body is one or more files, those. */
interface Received {
  text: string;
  files?: InboundFile[];
  imdn?: ImdnAsk | undefined;
  /** Called once its place among its sender's messages is taken (InboundMessage's `onQueued`). */
  queued?: () => void;
}

/** The sender's URI, where answers and notifications go. */
function replyUriOf(request: IncomingRequestMessage): string {
  const { user, host } = request.from.uri;
  return `sip:${user ? `${user}@` : ''}${host}`;
}

export interface IncomingParts {
  sink: InboundSink;
  logger: Logger;
  domain: VisitorDomain;
  hosted: HostedParties;
  messenger: SipMessenger;
  /** Texts from the bridge's URI (command answers), cut into MESSAGEs within 1300 bytes when long. */
  texts: Pick<SipTexts, 'send'>;
  imdn: ImdnNotifications;
  /** A customer's message to a team was taken (their presence is followed from then on). */
  onCustomerMessage?(customer: Address): void;
  /** The site of a customer's conversation with a team that serves several (docs/customers.md). */
  customerSite?: string;
  /** The bytes of bodies that came in binary frames, which SIP.js reads as text. */
  rawBodies?: Pick<RawBodies, 'take'>;
}

export class IncomingMessages {
  private readonly answers = new SerialQueues();
  /** Each sender's MESSAGEs, taken (and stored) in the order they came, settled when the network stops here. */
  private readonly turns = new SenderTurns();
  /** Peers composing now, each told idle when their `active` runs out (RFC 3994). */
  private readonly composing = new ComposingExpiry();

  constructor(private readonly parts: IncomingParts) {}

  /** Takes MESSAGEs again (the network starts, here again). */
  open(): void {
    this.turns.open();
  }

  /**
   * Before the connection closes: MESSAGEs that come from now on, and those waiting for their
   * turn, are refused, and those being handled are let finish for up to `ms`, so that each sender
   * gets the final answer that says what became of it (RFC 3428 section 7: a 200 only for what was
   * taken) while the connection still carries it.
   */
  settle(ms: number): Promise<void> {
    return this.turns.settle(ms);
  }

  /** Forgets who is composing (the network stops): nobody is told idle after it. */
  stop(): void {
    this.composing.stop();
  }

  handle(message: IncomingMessage): void {
    const { request } = message;
    // Taken now, before anything waits: the bytes of this request's body, if it came in a binary
    // frame (the transport keeps the last few only).
    const raw = this.parts.rawBodies?.take(request.callId, request.cseq) ?? Buffer.from(request.body, 'utf8');
    const { user, host } = request.from.uri;
    this.turns.take(
      `${user ?? ''}@${host}`.toLowerCase(),
      () => this.refuseStopping(message),
      (release) =>
        this.receive(message, raw, release).catch((error: unknown) => {
          this.parts.logger.info({ err: error }, 'sip message not handled');
          // Answer with an error only if no final answer went out yet (reject throws after accept).
          try {
            void message.reject({ statusCode: 500, reasonPhrase: 'Not Delivered' }).catch(() => undefined);
          } catch {
            /* already answered */
          }
        }),
    );
  }

  /** 480: the network stops here; the sender may send it again (to the node that runs it next). */
  private refuseStopping(message: IncomingMessage): void {
    const why = warningHeader(this.parts.domain.name, 'Not delivered: the bridge is stopping this connection; send it again in a moment.');
    try {
      void message.reject({ ...STOPPING, extraHeaders: [...(STOPPING.extraHeaders ?? []), why] }).catch(() => undefined);
    } catch {
      /* the transport is gone: the proxy times the request out */
    }
  }

  /** `raw`: the body's bytes; `queued`: the sender's next MESSAGE may be taken (this one's place among theirs is taken). */
  private async receive(message: IncomingMessage, raw: Buffer, queued: () => void): Promise<void> {
    const { domain, sink } = this.parts;
    const { request } = message;
    if (domain.isBridge(request.to.uri)) return this.command(message, raw, queued);
    const party = domain.partyOf(request.to.uri);
    if (!party) return message.reject({ statusCode: 404, reasonPhrase: 'No Such Visitor' });
    const decoded = decodedBody(raw, request.getHeader('Content-Encoding') ?? request.getHeader('e'));
    if ('refused' in decoded) return message.reject(codingRefusal(decoded, domain.name));
    const content = contentOf(request, decoded.bytes);
    if (!content) return message.reject({ statusCode: 400, reasonPhrase: 'Bad CPIM' });
    const from = addressOfUri(request.from.uri.user, request.from.uri.host);
    // A team's URI: a customer's first contact (or a later message); never one of the bridge's own URIs.
    const teamUri = domain.teams.of(party);
    if (teamUri && domain.owns(from)) return message.reject(refusal('Customers Only', 'A team takes messages from customers only.', domain.name));
    const team = teamUri && this.inboundTeam(teamUri);
    switch (content.type) {
      case CONTENT_TYPES.isComposing: {
        const composing = composingOf(content.body);
        if (composing) {
          const typing = { from, to: party, ...(team ? { team } : {}) };
          if (composing.state === 'composing') this.composing.active(from, party, composing.refreshSeconds, () => sink.typing({ ...typing, state: 'paused' }));
          else this.composing.ended(from, party);
          sink.typing({ ...typing, state: composing.state });
        }
        return message.accept();
      }
      case CONTENT_TYPES.imdn:
        this.notified(content.body, from);
        return message.accept();
      case 'text/plain':
      case 'text/html':
        return this.store(message, from, party, { text: readTextBody(content), imdn: content.imdn, queued }, teamUri);
      default:
        return this.storeFiles(message, from, party, content, queued, teamUri);
    }
  }

  /**
   * A body that is a file (a picture, a PDF) or a multipart body of text and files: stored as the
   * message's files (the core checks each as an upload). Any other body is refused, saying why.
   */
  private async storeFiles(message: IncomingMessage, from: Address, party: Address, content: Content, queued: () => void, team?: TeamUri): Promise<void> {
    const { domain } = this.parts;
    const unsupported = (type: string) =>
      message.reject({
        statusCode: 415,
        reasonPhrase: 'Unsupported Media Type',
        extraHeaders: [
          `Accept: ${ACCEPTED}`,
          warningHeader(domain.name, `A body of type ${type} is not taken here: send text, or a file (a picture, a document) as the body.`),
        ],
      });
    if (!carriesFiles(content.type)) return unsupported(content.type);
    if (content.bytes.length === 0) {
      return message.reject({ statusCode: 400, reasonPhrase: 'Empty Body', extraHeaders: [warningHeader(domain.name, 'The message has no content.')] });
    }
    const { text, files, notifications, skipped } = await readFileBody({
      contentType: content.contentType,
      disposition: content.disposition,
      body: content.bytes,
    });
    for (const notification of notifications) this.notified(notification, from);
    // Only notifications (liblinphone's grouped IMDNs): taken, nothing to store.
    if (notifications.length > 0 && files.length === 0 && text === '') return message.accept();
    // Only parts not taken (a session description): refused as that body alone is.
    if (files.length === 0 && text === '' && skipped.length > 0) return unsupported(skipped[0]!);
    if (files.length === 0 && text === '') {
      return message.reject({
        statusCode: 400,
        reasonPhrase: 'No Content',
        extraHeaders: [warningHeader(domain.name, 'The body holds neither text nor a file.')],
      });
    }
    return this.store(message, from, party, { text, files, imdn: content.imdn, queued }, team);
  }

  /**
   * An IMDN from `from` about a message of the bridge's: its status as the recipient's client says
   * (RFC 5438); one from anyone but the message's recipient changes nothing (core/statuses.ts).
   */
  private notified(imdn: string, from: Address): void {
    const receipt = receiptOfImdn(imdn);
    if (receipt?.status === 'failed') this.parts.sink.receipt({ ...receipt, from, error: "the recipient's client could not deliver the message" });
    else if (receipt) this.parts.sink.receipt({ ...receipt, from });
  }

  /** The team a customer wrote to, and the site this network files its customers' conversations under. */
  private inboundTeam(team: TeamUri): InboundTeam {
    return { id: team.id, ...(this.parts.customerSite ? { site: this.parts.customerSite } : {}) };
  }

  /** Text (and files) for `party` (or a team): stored (200), or refused with the answer that says why. */
  private async store(message: IncomingMessage, from: Address, party: Address, { text, files, imdn, queued }: Received, team?: TeamUri): Promise<void> {
    const { sink, domain } = this.parts;
    const { request } = message;
    // Retransmissions of one request are absorbed by the transaction layer; a client's own resend
    // keeps its IMDN Message-ID, or else its Call-ID and CSeq.
    // A message sent ends its sender's composing (RFC 3994 section 3.3): its readers hear it before the message.
    if (this.composing.ended(from, party)) sink.typing({ from, to: party, state: 'paused', ...(team ? { team: this.inboundTeam(team) } : {}) });
    const remoteId = imdn ? `${from}/${imdn.id}` : `${from}/${request.callId}/${request.cseq}`;
    let stored;
    try {
      const via = cleanHops((request.getHeaders(HOPS_HEADER) ?? []).flatMap((value) => value.split(',')));
      stored = await sink.message({
        network: 'sip',
        from,
        to: party,
        text,
        ...(files && files.length > 0 ? { files } : {}),
        remoteId,
        ...(queued ? { onQueued: queued } : {}),
        ...(via.length > 0 ? { via } : {}),
        ...(team ? { team: this.inboundTeam(team) } : {}),
        // RFC 3261 section 20.20: the From display name, as the customer's client set it.
        ...(team && request.from.displayName ? { fromName: displayNameOf(request.from.displayName) } : {}),
      });
    } catch (error) {
      // The bridge's refusals become the SIP answers that say the same (RFC 3261 section 21), with
      // the bridge's explanation in a Warning header, as XMPP and IRC users get it in text.
      const answer = REFUSALS[(error as { code?: string }).code ?? ''];
      if (!answer) throw error;
      // A quiet refusal (told once already) still needs its final response, without the explanation.
      const warning = isQuietRefusal(error) ? [] : [warningHeader(domain.name, (error as Error).message)];
      return message.reject({ ...answer, extraHeaders: [...(answer.extraHeaders ?? []), ...warning] });
    }
    if (!stored) return message.reject(team ? this.teamRefusal(team) : this.notInConversation(party));
    // A file the core did not take is said in the stored text; the sender hears of it here.
    const refused = (files?.length ?? 0) - (stored.attachments?.length ?? 0);
    await message.accept(
      refused > 0
        ? {
            statusCode: 200,
            extraHeaders: [warningHeader(domain.name, `${refused === 1 ? 'A file' : `${refused} files`} of the message not accepted: the message says why.`)],
          }
        : undefined,
    );
    if (team) this.parts.onCustomerMessage?.(from);
    if (imdn) this.parts.imdn.stored(stored.id, imdn, replyUriOf(request), party);
  }

  /**
   * 403 for a customer whose message the team takes from no one here: mostly, it serves several
   * sites and this network names none of them for its customers (`customers.site`).
   */
  private teamRefusal(team: TeamUri): Answer {
    return team.sites.length > 1
      ? refusal(
          'Team Takes No Messages From SIP',
          `${team.name} serves several sites, and none of them is set for customers writing from SIP: this address takes no messages.`,
          this.parts.domain.name,
        )
      : refusal('Team Takes No Messages', `${team.name} takes no messages from this network.`, this.parts.domain.name);
  }

  /** 403 for a sender no conversation joins to `party`, worded for a visitor or for anyone else. */
  private notInConversation(party: Address): Answer {
    const visitor = this.parts.hosted.isVisitor(party);
    return {
      statusCode: 403,
      reasonPhrase: visitor ? 'Not In A Conversation With This Visitor' : 'Not In A Conversation With This User',
      extraHeaders: [
        warningHeader(this.parts.domain.name, visitor ? 'This visitor is not in a conversation with you.' : 'No conversation joins you and this user.'),
      ],
    };
  }

  /**
   * A text (plain or HTML) to the bridge's URI: an agent command, answered from that URI. The
   * sender's next MESSAGE is taken once the command ran, not once its answer reached them.
   */
  private async command(message: IncomingMessage, raw: Buffer, queued: () => void): Promise<void> {
    const { request } = message;
    // Read as a party's text is: its content coding undone, out of its CPIM wrapper (RFC 3862), so a
    // client that sends every message so is answered too.
    const decoded = decodedBody(raw, request.getHeader('Content-Encoding') ?? request.getHeader('e'));
    if ('refused' in decoded) return message.reject(codingRefusal(decoded, this.parts.domain.name));
    const content = contentOf(request, decoded.bytes);
    if (!content) return message.reject({ statusCode: 400, reasonPhrase: 'Bad CPIM' });
    if (!isTextBody(content.type)) return message.accept(); // typing or receipts for the bridge itself: nothing to do
    const text = readTextBody(content);
    const from = addressOfUri(request.from.uri.user, request.from.uri.host);
    // One agent's commands run, and are answered, in the order they came: a long answer (`/help`)
    // goes as several MESSAGEs (RFC 3428 section 8), and the next answer only after its last part.
    await this.answers.run(from, async () => {
      // The 200 once the command ran: a bridge that dies before leaves the agent's phone without a
      // final answer (it says the message failed) rather than with a 200 for a command never done.
      const answer = await this.parts.sink.command({ from, text: commandOrHelp(text) });
      queued();
      await message.accept();
      await this.parts.texts.send({ from: BRIDGE, fromName: 'Switchboard', to: replyUriOf(request), text: answer });
    });
  }
}
