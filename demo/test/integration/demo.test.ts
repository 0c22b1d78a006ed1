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
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { io } from 'socket.io-client';

const demoDir = fileURLToPath(new URL('../..', import.meta.url));
/** A 1x1 PNG. */
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** What the demo hands its agent console: the site and a signed identity. */
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
    assert.match(await (await fetch(`${url}/agent`)).text(), /agent\.js/);
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

  /** Headless Chromium, as the console tests run it. */
  const launchChromium = () =>
    puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });

  /** The web agent console as alice, once it is online. */
  const agentConsole = async (browser: Browser) => {
    const page = await browser.newPage();
    await page.goto(`${url}/agent?agent=alice`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent?.includes('online'), { timeout: 15_000 });
    return page;
  };

  /** Opens a web visitor's conversation in the console (found and clicked in one step: the list renders again as conversations are offered). */
  const selectVisitor = async (page: Page, visitor: string) => {
    const entry = `#list button[title="Web · ${visitor.slice('web:'.length)}"]`;
    await page.waitForSelector(entry, { timeout: 15_000 });
    await page.$eval(entry, (button) => (button as HTMLButtonElement).click());
  };

  it('runs the shop page and the agent console in Chromium under that policy: both connect, no violation', async () => {
    const browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
      });
      await page.goto(`${url}/`);
      // The loader paints the launcher; a click on it brings the chat (a second script), which connects.
      await page.waitForFunction(() => document.querySelector('switchboard-chat > div')?.shadowRoot?.querySelector('button') !== null, { timeout: 15_000 });
      await page.evaluate(() => document.querySelector('switchboard-chat > div')!.shadowRoot!.querySelector('button')!.click());
      await page.waitForFunction(
        () => (document.querySelector('switchboard-chat') as unknown as { chat?: { state: string } } | null)?.chat?.state === 'online',
        { timeout: 15_000 },
      );
      await page.goto(`${url}/agent?agent=alice`);
      await page.waitForFunction(() => document.getElementById('state')?.textContent?.includes('online'), { timeout: 15_000 });
      assert.deepEqual(refused, []);
    } finally {
      await browser.close();
    }
  });

  it("shows in the agent console each conversation's network and customer address, and starts outreach from its form", async () => {
    const visitor = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    await visitor.ready();
    const conversation = await visitor.openConversation({ team: 'support' });
    const customer = visitor.session!.self;
    const browser = await launchChromium();
    try {
      const page = await agentConsole(browser);
      // The list names the network; the details the network and the customer's address there.
      const entry = `#list button[title="Web · ${customer.slice('web:'.length)}"]`;
      await page.waitForSelector(entry, { timeout: 15_000 });
      assert.match(await page.$eval(entry, (button) => button.textContent ?? ''), / · Web · open/);
      // Found and clicked in one step: the list renders again as the conversation is offered to alice.
      await page.$eval(entry, (button) => (button as HTMLButtonElement).click());
      await page.waitForFunction(() => !document.getElementById('details')?.hidden, { timeout: 15_000 });
      const details = await page.$eval('#details', (dl) =>
        [...dl.querySelectorAll('dt')].map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`),
      );
      assert.ok(details.includes(`Network: Web · ${customer.slice('web:'.length)}`), details.join('; '));
      assert.ok(conversation.id);

      // The demo connects no XMPP network: the form shows the bridge's refusal.
      await page.type('#outreach-to', 'xmpp:carol@example.com');
      await page.type('#outreach-text', 'Hello Carol');
      await page.click('#outreach button[type="submit"]');
      await page.waitForFunction(() => document.getElementById('answer')?.textContent?.includes('xmpp:carol@example.com'), { timeout: 15_000 });
      assert.match(await page.$eval('#answer', (pre) => pre.textContent ?? ''), /not an address of a network this bridge connects/);
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

  it("shows in the agent console the visitor's contact, merges another visitor into it and undoes it, and shows a refused invitation", async () => {
    const visitor = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    const other = createClient({ url, siteKey: 'demo-site', storage: memoryStorage() });
    await Promise.all([visitor.ready(), other.ready()]);
    await visitor.openConversation({ team: 'support' });
    await other.openConversation({ team: 'support' });
    const customer = visitor.session!.self;
    const otherAddress = other.session!.self;
    const browser = await launchChromium();
    try {
      const page = await agentConsole(browser);
      await selectVisitor(page, customer);
      // The contact: the visitor's web address, proven by the widget session, and this conversation.
      await page.waitForFunction(() => /^Contact \S+/.test(document.getElementById('contact-title')?.textContent ?? ''), { timeout: 15_000 });
      const addresses = () => page.$$eval('#contact-addresses li', (items) => items.map((li) => li.textContent ?? ''));
      assert.deepEqual(
        (await addresses()).map((line) => line.split(' · ').slice(0, 3).join(' · ')),
        [`Web · ${customer.slice('web:'.length)} · this widget session`],
      );
      assert.equal((await page.$$('#contact-conversations li')).length, 1);

      // Merge the other visitor (by address), then undo it.
      await page.type('#merge-from', otherAddress);
      await page.click('#merge button[type="submit"]');
      await page.waitForFunction(() => document.querySelectorAll('#contact-addresses li').length === 2, { timeout: 15_000 });
      assert.match(await page.$eval('#answer', (pre) => pre.textContent ?? ''), /^Merged \(merge \S+\): Undo merge puts it back\.$/);
      assert.equal((await page.$$('#contact-conversations li')).length, 2, "the other visitor's conversation is the contact's too");
      await page.click('#contact-merges button');
      await page.waitForFunction(() => document.querySelectorAll('#contact-addresses li').length === 1, { timeout: 15_000 });
      assert.match(await page.$eval('#answer', (pre) => pre.textContent ?? ''), /^Merge undone: /);
      assert.equal((await page.$$('#contact-merges li')).length, 0);

      // The demo site lets visitors continue on no network: the bridge's refusal is shown.
      await page.select('#invite-network', 'xmpp');
      await page.click('#invite');
      await page.waitForFunction(() => document.getElementById('answer')?.textContent?.startsWith('Merge undone') === false, { timeout: 15_000 });
      assert.doesNotMatch(await page.$eval('#answer', (pre) => pre.textContent ?? ''), /^Invited/);
    } finally {
      await browser.close();
      visitor.disconnect();
      other.disconnect();
    }
  });

  it("shows a visitor's image in the agent console, loaded from the bridge, and the agent answers with a file the visitor receives", async () => {
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
      await selectVisitor(page, visitor.session!.self);
      // The visitor's image: a preview whose bytes came from the bridge, named by the file.
      await page.waitForFunction(
        () => {
          const img = document.querySelector<HTMLImageElement>('#log .files img');
          return img !== null && img.complete && img.naturalWidth > 0;
        },
        { timeout: 15_000 },
      );
      assert.equal(await page.$eval('#log .files img', (img) => img.alt), 'receipt.png');
      // A real link to a new tab, its signed link fetched ahead: no popup a blocker could stop.
      await page.waitForFunction(() => document.querySelector<HTMLAnchorElement>('#log .files a')?.href, { timeout: 15_000 });
      const link = await page.$eval('#log .files a', (a) => ({ label: a.getAttribute('aria-label'), target: a.target, rel: a.rel, href: a.href }));
      assert.deepEqual([link.label, link.target, link.rel], [`Open image receipt.png (${receipt.size} B)`, '_blank', 'noopener noreferrer']);
      assert.equal((await fetch(link.href)).headers.get('content-type'), 'image/png');

      // The agent attaches a file (uploaded at once), then sends it with a reply.
      await page.waitForFunction(() => !(document.getElementById('attach') as HTMLButtonElement).disabled, { timeout: 15_000 });
      const picker = await page.$('input#file-input');
      await picker!.uploadFile(invoice);
      await page.waitForFunction(() => document.querySelector('#files li') !== null && document.querySelector('#files progress') === null, { timeout: 15_000 });
      assert.match(await page.$eval('#files li', (li) => li.textContent ?? ''), /^invoice\.txt \(18 B\)/);
      await page.type('#text', 'Here is your invoice');
      await page.click('#composer button[type="submit"]');
      const reply = await answered;
      assert.equal(reply.text, 'Here is your invoice');
      assert.deepEqual(
        reply.attachments?.map(({ name, type, size }) => ({ name, type, size })),
        [{ name: 'invoice.txt', type: 'text/plain', size: 18 }],
      );
      const { url: invoiceLink } = await visitor.fileLink(reply.attachments[0]!.id);
      assert.equal(await (await fetch(invoiceLink)).text(), 'Invoice 42: paid.\n');

      // At most ten files wait at once: the eleventh is refused with a clear message.
      const notes = Array.from({ length: 11 }, (_, i) => join(dir, `note-${i}.txt`));
      notes.forEach((path, i) => writeFileSync(path, `Note ${i}\n`));
      await picker!.uploadFile(...notes);
      await page.waitForFunction(() => document.querySelectorAll('#files li').length > 0, { timeout: 15_000 });
      assert.equal(await page.$$eval('#files li', (items) => items.length), 10);
      assert.equal(await page.$eval('#file-error', (p) => p.textContent), 'You can send at most 10 files at once.');
    } finally {
      await browser.close();
      visitor.disconnect();
    }
  });
});
