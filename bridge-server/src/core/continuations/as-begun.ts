/**
 * A conversation as the address it continues at sees it (docs/protocol.md, "Continuing on another
 * network"): of the team it began with, whose address sent the proof and writes to it for as long as
 * it lasts, whichever team the conversation was transferred to since.
 */
export function asBegun<C extends { team?: string }>(conversation: C, continuation: { team?: string }): C {
  return continuation.team === undefined ? conversation : { ...conversation, team: continuation.team };
}
