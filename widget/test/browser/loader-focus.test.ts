// Opened from the loader's launcher by keyboard before the chat is fetched: focus moves into the
// panel once the chat renders, as it does when the chat was there already (WCAG 2.4.3).
import { expect } from '@open-wc/testing';
import { cleanup, embed, placeholderButton, until } from './loader-page.js';

describe('/widget.js loader: focus when the launcher opens the chat before it is loaded', () => {
  after(cleanup);

  it('moves focus from the launcher into the panel, and back to the launcher on Escape', async () => {
    const api = await embed();
    const element = api.element;
    const button = placeholderButton()!;
    button.focus();
    // Enter on a focused button is a click.
    button.click();
    await until(() => customElements.get('switchboard-chat') && element.open, 'the chat to load and open');
    await until(() => element.shadowRoot!.activeElement?.matches('textarea.input, input') === true, 'focus in the first field');
    expect(document.activeElement).to.equal(element);
    element.shadowRoot!.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await until(() => !element.open, 'the panel closed');
    await until(() => element.shadowRoot!.activeElement?.classList.contains('launcher') === true, 'focus back on the launcher');
  });
});
