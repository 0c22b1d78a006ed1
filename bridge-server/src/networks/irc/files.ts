/**
 * Files on IRC (docs/networks/irc.md, "Files"). IRC carries text only: a message's files go out as
 * one line each, with a link signed for the recipient (kit/file-lines.ts), through the line encoder
 * like any text. A DCC SEND offer (CTCP DCC, the clients' direct file transfer) is never taken: the
 * bridge opens no connection to an IRC client, and the sender is told so, once a minute at most by each
 * of the bridge's nicks.
 */
import type { Address, Message } from '@switchboard/protocol';
import { shortFileName, textWithFileLinks } from '../kit/file-lines.js';
import type { NetworkFiles } from '../network.js';
import { oneLine } from '../../util/text.js';

/**
 * Bytes of a file's name its line shows at most. A line is 512 bytes with its CRLF (RFC 2812
 * section 2.3): the server's prefix (`:nick!user@host`, about 80), `PRIVMSG <target> :`, a relay's
 * `[name #ref] `, `[file] `, the size, and a link of about 200 bytes leave some 100 for the name,
 * which may have 255 characters of up to 4 bytes each.
 */
const SHOWN_NAME_BYTES = 100;

/** The lines of a message's files for `recipient` (empty without files), one line each. */
export function fileLinesText(message: Pick<Message, 'attachments'>, files: NetworkFiles | undefined, recipient: Address): string {
  return textWithFileLinks('', message.attachments, files, recipient, (file) => shortFileName(file.name, SHOWN_NAME_BYTES));
}

/** A CTCP request as irc-framework reports it (`ctcp request`): its command and its whole text. */
export interface CtcpRequest {
  nick: string;
  target: string;
  type: string | null;
  message: string;
}

/** The offered file's name when the request is a DCC file offer (SEND, and the SSEND/TSEND of some clients), else null. */
export function dccOfferedFile(request: Pick<CtcpRequest, 'type' | 'message'>): string | null {
  if (request.type?.toUpperCase() !== 'DCC') return null;
  const offer = /^DCC\s+[ST]?SEND\s+(?:"([^"]*)"|(\S+))/i.exec(request.message);
  if (!offer) return null;
  return oneLine(offer[1] ?? offer[2] ?? '').slice(0, 100);
}

/** What the sender of a DCC offer is told. */
export function dccRefusal(name: string): string {
  const file = name ? `"${name}" was not received` : 'Your file was not received';
  return `${file}: files are not carried over IRC here (DCC SEND is not accepted). Put the file where it can be downloaded and paste the link instead.`;
}
