import { expect } from '@open-wc/testing';
import { type Message, SwitchboardError, createClient } from '../../src/index.js';
import type { SwitchboardClient } from '../../src/client.js';

interface BridgeInfo {
  url: string;
  siteKey: string;
  lockedSiteKey: string;
  agent: { userId: string; name: string; role: 'agent'; hash: string };
}

const info = (await (await fetch('/__bridge')).json()) as BridgeInfo;
const clients: SwitchboardClient[] = [];
const track = (client: SwitchboardClient) => (clients.push(client), client);
const agent = () => track(createClient({ url: info.url, siteKey: info.siteKey, identity: info.agent, storage: null }));
const visitor = () => track(createClient({ url: info.url, siteKey: info.siteKey }));

function until(condition: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 10);
    };
    check();
  });
}

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
  localStorage.clear();
});

describe('SDK in Chromium', () => {
  it('talks to the bridge: session, conversation, send with ack, reply', async () => {
    const support = agent();
    await support.ready();
    const v = visitor();
    const session = await v.ready();
    expect(session.role).to.equal('visitor');
    const conversation = await v.openConversation({ team: 'support' });
    expect(conversation.assignee).to.equal('web:a_agent');
    const seen: Message[] = [];
    v.on('message', (m) => seen.push(m));
    const sent = await v.send(conversation.id, 'hello from the browser');
    expect(sent.seq).to.equal(1);
    await support.send(conversation.id, 'hello back');
    await until(() => seen.some((m) => m.text === 'hello back'), 'the reply');
    expect(seen.map((m) => m.seq)).to.deep.equal([1, 2]);
  });

  it('survives a reload: token, cursors and unsent messages persist in localStorage', async () => {
    const support = agent();
    await support.ready();
    const atAgent: Message[] = [];
    support.on('message', (m) => atAgent.push(m));
    const before = visitor();
    const session = await before.ready();
    const conversation = await before.openConversation({ team: 'support' });
    await before.send(conversation.id, 'first');
    before.disconnect();
    before.send(conversation.id, 'written while offline').catch(() => undefined);
    await support.send(conversation.id, 'reply while the page was away');
    expect(Object.keys(localStorage).some((key) => key.endsWith(':outbox'))).to.equal(true);

    const after = visitor(); // what a reloaded page does
    const seen: Message[] = [];
    after.on('message', (m) => seen.push(m));
    expect(after.pending().map((e) => e.text)).to.deep.equal(['written while offline']);
    const resumed = await after.ready();
    expect(resumed.self).to.equal(session.self);
    await until(() => after.pending().length === 0 && seen.some((m) => m.text === 'written while offline'), 'the outbox to flush');
    await until(() => atAgent.filter((m) => m.text === 'written while offline').length === 1, 'the message at the agent');
    expect(seen.map((m) => m.text)).to.deep.equal(['reply while the page was away', 'written while offline']);
    const history = await after.history(conversation.id);
    expect(history.messages.map((m) => m.text)).to.deep.equal(['first', 'reply while the page was away', 'written while offline']);
  });

  it("gets a readable forbidden when the page's origin is not allowed", async () => {
    const locked = track(createClient({ url: info.url, siteKey: info.lockedSiteKey, storage: null }));
    let error: unknown;
    try {
      await locked.ready();
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(SwitchboardError);
    expect((error as SwitchboardError).code).to.equal('forbidden');
    expect(locked.state).to.equal('offline');
  });

  it("works from the bridge's own bundles: /sdk.js (ES module) and /sdk.iife.js (window.Switchboard)", async () => {
    const esm = (await import(/* @vite-ignore */ `${info.url}/sdk.js`)) as typeof import('../../src/index.js');
    const fromEsm = track(esm.createClient({ url: info.url, siteKey: info.siteKey, storage: null }));
    expect((await fromEsm.ready()).role).to.equal('visitor');
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = `${info.url}/sdk.iife.js`;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('the IIFE bundle did not load'));
      document.head.append(script);
    });
    const global = (window as unknown as { Switchboard: typeof import('../../src/index.js') }).Switchboard;
    const fromIife = track(global.createClient({ url: info.url, siteKey: info.siteKey, storage: null }));
    const conversation = await fromIife.openConversation({ team: 'support' });
    expect((await fromIife.send(conversation.id, 'via the IIFE')).seq).to.equal(1);
  });
});
