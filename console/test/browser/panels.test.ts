// The console's customer panel, presence toggle, sign-in by the site's identity, languages,
// themes and the phone layout, in Chromium against a real bridge; axe on each.
import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import type { Presence } from '@switchboard/sdk';
import type { ConsoleApp } from '../../lib/console-app.js';
import '../../lib/customer-panel.js';
import { Notifier } from '../../lib/notifier.js';
import { SessionApi } from '../../lib/session-api.js';
import type { SignIn } from '../../lib/sign-in.js';
import { $, agentClient, cleanUpEachTest, clients, consoleFor, info, openConversation, until, visitor } from './console-page.js';

cleanUpEachTest();

describe('the console: panels, sign-in, languages, themes, phone', () => {
  it('shows who the customer is: name, email, verified, page, addresses', async () => {
    const { client: customer, conversationId } = await visitor('Who am I?', true);
    await customer.updateProfile({ pageUrl: 'https://shop.example/cart' });
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Who am I?');
    await until(() => $(element, 'sb-customer-panel .name')?.textContent === 'Uma', 'the customer name');
    expect($(element, 'sb-customer-panel .email')!.textContent).to.equal('uma@example.com');
    expect($(element, 'sb-customer-panel .verified')!.textContent).to.equal('Verified');
    await until(() => $(element, 'sb-customer-panel .page a')?.getAttribute('href') === 'https://shop.example/cart', 'the page');
    expect($(element, 'sb-customer-panel .addresses')!.textContent).to.include('Web');
    await until(() => $(element, 'sb-customer-panel .addresses')?.textContent.includes('(signed in on the site)'), 'the address proven by the identity');
    await expect(element).to.be.accessible();
  });

  it('says nothing of the customer until the bridge answered: busy, not "Unknown" or "Not verified" meanwhile', async () => {
    // A client whose answers have not come yet.
    const pending = new Promise<never>(() => {});
    const client = { on: () => () => {}, getParty: () => pending, getContact: () => pending, subscribePresence: () => pending, unwatchPresence: () => {} };
    const panel = await fixture<HTMLElement>(html`<sb-customer-panel .client=${client} .address=${'web:v_0123456789ab'}></sb-customer-panel>`);
    await (panel as HTMLElement & { updateComplete: Promise<unknown> }).updateComplete;
    expect(panel.querySelector('section')!.getAttribute('aria-busy')).to.equal('true');
    expect(['.name', '.email', '.verified'].map((field) => panel.querySelector(field)!.textContent)).to.deep.equal(['', '', '']);
  });

  it('shows the customer again when another conversation of theirs opens, one the inbox does not list', async () => {
    const first = await visitor('My first question', true);
    const agent = await agentClient();
    await agent.closeConversation(first.conversationId);
    const second = await visitor('My second question', true);
    expect(second.conversationId).to.not.equal(first.conversationId);
    const element = await consoleFor(agent);
    await openConversation(element, second.conversationId, 'My second question');
    await until(() => $(element, 'sb-customer-panel .name')?.textContent === 'Uma', 'the customer name');
    await openConversation(element, first.conversationId, 'My first question');
    await until(() => $(element, 'sb-customer-panel .name')?.textContent === 'Uma', 'the customer name for the other conversation');
  });

  it('follows the conversation shown: closed, it is listed closed among the past ones', async () => {
    const { conversationId } = await visitor('Close me later', true);
    const agent = await agentClient();
    const element = await consoleFor(agent);
    await openConversation(element, conversationId, 'Close me later');
    const listed = () => $(element, `sb-customer-panel .past [data-conversation="${conversationId}"]`)?.textContent ?? '';
    await until(() => listed().includes('open'), 'listed open');
    await agent.closeConversation(conversationId);
    await until(() => listed().includes('closed'), 'listed closed once it closed');
  });

  it("says an anonymous visitor is not verified: the chat is the address's only proof", async () => {
    const { conversationId } = await visitor('Just browsing');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Just browsing');
    await until(() => $(element, 'sb-customer-panel .addresses')?.textContent.includes('(this chat)'), 'the address and its proof');
    // Busy no more once answered: what a page (or a screen reader) waits for.
    expect($(element, 'sb-customer-panel section')!.getAttribute('aria-busy')).to.equal('false');
    expect($(element, 'sb-customer-panel .verified')!.textContent).to.equal('Not verified');
  });

  it('shows whether the customer is there now, and follows it: away, back, gone once they left', async () => {
    const { client: customer, conversationId } = await visitor('Are you there?');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Are you there?');
    const shown = () => $(element, 'sb-customer-panel .presence');
    await until(() => shown()?.dataset.status === 'available', 'the customer available');
    expect(shown()!.textContent.trim()).to.equal('Available');
    await expect(element).to.be.accessible();
    await customer.setPresence('away', 'On the phone');
    await until(() => shown()?.dataset.status === 'away', 'the customer away');
    expect(shown()!.textContent.trim()).to.equal('Away (On the phone)');
    customer.disconnect();
    await until(() => shown()?.dataset.status === 'offline', 'the customer offline once they left');
    expect(shown()!.textContent.trim()).to.equal('Offline');
  });

  it('sets the agent away and back with the presence toggle', async () => {
    const watcher = await agentClient();
    const seen: Presence[] = [];
    watcher.on('presence', (presence) => seen.push(presence));
    await watcher.subscribePresence({ addresses: ['web:a_agent'] });
    await watcher.setPresence('available');
    const element = await consoleFor();
    const toggle = $<HTMLButtonElement>(element, 'sb-presence button')!;
    await until(() => toggle.getAttribute('aria-pressed') === 'false', 'the status the bridge has: available');
    toggle.click();
    await until(() => seen.some((p) => p.status === 'away'), 'the agent away');
    await until(() => toggle.getAttribute('aria-pressed') === 'true', 'the toggle pressed');
    toggle.click();
    await until(() => seen.at(-1)?.status === 'available', 'the agent available again');
  });

  it('shows the status the bridge has for the agent from the start, and follows changes made elsewhere', async () => {
    // The same agent, set away in another tab before the console starts.
    const otherTab = await agentClient();
    await otherTab.setPresence('away');
    const element = await consoleFor();
    const toggle = () => $<HTMLButtonElement>(element, 'sb-presence button')!;
    await until(() => toggle().getAttribute('aria-pressed') === 'true', 'the toggle pressed: away');
    expect(toggle().textContent).to.include('My status: Away');
    await expect(element).to.be.accessible();
    await otherTab.setPresence('available');
    await until(() => toggle().getAttribute('aria-pressed') === 'false', 'available, as set in the other tab');
    expect(toggle().textContent).to.include('My status: Available');
  });

  it("signs in with the site's identity when that is the way offered, and connects as that agent", async () => {
    const element = await fixture<ConsoleApp>(html`<sb-console lang="en" server=${info.url} api-base=${`${location.origin}/__console/api/`}></sb-console>`);
    await until(() => $(element, 'sb-sign-in button.identity'), 'the sign-in');
    expect($(element, 'sb-sign-in form.password')).to.equal(null);
    expect($(element, 'sb-sign-in .demo')).to.equal(null);
    await expect(element).to.be.accessible();
    $<HTMLButtonElement>(element, 'sb-sign-in button.identity')!.click();
    await until(() => element.client?.session?.self === 'web:a_agent', 'the agent connected');
    clients.push(element.client!);
    await until(() => $(element, 'sb-inbox'), 'the workspace');

    // A reload asks the site again instead of showing the sign-in; signing out forgets that.
    element.remove();
    const reloaded = await fixture<ConsoleApp>(html`<sb-console lang="en" server=${info.url} api-base=${`${location.origin}/__console/api/`}></sb-console>`);
    await until(() => reloaded.client?.session?.self === 'web:a_agent', 'the agent connected again without a click');
    clients.push(reloaded.client!);
    $<HTMLButtonElement>(reloaded, 'button.sign-out')!.click();
    await until(() => $(reloaded, 'sb-sign-in button.identity'), 'the sign-in after signing out');
    reloaded.remove();
    const afterSignOut = await fixture<ConsoleApp>(
      html`<sb-console lang="en" server=${info.url} api-base=${`${location.origin}/__console/api/`}></sb-console>`,
    );
    await until(() => $(afterSignOut, 'sb-sign-in button.identity'), 'the sign-in, not the site again');
    expect(afterSignOut.client).to.equal(undefined);
  });

  it('offers every way the bridge names: the password form, the site, and demo agents marked demo-only; accessible', async () => {
    const api = new SessionApi(new URL('/agent/api/', location.origin));
    const session = { signedIn: false, csrfToken: 't', methods: ['password', 'identity', 'demo'], identityUrl: '/id', demoAgents: ['alice'] };
    const element = await fixture<SignIn>(html`<sb-sign-in .api=${api} .session=${session}></sb-sign-in>`);
    expect($<HTMLInputElement>(element, 'input#password')!.type).to.equal('password');
    expect($(element, 'label[for="username"]')!.textContent).to.equal('Username');
    expect($(element, '.demo')!.textContent).to.include('Demo only');
    expect([...element.querySelectorAll('button.demo-agent')].map((b) => b.textContent.trim())).to.deep.equal(['Sign in as alice (demo)']);
    await expect(element).to.be.accessible();
  });

  it('puts the unread count of the listed conversations in the page title, and takes it away once read', async () => {
    const notifier = new Notifier(
      'Console',
      (who) => `New message from ${who}`,
      () => ['web:a_alice'],
    );
    const item = (id: string, unread: number) => ({
      id,
      participants: [`web:v_${id}` as const],
      team: 'support',
      state: 'open' as const,
      createdAt: new Date().toISOString(),
      lastSeq: unread,
      customer: { address: `web:v_${id}` as const, network: 'web' },
      unread,
      updatedAt: new Date().toISOString(),
    });
    notifier.listed([item('a', 2), item('b', 0)]);
    expect(document.title).to.equal('(2) Console');
    notifier.changed(item('b', 1), 'a');
    expect(document.title).to.equal('(3) Console');
    notifier.read('a');
    notifier.changed({ ...item('b', 1), state: 'closed' }, 'a');
    expect(document.title).to.equal('Console');
    // A conversation of another view (pushed, not listed) counts not; listed, it does.
    notifier.changed(item('c', 5), 'a');
    expect(document.title).to.equal('Console');
    notifier.listed([item('b', 0), item('c', 100)]);
    expect(document.title).to.equal('(100+) Console', 'a count at the cap is a floor');
    // Another view with nothing unread: the title says so at once.
    notifier.listed([item('d', 0)]);
    expect(document.title).to.equal('Console');
    // Signing out forgets the agent's counts: the sign-in screen's title shows none of them.
    notifier.listed([item('e', 4)]);
    expect(document.title).to.equal('(4) Console');
    notifier.reset();
    expect(document.title).to.equal('Console');
    notifier.changed(item('e', 4), '');
    expect(document.title).to.equal('Console', 'nothing listed since');
  });

  it('speaks French, and Arabic right to left; accessible in both', async () => {
    const { conversationId } = await visitor('Bonjour');
    const french = await consoleFor(undefined, 'fr');
    await openConversation(french, conversationId, 'Bonjour');
    expect($(french, 'sb-conversation .close')!.textContent).to.equal('Fermer');
    expect(french.getAttribute('dir')).to.equal('ltr');
    await expect(french).to.be.accessible();
    french.remove();
    const arabic = await consoleFor(undefined, 'ar');
    await openConversation(arabic, conversationId, 'Bonjour');
    expect(arabic.getAttribute('dir')).to.equal('rtl');
    expect($(arabic, 'sb-conversation .close')!.textContent).to.equal('أغلق');
    await expect(arabic).to.be.accessible();
  });

  it('follows the system theme until the agent picks one; accessible in dark', async () => {
    const element = await consoleFor();
    expect(document.documentElement.dataset.theme).to.equal(undefined);
    const select = $<HTMLSelectElement>(element, 'select.theme')!;
    select.value = 'dark';
    select.dispatchEvent(new Event('change'));
    expect(document.documentElement.dataset.theme).to.equal('dark');
    expect(getComputedStyle(element).backgroundColor).to.equal('rgb(22, 24, 28)');
    await expect(element).to.be.accessible();
  });

  it('on a phone shows one column: the conversation in place of the list, and back', async () => {
    await setViewport({ width: 375, height: 740 });
    try {
      const { conversationId } = await visitor('From my phone');
      const element = await consoleFor();
      const shown = (selector: string) => $(element, selector)!.checkVisibility();
      expect(shown('sb-inbox')).to.equal(true);
      await openConversation(element, conversationId, 'From my phone');
      expect([shown('sb-inbox'), shown('sb-conversation')]).to.deep.equal([false, true]);
      expect(document.activeElement).to.equal($(element, '#conversation-title'));
      await expect(element).to.be.accessible();
      $<HTMLButtonElement>(element, 'sb-conversation button.back')!.click();
      await until(() => shown('sb-inbox'), 'the list again');
      expect(shown('sb-conversation')).to.equal(false);
    } finally {
      await setViewport({ width: 800, height: 600 });
    }
  });
});
