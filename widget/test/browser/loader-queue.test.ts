// Calls made to window.Switchboard before the chat is there run after it arrives, in order.
import { expect } from '@open-wc/testing';
import { chatRequested, cleanup, embed, info, until } from './loader-page.js';

describe('/widget.js loader: the API before the chat', () => {
  after(cleanup);

  it('queues calls and listeners, and runs them once the chat is there', async () => {
    const api = await embed();
    const seen: string[] = [];
    api.on('ready', () => seen.push('ready'));
    const off = api.on('close', () => seen.push('close (removed listener)'));
    off();
    expect(chatRequested()).to.equal(false, 'registering listeners is not intent');
    api.identify(info.user);
    api.open();
    const element = api.element;
    await until(() => customElements.get('switchboard-chat') && element.open, 'the queued open');
    expect(element.identity?.userId).to.equal('user-7');
    await until(() => seen.length > 0, 'the ready event');
    expect(seen).to.deep.equal(['ready']);
    api.close();
    await element.updateComplete;
    expect(element.open).to.equal(false);
    expect(seen).to.deep.equal(['ready'], 'a listener removed before the chat loaded stays removed');
    await until(() => element.chat.state === 'online', 'the chat to connect as the identified user');
    expect(element.chat.session?.self).to.equal('web:u_user-7');
  });
});
