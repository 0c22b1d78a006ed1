// A page in another language than English gets that language's catalogue as a chunk of its own,
// fetched with the chat; a language chosen later is fetched when it is needed.
import { expect } from '@open-wc/testing';
import { cleanup, embed, placeholderButton, until } from './loader-page.js';

const requested = (pattern: RegExp) =>
  performance.getEntriesByType('resource').some((entry) => pattern.test(entry.name)) ||
  [...document.querySelectorAll<HTMLScriptElement>('script[src]')].some((script) => pattern.test(script.src));

describe('/widget.js loader: languages fetched on demand', () => {
  after(cleanup);

  it('paints and opens a French chat on a French page, then speaks Arabic once asked to', async () => {
    const api = await embed({ lang: 'fr' });
    const element = api.element;
    expect(placeholderButton()!.getAttribute('aria-label')).to.equal('Ouvrir la discussion');
    expect(requested(/\/widget\/chat-fr-[0-9a-f]+\.js/)).to.equal(false, 'no catalogue before intent');

    placeholderButton()!.click();
    await until(() => customElements.get('switchboard-chat') && element.open, 'the chat to load and open');
    await element.updateComplete;
    expect(requested(/\/widget\/chat-fr-[0-9a-f]+\.js/)).to.equal(true);
    expect(requested(/\/widget\/chat-ar-[0-9a-f]+\.js/)).to.equal(false, 'only the page language is fetched');
    const shadow = element.shadowRoot!;
    // Already in French when it first paints: the catalogue ran before the chat.
    expect(shadow.querySelector('button.launcher')!.getAttribute('aria-label')).to.equal('Fermer la discussion');
    expect(shadow.querySelector('#title')!.textContent).to.equal('Discutons');
    expect(shadow.querySelector('div[dir]')!.getAttribute('lang')).to.equal('fr');

    element.lang = 'ar';
    await until(() => shadow.querySelector('div[dir]')?.getAttribute('dir') === 'rtl', 'the Arabic catalogue');
    expect(requested(/\/widget\/chat-ar-[0-9a-f]+\.js/)).to.equal(true);
    expect(shadow.querySelector('button.launcher')!.getAttribute('aria-label')).to.equal('أغلق المحادثة');
    expect(shadow.querySelector('#title')!.textContent).to.equal('تحدث معنا');
    await until(() => element.chat.state === 'online', 'the chat to connect');
  });
});
