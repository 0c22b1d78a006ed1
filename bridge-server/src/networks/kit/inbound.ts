import type { Address } from '@switchboard/protocol';

/**
 * What every network asks of text its users send to the bridge's own address: is it a command for
 * the desk or the gateway (`/list`, `/to ...`), or words? `/me` is an action, not a command.
 */
export function isCommand(text: string): boolean {
  const start = text.trimStart();
  return start.startsWith('/') && !/^\/me(\s|$)/.test(start);
}

/** The text to run for a message to the bridge's own address: a command as it came, anything else asks for help. */
export function commandOrHelp(text: string): string {
  return isCommand(text) ? text : '/help';
}

/**
 * The id the sink deduplicates an inbound message by: the sender's own id for it (an XMPP
 * origin-id, an IRCv3 msgid), scoped by the sender, since such ids are unique per sender only.
 */
export function remoteIdOf(sender: Address, id: string | undefined): string | undefined {
  return id ? `${sender}/${id}` : undefined;
}
