/**
 * What the bridge writes to a visitor's address on another network (docs/customers.md, "Continue
 * on my IM"): the proof message is the only thing an unproven address ever gets, and it says which
 * site asked and how to ignore it.
 */
export const proofText = {
  code: (code: string, site: string) =>
    `${code} is your code to continue your chat with ${site} here. If you did not ask for it, ignore this message: nothing more will be sent.`,
  reply: (site: string) =>
    `Reply to this message to continue your chat with ${site} here. If you did not ask for it, ignore this message: nothing more will be sent.`,
};

/** Once proven: what comes next, and how to stop. */
export const activeText = (site: string) => `Your chat with ${site} continues here: replies come here too. Send /stop to stop.`;

/** Stopped from either side, or the conversation closed: the last thing sent there. */
export const stoppedText = {
  remote: (site: string) => `Stopped: your chat with ${site} continues on the web page only; nothing more will be sent here.`,
  visitor: (site: string) => `Stopped from the web page: your chat with ${site} continues there only; nothing more will be sent here.`,
  agent: (site: string) => `${site} stopped continuing your chat here; nothing more will be sent here.`,
  closed: (site: string) => `Your chat with ${site} was closed; nothing more will be sent here. Write again to start a new one.`,
};

/** What an IM user types to stop. */
export const isStopCommand = (text: string): boolean => text.trim().toLowerCase() === '/stop';
