/**
 * docs/networks.md's worked example is run as written: its code block is saved as a network's
 * module (its imports pointed at the bridge's source) and plugged into a bridge, against a talk
 * server on loopback that speaks the example's line protocol.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { NetworkDefinition } from '../../src/networks/registry.js';
import { type TestBridge, agentAuth, call, connect, next, startBridge } from '../helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const MARKER = '<!-- worked example: talk-network.ts -->';

/** The ts block that follows the marker in docs/networks.md. */
function exampleCode(): string {
  const doc = readFileSync(join(root, 'docs/networks.md'), 'utf8');
  const at = doc.indexOf(MARKER);
  assert.ok(at >= 0, `docs/networks.md has no ${MARKER}`);
  const block = /```ts\n([\s\S]*?)\n```/.exec(doc.slice(at));
  assert.ok(block, 'no ts block after the marker');
  return block[1]!;
}

/** A talk server: remembers who said HELLO and hands out the lines it receives. */
class TalkServer {
  readonly server: Server = createServer((socket) => this.accept(socket));
  readonly lines: string[] = [];
  private client: Socket | undefined;
  private waiters: (() => void)[] = [];

  private accept(socket: Socket): void {
    this.client = socket;
    createInterface({ input: socket }).on('line', (line) => {
      this.lines.push(line);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  say(line: string): void {
    this.client!.write(`${line}\n`);
  }

  async line(predicate: (line: string) => boolean): Promise<string> {
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

describe('docs/networks.md worked example: the talk network', () => {
  const folder = join(root, 'bridge-server/.tmp', `talk-example-${process.pid}`);
  const talk = new TalkServer();
  let t: TestBridge;

  before(async () => {
    mkdirSync(folder, { recursive: true });
    const file = join(folder, 'talk-network.ts');
    writeFileSync(file, exampleCode().replaceAll("from '../", "from '../../src/networks/"));
    const example = (await import(pathToFileURL(file).href)) as {
      talkConfigSchema: NetworkDefinition['schema'];
      createTalkNetwork: NetworkDefinition['create'];
    };
    talk.server.listen(0, '127.0.0.1');
    await once(talk.server, 'listening');
    const { port } = talk.server.address() as AddressInfo;
    t = await startBridge(
      {
        networks: [
          { type: 'web', presenceGraceMs: 50 },
          { type: 'talk', port },
        ],
      },
      { networkDefinitions: { talk: { schema: example.talkConfigSchema, create: example.createTalkNetwork } } },
    );
  });

  after(async () => {
    await t?.stop();
    talk.server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('says HELLO, carries an agent conversation both ways, answers commands and keeps lines whole', { timeout: 20_000 }, async () => {
    assert.equal(await talk.line((line) => line.startsWith('HELLO')), 'HELLO switchboard');
    const { socket } = await connect(t, agentAuth('alice'));
    const opened = await call(socket, 'conversation:open', { to: 'talk:bob' });
    assert.equal(opened.ok, true, JSON.stringify(opened));
    const conversationId = opened.conversation.id;

    await call(socket, 'message:send', { conversationId, clientId: 'c1', text: 'Hello Bob' });
    assert.equal(await talk.line((line) => line.startsWith('TO bob')), 'TO bob Hello Bob');

    const reply = next(socket, 'message', (message: { from: string }) => message.from === 'talk:bob');
    talk.say('FROM bob Hi, thanks');
    assert.equal((await reply).text, 'Hi, thanks');

    await call(socket, 'message:send', { conversationId, clientId: 'c2', text: 'one\r\nTO eve injected' });
    assert.equal(await talk.line((line) => line.includes('injected')), 'TO bob one TO eve injected');

    // Bob is no agent: the desk's answer to his command goes back to him on one line.
    talk.say('FROM bob /list');
    assert.equal(await talk.line((line) => line.startsWith('TO bob Commands')), 'TO bob Commands are for the agents of a team; this address is not one.');
  });
});
