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
