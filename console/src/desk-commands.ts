/**
 * The desk command box's language: `claim`, `close`, `note <text>`, `transfer <team|agent>` and
 * `assign <agent>`, each the action of a button of the open conversation (claim, close, a note
 * from the composer, the transfer dialog's pick); a line starting with `/` is one of the bridge's
 * desk commands (docs/support-desk.md: `/block`, `/blocked`, `/whois`, ...), sent as agents' IM
 * clients send it; and what completes what has been typed.
 */
import type { DirectoryTeam, TransferTarget } from './desk-api.js';

export type DeskCommand =
  { kind: 'claim' } | { kind: 'close' } | { kind: 'note'; text: string } | { kind: 'transfer'; to: TransferTarget } | { kind: 'bridge'; text: string };

/** The bridge's commands that name a conversation: typed alone in the box, they are about the open one. */
const ABOUT_A_CONVERSATION = new Set(['/block', '/unblock', '/whois', '/history']);

/**
 * The line a `/` command is sent as: one of ABOUT_A_CONVERSATION typed alone (and `/history N`)
 * gets the open conversation's ref (the end of its id, as refs are read), anything else goes as typed.
 */
export function bridgeLine(text: string, openConversationId: string | undefined): string {
  const line = text.trim();
  if (openConversationId === undefined) return line;
  const ref = openConversationId.replace(/^[a-z]+_/, '').toLowerCase();
  // `/history 5`: the open conversation's last five (a count alone is no ref: refs are not all digits).
  const count = /^(\/history)\s+(\d{1,3})$/i.exec(line);
  if (count) return `${count[1]} ${ref} ${count[2]}`;
  return ABOUT_A_CONVERSATION.has(line.toLowerCase()) ? `${line} ${ref}` : line;
}

/** Why a command cannot run, as a catalogue key and its argument. */
export type CommandProblem =
  { problem: 'unknown'; word: string } | { problem: 'needsText' } | { problem: 'needsTarget' } | { problem: 'noSuchTarget'; word: string };

export const COMMAND_NAMES = ['claim', 'close', 'note', 'transfer', 'assign'] as const;

/** Every agent of the teams once (an agent may be in several). */
export const agentsOf = (teams: readonly DirectoryTeam[]) => [...new Map(teams.flatMap((team) => team.members).map((member) => [member.id, member])).values()];

/** A target by team id, else by agent id (as the directory names them), case aside. */
function target(word: string, teams: readonly DirectoryTeam[], agentsOnly: boolean): TransferTarget | undefined {
  const wanted = word.toLowerCase();
  const team = agentsOnly ? undefined : teams.find((each) => each.id.toLowerCase() === wanted);
  if (team) return { team: team.id };
  const agent = agentsOf(teams).find((each) => each.id.toLowerCase() === wanted || each.name?.toLowerCase() === wanted);
  return agent ? { agent: agent.id } : undefined;
}

/** The command typed, or what is wrong with it. */
export function parseCommand(input: string, teams: readonly DirectoryTeam[]): DeskCommand | CommandProblem {
  const line = input.trim().replace(/^:/, '').trim();
  if (line.startsWith('/') && line.length > 1) return { kind: 'bridge', text: line };
  const name = line.split(/\s+/)[0] ?? '';
  const argument = line.slice(name.length).trim();
  switch (name.toLowerCase()) {
    case 'claim':
      return { kind: 'claim' };
    case 'close':
      return { kind: 'close' };
    case 'note':
      return argument ? { kind: 'note', text: argument } : { problem: 'needsText' };
    case 'transfer':
    case 'assign': {
      if (!argument) return { problem: 'needsTarget' };
      const to = target(argument, teams, name.toLowerCase() === 'assign');
      return to ? { kind: 'transfer', to } : { problem: 'noSuchTarget', word: argument };
    }
    default:
      return { problem: 'unknown', word: name };
  }
}

/** Whole lines that complete what is typed: command names, then the targets of transfer and assign. */
export function completions(input: string, teams: readonly DirectoryTeam[]): string[] {
  const line = input.replace(/^\s*:?/, '').trimStart();
  const space = line.search(/\s/);
  if (space < 0) return COMMAND_NAMES.filter((name) => name.startsWith(line.toLowerCase()) && name !== line.toLowerCase());
  const name = line.slice(0, space).toLowerCase();
  if (name !== 'transfer' && name !== 'assign') return [];
  const typed = line.slice(space).trim().toLowerCase();
  const targets = [...(name === 'transfer' ? teams.map((team) => team.id) : []), ...agentsOf(teams).map((agent) => agent.id)];
  return targets.filter((id) => id.toLowerCase().startsWith(typed) && id.toLowerCase() !== typed).map((id) => `${name} ${id}`);
}
