// IRC users whose client writes windows-1252 instead of UTF-8 (irssi with a latin1 term_charset,
// old mIRC), against a real ngircd: what they write reaches the visitor with its accents, euro sign
// and curly quotes, as from a UTF-8 client. The decoding rules are unit-tested in
// unit/irc-line-decoding.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import IRC, { type Client, type IrcMessageEvent } from 'irc-framework';
import { SITE, type TestBridge, type WebVisitor, connect, next, openVisitor, sendText, startBridge, until, untilTeam } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';

const LATIN_AGENT = 'irc:lucie@test';
const UTF8_AGENT = 'irc:uma@test';
const WORDS = 'Ça coûte 20 € – d’accord, à bientôt';

/** An irc-framework client that writes and reads windows-1252, with the private messages it got. */
function windows1252Client(port: number, nick: string): Promise<{ client: Client; got: IrcMessageEvent[] }> {
  const client = new IRC.Client();
  const got: IrcMessageEvent[] = [];
  client.on('privmsg', (event: IrcMessageEvent) => got.push(event));
  return new Promise((resolve, reject) => {
    client.once('registered', () => resolve({ client, got }));
    client.once('socket close', () => reject(new Error(`${nick} could not register`)));
    client.connect({
      host: '127.0.0.1',
      port,
      nick,
      username: nick,
      gecos: 'test agent',
      auto_reconnect: false,
      version: null,
      encoding: 'windows-1252',
    } as never);
  });
}

describe('IRC users writing windows-1252, against a real ngircd', () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let lucie: { client: Client; got: IrcMessageEvent[] };
  let uma: IrcAgent;

  before(async () => {
    ngircd = await startNgircd();
    lucie = await windows1252Client(ngircd.port, 'lucie');
    uma = await connectIrcAgent(ngircd.port, 'uma');
    t = await startBridge({
      teams: [
        { id: 'support', members: [LATIN_AGENT], sites: [SITE], capacity: 100 },
        { id: 'utf8', members: [UTF8_AGENT], sites: [SITE], capacity: 100 },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { nick: 'desk', presencePollSeconds: 0.5, connectTimeoutSeconds: 5 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
    const watcher = await connect(t, { siteKey: SITE });
    for (const team of ['support', 'utf8']) await untilTeam(watcher.socket, team, (a) => (a.online ?? 0) >= 1, 15_000);
    watcher.socket.disconnect();
  });
  after(async () => {
    lucie?.client.quit('bye');
    await uma?.quit();
    await t?.stop();
    await ngircd?.destroy();
  });

  /** A visitor in a conversation with `agent`, and the nick of the visitor's puppet. */
  async function visitorWith(agent: string, team: string, hears: (text: string) => Promise<string>): Promise<{ v: WebVisitor; puppet: string }> {
    const v = await openVisitor(t, { profile: { name: 'Dana' }, team, assignee: agent });
    await sendText(v, `hello ${agent}`);
    return { v, puppet: await hears(`hello ${agent}`) };
  }

  it("gives the visitor a windows-1252 agent's words with their accents, euro sign and quotes", async () => {
    const { v, puppet } = await visitorWith(LATIN_AGENT, 'support', async (text) => {
      await until(() => lucie.got.some((m) => m.message === text), 10_000, 'lucie to get the visitor');
      return lucie.got.find((m) => m.message === text)!.nick;
    });
    const reply = next(v.socket, 'message', (m) => m.from === LATIN_AGENT);
    lucie.client.raw(`PRIVMSG ${puppet} :${WORDS}`);
    assert.equal((await reply).text, WORDS);
  });

  it("gives the visitor a UTF-8 agent's same words unchanged", async () => {
    const { v, puppet } = await visitorWith(UTF8_AGENT, 'utf8', async (text) => (await uma.next((m) => m.message === text)).nick);
    const reply = next(v.socket, 'message', (m) => m.from === UTF8_AGENT);
    uma.say(puppet, WORDS);
    assert.equal((await reply).text, WORDS);
  });
});
