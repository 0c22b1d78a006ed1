/** A command that cannot run as written (a wrong argument, an unknown ref): its message is the agent's answer. */
export class CommandError extends Error {}
