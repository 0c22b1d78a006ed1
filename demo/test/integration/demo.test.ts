// The acceptance path on the demo as `npm start` runs it: a Node script with the built SDK connects
// as a visitor, talks to the demo team, and gets a reply sent while it was away through sync.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Identity, type Message, createClient, memoryStorage } from '@switchboard/sdk';
import type { Browser, Page, Target } from 'puppeteer-core';
import { cspRefusals, launchChromium } from '../../../console/test/integration/chromium.js';
import { io } from 'socket.io-client';

const demoDir = fileURLToPath(new URL('../..', import.meta.url));
/** A 1x1 PNG. */
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** What the demo's `/demo/agent-identity` hands an agent: the site and a signed identity. */
interface AgentLogin {
  siteKey: string;
  identity: Identity;
}

describe('demo (npm start)', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-demo-'));
    const config = JSON.parse(readFileSync(join(demoDir, 'switchboard.config.json'), 'utf8')) as { store: { path: string }; server: { static: string } };
    config.store.path = join(dir, 'demo.db');
    config.server.static = join(demoDir, 'public');
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    child = spawn(process.execPath, [join(demoDir, 'server.mjs')], {
      env: { ...process.env, SWITCHBOARD_CONFIG: configPath, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /"url":"(http:[^"]+)"/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}`)));
    });
  });

  after(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the demo pages, the SDK and health', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const page = await (await fetch(`${url}/`)).text();
    assert.match(page, /<script src="\/widget\.js" data-site-key="demo-site"/);
    // The agent console (console/), as the bridge serves it: its page names its hashed module.
    assert.match(await (await fetch(`${url}/agent`)).text(), /src="\/agent\/console-[0-9a-f]+\.js"/);
    assert.equal((await fetch(`${url}/sdk.js`)).status, 200);
    assert.equal((await fetch(`${url}/widget.js`)).status, 200);
    assert.equal((await fetch(`${url}/demo/agent-identity?user=mallory`)).status, 404);
  });

  it('sends the headers a browser needs: CSP with frame-ancestors, no framing, no referrer; bundles stay loadable from any site', async () => {
    for (const path of ['/', '/agent']) {
      const response = await fetch(`${url}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
      await response.text();
    }
    for (const path of ['/widget.js', '/sdk.js']) {
      const response = await fetch(`${url}${path}`, { headers: { origin: 'https://another-site.test' } });
      assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin', path);
      await response.text();
    }
  });

  /** The agent console (/agent) signed in as alice with the demo's one-click button, once connected. */
  const agentConsole = async (browser: Browser) => {
    const page = await browser.newPage();
    await page.goto(`${url}/agent`);
    await signInAsAlice(page);
    return page;
  };

  const signInAsAlice = async (page: Page) => {
    // The demo's sign-in is marked demo-only (`console.demoSignIn`), beside the password form.
    await page.waitForSelector('sb-sign-in .demo button[data-agent="alice"]', { timeout: 15_000 });
    assert.match(await page.$eval('sb-sign-in .demo', (section) => section.textContent ?? ''), /Demo only/);
    assert.ok(await page.$('sb-sign-in form.password'), 'the password way too (alice has an account)');
    await page.click('sb-sign-in .demo button[data-agent="alice"]');
    await page.waitForFunction(
      () => (document.querySelector('sb-console') as unknown as { client?: { session?: { self: string } } }).client?.session?.self === 'web:a_alice',
      { timeout: 15_000 },
    );
    await page.waitForSelector('sb-inbox', { timeout: 15_000 });
  };

  /** Lists every open conversation and opens a visitor's, once its messages are on screen. */
  const openConversation = async (page: Page, conversationId: string) => {
    await page.click('sb-inbox [data-view="open"]');
    const entry = `sb-inbox [data-conversation="${conversationId}"]`;
    await page.waitForSelector(entry, { timeout: 15_000 });
    // Found and clicked in one step: the list renders again as inbox:item events come.
    await page.$eval(entry, (button) => (button as HTMLButtonElement).click());
    await page.waitForSelector('sb-conversation sb-message-log .entry', { timeout: 15_000 });
    return entry;
  };

  it('runs the shop page and the agent console in Chromium under that policy: both connect, no violation', async () => {
    const browser = await launchChromium([
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ]);
    try {
      const page = await browser.newPage();
      const refused = cspRefusals(page);
      await page.goto(`${url}/`);
      // The loader paints the launcher; a click on it brings the chat (a second script), which connects.
      await page.waitForFunction(() => document.querySelector('switchboard-chat > div')?.shadowRoot?.querySelector('button') !== null, { timeout: 15_000 });
      await page.evaluate(() => document.querySelector('switchboard-chat > div')!.shadowRoot!.querySelector('button')!.click());
      await page.waitForFunction(
        () => (document.querySelector('switchboard-chat') as unknown as { chat?: { state: string } } | null)?.chat?.state === 'online',
        { timeout: 15_000 },
      );
      await page.goto(`${url}/agent`);
      await signInAsAlice(page);
      assert.deepEqual(refused, []);
    } finally {
      await browser.close();
    }
  });

  it("signs in to the agent console with the demo button, shows the shop visitor's conversation with its network, and the visitor gets the answer", async () => {
    const visitor = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    await visitor.ready();
    const conversation = await visitor.openConversation({ team: 'support' });
    await visitor.send(conversation.id, 'Do you ship to Lyon?');
    const customer = visitor.session!.self;
    const answered = new Promise<Message>((resolve) => visitor.on('message', (m) => m.text === 'Yes, in two days.' && resolve(m)));
    const browser = await launchChromium();
    try {
      const page = await agentConsole(browser);
      const entry = await openConversation(page, conversation.id);
      // The list names the network and the customer's address there; so does the customer panel.
      assert.match(await page.$eval(`${entry} .where`, (span) => span.textContent ?? ''), new RegExp(`Web · ${customer.slice('web:'.length)}$`));
      await page.waitForFunction(() => document.querySelector('sb-message-log')?.textContent?.includes('Do you ship to Lyon?'), { timeout: 15_000 });
      // The contact is asked for after the conversation shows: its addresses, once it is answered.
      await page.waitForSelector('sb-customer-panel section[aria-busy="false"] .addresses li', { timeout: 15_000 });
      assert.match(
        await page.$eval('sb-customer-panel .addresses', (ul) => ul.textContent?.trim() ?? ''),
        // Each address with how it was proven the customer's: an anonymous visitor's, by the chat alone.
        new RegExp(`Web: ${customer.slice('web:'.length)} \\(this chat\\)$`),
      );

      await page.type('sb-composer textarea', 'Yes, in two days.');
      await page.click('sb-composer button.send');
      assert.equal((await answered).from, 'web:a_alice');
    } finally {
      await browser.close();
      visitor.disconnect();
    }
  });

  it('accepts connections from its own origin on the port it runs on (localhost and 127.0.0.1), and no other', async () => {
    const port = new URL(url).port;
    assert.notEqual(port, '8080', 'a port other than the configured one');
    const handshake = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = io(`${url}/v1`, {
          auth: { siteKey: 'demo-site' },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          extraHeaders: { origin },
        });
        socket.once('session', () => {
          socket.disconnect();
          resolve('session');
        });
        socket.once('connect_error', (error) => {
          socket.disconnect();
          resolve(error.message);
        });
      });
    assert.equal(await handshake(`http://localhost:${port}`), 'session');
    assert.equal(await handshake(`http://127.0.0.1:${port}`), 'session');
    assert.match(await handshake('http://evil.example'), /Origin http:\/\/evil\.example is not allowed for site "demo-site"/);
  });

  it('visitor -> demo team -> ack with seq; a reply sent while away arrives through sync, once', async () => {
    const login = (await (await fetch(`${url}/demo/agent-identity?user=alice`)).json()) as AgentLogin;
    const agent = createClient({ url, siteKey: login.siteKey, identity: login.identity, storage: memoryStorage() });
    await agent.ready();

    const storage = memoryStorage();
    const visitor = createClient({ url, siteKey: 'demo-site', storage });
    await visitor.ready();
    const conversation = await visitor.openConversation({ team: 'support' });
    const sent = await visitor.send(conversation.id, 'Hi, is my order on its way?');
    assert.equal(sent.seq, 2, "after the team's greeting");
    assert.match(visitor.messages(conversation.id)[0]?.text ?? '', /Thanks for writing to the demo shop/);
    visitor.disconnect();

    const reply = await agent.send(conversation.id, 'Yes, it ships today.');
    const again = createClient({ url, siteKey: 'demo-site', storage });
    const seen: Message[] = [];
    again.on('message', (message) => seen.push(message));
    await again.ready();
    const deadline = Date.now() + 5000;
    while (!seen.some((m) => m.id === reply.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(
      seen.map((m) => m.text),
      ['Yes, it ships today.'],
    );
    again.disconnect();
    agent.disconnect();
  });

  it("gives the web console the desk commands: list, canned replies, close, and the visitor's rating", async () => {
    const login = (await (await fetch(`${url}/demo/agent-identity?user=bob`)).json()) as AgentLogin;
    const agent = createClient({ url, siteKey: login.siteKey, identity: login.identity, storage: memoryStorage() });
    await agent.ready();
    const visitor = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    await visitor.ready();
    const conversation = await visitor.openConversation({ team: 'support' });
    const ref = conversation.id.slice(-5).toLowerCase();
    assert.match(await agent.command('/canned'), /Canned replies: thanks, shipping/);
    assert.match(await agent.command(`/whois ${ref}`), /identity: not verified/);
    const canned = new Promise<Message>((resolve) => visitor.on('message', (m) => m.text.startsWith('Orders ship') && resolve(m)));
    assert.match(await agent.command(`/canned shipping ${ref}`), /Sent "shipping"/);
    await canned;
    assert.match(await agent.command(`/close ${ref}`), /is closed/);
    const rated = await visitor.rateConversation(conversation.id, 5, 'Quick and kind');
    assert.equal(rated.rating, 5);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /switchboard_ratings_total\{team="support",rating="5"\} 1/);
    await assert.rejects(visitor.command('/list'), /agents/);
    visitor.disconnect();
    agent.disconnect();
  });

  it("shows in the agent console the visitor's contact: its addresses per network and its conversations, each one click away", async () => {
    const visitor = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    await visitor.ready();
    const first = await visitor.openConversation({ team: 'support' });
    await visitor.send(first.id, 'First order');
    await visitor.closeConversation(first.id);
    const second = await visitor.openConversation({ team: 'support' });
    await visitor.send(second.id, 'Second order');
    const browser = await launchChromium();
    try {
      const page = await agentConsole(browser);
      await openConversation(page, second.id);
      // The contact (contact:get): both conversations of this visitor, the closed one opens in a click.
      const past = `sb-customer-panel .past [data-conversation="${first.id}"]`;
      await page.waitForSelector(past, { timeout: 15_000 });
      assert.ok(await page.$(`sb-customer-panel .past [data-conversation="${second.id}"]`));
      assert.match(await page.$eval(past, (button) => button.textContent ?? ''), /Closed/i);
      await page.$eval(past, (button) => (button as HTMLButtonElement).click());
      await page.waitForFunction(() => document.querySelector('sb-message-log')?.textContent?.includes('First order'), { timeout: 15_000 });
    } finally {
      await browser.close();
      visitor.disconnect();
    }
  });

  it("shows a visitor's image in the agent console, opened from the bridge in a new tab, and the agent answers with a file the visitor receives", async () => {
    const visitor = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    await visitor.ready();
    const conversation = await visitor.openConversation({ team: 'support' });
    const receipt = await visitor.uploadFile(conversation.id, new Blob([Buffer.from(ONE_PIXEL_PNG, 'base64')]), { name: 'receipt.png' });
    assert.deepEqual([receipt.type, receipt.width, receipt.height], ['image/png', 1, 1]);
    await visitor.send(conversation.id, 'My receipt', { attachments: [receipt] });
    const answered = new Promise<Message>((resolve) => visitor.on('message', (m) => m.attachments?.length && m.from !== visitor.session?.self && resolve(m)));
    const invoice = join(dir, 'invoice.txt');
    writeFileSync(invoice, 'Invoice 42: paid.\n');
    const browser = await launchChromium();
    try {
      const page = await agentConsole(browser);
      await openConversation(page, conversation.id);
      // The visitor's image: its thumbnail (loaded under the console's CSP), a button named by the
      // file; it opens the file's signed link in a new tab.
      const file = `sb-message-log button.thumbnail[data-file="${receipt.id}"]`;
      await page.waitForSelector(file, { timeout: 15_000 });
      assert.ok(receipt.size < 1000, 'a size in bytes');
      assert.equal(await page.$eval(file, (button) => button.getAttribute('aria-label')), `Open receipt.png (${receipt.size} bytes)`);
      await page.waitForFunction((selector) => document.querySelector<HTMLImageElement>(`${selector} img`)?.naturalWidth, { timeout: 15_000 }, file);
      const opened = new Promise<string>((resolve) => {
        const seen = (target: Target) => target.url().startsWith(`${url}/v1/files/${receipt.id}/`) && resolve(target.url());
        browser.on('targetcreated', seen);
        browser.on('targetchanged', seen);
      });
      await page.click(file);
      const link = await opened;
      // The new tab is in front: back to the console (a page in the background paints no frame, and
      // puppeteer's clicks wait for one).
      await page.bringToFront();
      const image = await fetch(link);
      assert.equal(image.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await image.arrayBuffer()), Buffer.from(ONE_PIXEL_PNG, 'base64'));

      // The agent attaches a file, then sends it with a reply.
      const picker = await page.$('sb-composer input[type="file"]');
      await picker!.uploadFile(invoice);
      await page.waitForFunction(() => document.querySelector('sb-composer .files li')?.textContent?.includes('invoice.txt'), { timeout: 15_000 });
      await page.type('sb-composer textarea', 'Here is your invoice');
      await page.click('sb-composer button.send');
      const reply = await answered;
      assert.equal(reply.text, 'Here is your invoice');
      assert.deepEqual(
        reply.attachments?.map(({ name, type, size }) => ({ name, type, size })),
        [{ name: 'invoice.txt', type: 'text/plain', size: 18 }],
      );
      const { url: invoiceLink } = await visitor.fileLink(reply.attachments[0]!.id);
      assert.equal(await (await fetch(invoiceLink)).text(), 'Invoice 42: paid.\n');
    } finally {
      await browser.close();
      visitor.disconnect();
    }
  });
});
