// A page that enforces Trusted Types (`require-trusted-types-for 'script'`): a script's `src` takes
// only what a policy made. The loader fetches the chat and the catalogues through a policy of its
// own (`switchboard`), and the browser reports no violation.
import { expect } from '@open-wc/testing';
import { agentOnline, cleanup, info, placeholderButton, until } from './loader-page.js';
import type { PageApi } from './loader-page.js';

type Factory = { createPolicy(name: string, rules: { createScriptURL(url: string): string }): { createScriptURL(url: string): unknown } };

describe('/widget.js on a page that enforces Trusted Types', () => {
  after(cleanup);

  it('loads the chat and a catalogue through its own policy, with nothing refused', async () => {
    // An agent online: the panel shows the composer (with nobody there, the team's offline form).
    await agentOnline();
    const policy = document.createElement('meta');
    policy.httpEquiv = 'Content-Security-Policy';
    policy.content = "require-trusted-types-for 'script'";
    document.head.append(policy);
    const refused: string[] = [];
    document.addEventListener('securitypolicyviolation', (event) => refused.push(`${event.effectiveDirective}: ${event.blockedURI} ${event.sample}`));
    // The policy holds: a plain string is refused as a script's src.
    expect(() => {
      document.createElement('script').src = `${info.url}/widget.js`;
    }).to.throw(TypeError);
    await until(() => refused.length === 1, 'the probe refused');
    refused.length = 0;

    // The page's own tag, through the page's own policy, in French: the loader fetches that catalogue too.
    document.documentElement.lang = 'fr';
    const pages = (window as unknown as { trustedTypes: Factory }).trustedTypes.createPolicy('page', { createScriptURL: (url) => url });
    const api = await new Promise<PageApi>((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = pages.createScriptURL(`${info.url}/widget.js`) as string;
      tag.dataset.siteKey = info.siteKey;
      tag.onload = () => resolve((window as unknown as { Switchboard: PageApi }).Switchboard);
      tag.onerror = () => reject(new Error('widget.js did not load'));
      document.head.append(tag);
    });
    placeholderButton()!.click();
    const element = api.element;
    await until(() => customElements.get('switchboard-chat') && element.open, 'the chat to load and open');
    await until(() => element.chat.state === 'online' && element.chat.availability?.available, 'the chat to connect, the team available');
    await until(() => element.shadowRoot!.querySelector('textarea')?.getAttribute('placeholder')?.startsWith('Écri'), 'the chat in French');
    // A language chosen later: its catalogue is fetched by the chat, through the same policy.
    element.setAttribute('lang', 'ar');
    await until(() => element.shadowRoot!.querySelector('div[lang="ar"][dir="rtl"]'), 'the chat in Arabic');
    expect(refused).to.deep.equal([]);
    api.close();
    await element.updateComplete;
    document.documentElement.lang = 'en';
  });
});
