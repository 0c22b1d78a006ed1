import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Address, Conversation } from '@switchboard/protocol';
import pino from 'pino';
import type { InboundSink } from '../../src/networks/network.js';
import type { IrcConnection } from '../../src/networks/irc/connection.js';
import { ANNOUNCE_AFTER_MS, SupportChannel } from '../../src/networks/irc/support-channel.js';
import { ConversationRefs } from '../../src/networks/refs.js';

const ALICE = 'irc:alice@test' as Address;
const details = { visitorName: 'Dana', teamMembers: [ALICE] };
const carries = () => true;
const conversation = (id: string, assignee?: Address, state: Conversation['state'] = 'open') =>
  ({ id, state, team: 'support', participants: [], openedBy: 'web:v_1', ...(assignee ? { assignee } : {}) }) as unknown as Conversation;

describe('IRC support channel', () => {
  let lines: string[];
  let channel: SupportChannel;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    lines = [];
    const bot = { nickLen: 8, writer: { send: (line: string) => Promise.resolve(void lines.push(line)) } } as unknown as IrcConnection;
    channel = new SupportChannel({ bot, channel: '#support', sink: {} as InboundSink, refs: new ConversationRefs(), logger: pino({ level: 'silent' }) });
  });
  afterEach(() => {
    channel.stop();
    mock.timers.reset();
  });

  it('announces a conversation that still waits a second later, and who took it then', () => {
    channel.conversationChanged(conversation('c_waiting00001'), details, carries);
    assert.deepEqual(lines, [], 'not at once');
    mock.timers.tick(ANNOUNCE_AFTER_MS);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^PRIVMSG #support :New conversation #\w+ from Dana is waiting for an agent/);
    channel.conversationChanged(conversation('c_waiting00001', ALICE), details, carries);
    assert.match(lines[1]!, /is now with irc:alice@test\.$/);
  });

  it('names the agent who took it as /transfer does, by name then address, when the desk gives a name', () => {
    channel.conversationChanged(conversation('c_named000001'), details, carries);
    mock.timers.tick(ANNOUNCE_AFTER_MS);
    channel.conversationChanged(conversation('c_named000001', ALICE), { ...details, assigneeLabel: `Alice (${ALICE})` }, carries);
    assert.match(lines[1]!, /is now with Alice \(irc:alice@test\)\.$/);
  });

  it('names the visitor in one line, its blanks collapsed, as the context line does', () => {
    channel.conversationChanged(conversation('c_spaced00001'), { ...details, visitorName: ' Dana\r\n\t Lee ' }, carries);
    mock.timers.tick(ANNOUNCE_AFTER_MS);
    assert.match(lines[0]!, / from Dana Lee is waiting/);
  });

  it('never announces as waiting one taken within that second (a transfer to a team with a free agent), nor one closed', () => {
    channel.conversationChanged(conversation('c_moved000001'), details, carries);
    channel.conversationChanged(conversation('c_moved000001', ALICE), details, carries);
    channel.conversationChanged(conversation('c_closed00001'), details, carries);
    channel.conversationChanged(conversation('c_closed00001', undefined, 'closed'), details, carries);
    mock.timers.tick(10 * ANNOUNCE_AFTER_MS);
    assert.deepEqual(lines, []);
  });
});
