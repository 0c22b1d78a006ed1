/** The `/` completion of the composer: `/thx` offers the canned replies whose name starts with (then contains) `thx`. */
import type { CannedReply } from './desk-api.js';

/** The word being completed when the text is a `/` and a name so far (nothing else), else undefined. */
export function cannedQuery(text: string): string | undefined {
  const match = /^\/([\w-]*)$/.exec(text);
  return match ? match[1]!.toLowerCase() : undefined;
}

export function cannedMatches(replies: readonly CannedReply[], query: string, limit = 8): CannedReply[] {
  const starts = replies.filter((reply) => reply.name.toLowerCase().startsWith(query));
  const contains = replies.filter((reply) => !reply.name.toLowerCase().startsWith(query) && reply.name.toLowerCase().includes(query));
  return [...starts, ...contains].slice(0, limit);
}
