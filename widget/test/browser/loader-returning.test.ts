// A returning visitor whose conversation holds an unread answer gets it without a click.
import { expect } from '@open-wc/testing';
import { createClient, type Message } from '@switchboard/sdk';
import { chatRequested, cleanup, embed, info, until } from './loader-page.js';

describe('/widget.js loader: a returning visitor', () => {
  after(cleanup);

  it('loads the chat at once and shows the answer that came while the visitor was away', async () => {
    localStorage.clear();
    // The visitor's earlier visit: a conversation, on this device's storage (as the widget keeps it).
    const visitor = createClient({ url: info.url, siteKey: info.siteKey });
    await visitor.ready();
    const conversation = await visitor.openConversation({ team: 'support' });
    await visitor.send(conversation.id, 'Is my order on its way?');
    await new Promise((resolve) => setTimeout(resolve, 0)); // cursors are saved in a microtask
    visitor.disconnect();
    // Meanwhile an agent answers.
    const agent = createClient({ url: info.url, siteKey: info.siteKey, identity: info.agent, storage: null });
    await agent.ready();
    await agent.send(conversation.id, 'Yes, it ships today.');
    agent.disconnect();

    const api = await embed();
    const element = api.element;
    await until(() => customElements.get('switchboard-chat'), 'the chat to load without a click');
    expect(chatRequested()).to.equal(true);
    await until(() => element.chat.unread === 1, 'the unread answer');
    const texts = element.chat.messages.map((m: Message) => m.text);
    expect(texts).to.include('Yes, it ships today.');
    await element.updateComplete;
    expect(element.shadowRoot!.querySelector('.badge')?.textContent?.trim()).to.equal('1');
  });
});
