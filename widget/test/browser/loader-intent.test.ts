// The loader paints the launcher before the chat is fetched, and fetches it on intent.
import { expect } from '@open-wc/testing';
import { chatRequested, cleanup, embed, info, placeholderButton, until } from './loader-page.js';

describe('/widget.js loader: the launcher first, the chat on intent', () => {
  after(cleanup);

  it('paints a labelled launcher with no chat fetched, then loads and opens the chat on a click', async () => {
    const api = await embed({ color: '#ffcc00' });
    const element = api.element;
    expect(element.tagName).to.equal('SWITCHBOARD-CHAT');
    expect(element.getAttribute('server')).to.equal(info.url);
    const button = placeholderButton()!;
    expect(button.getAttribute('aria-label')).to.equal('Open chat');
    const box = button.getBoundingClientRect();
    expect([Math.round(box.width), Math.round(box.height)]).to.deep.equal([56, 56]);
    expect(getComputedStyle(button).backgroundColor).to.equal('rgb(255, 204, 0)');
    // Nothing but the loader yet: no chat chunk, no element definition, no socket.
    await new Promise((resolve) => requestAnimationFrame(resolve));
    expect(chatRequested()).to.equal(false);
    expect(customElements.get('switchboard-chat')).to.equal(undefined);

    button.click();
    await until(() => customElements.get('switchboard-chat') && element.open, 'the chat to load and open');
    await element.updateComplete;
    expect(placeholderButton()).to.equal(null, 'the placeholder is gone once the chat renders');
    expect(element.shadowRoot!.querySelector('.panel')).to.not.equal(null);
    await until(() => element.chat.state === 'online', 'the chat to connect');
  });
});
