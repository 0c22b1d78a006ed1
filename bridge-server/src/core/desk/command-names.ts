/**
 * The names of the desk's commands (commands.ts runs each), for what must know one when it sees it:
 * a command an agent typed in a customer's chat instead of to the bridge's own address is refused
 * there rather than sent to the customer (inbound.ts).
 */
export const DESK_COMMAND_NAMES = [
  'list',
  'claim',
  'transfer',
  'close',
  'history',
  'note',
  'whois',
  'canned',
  'to',
  'invite',
  'block',
  'unblock',
  'blocked',
  'away',
  'back',
  'help',
] as const;
