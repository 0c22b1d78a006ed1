// A page that has its own <switchboard-chat> and the one-tag embed: the loader uses that element,
// the tag's data-* filling in what the element does not set (its site key, the bridge), never
// overriding what it sets.
import { expect } from '@open-wc/testing';
import { cleanup, embed, info, until } from './loader-page.js';

describe('/widget.js loader: an element already on the page', () => {
  after(cleanup);

  it("connects it with the tag's site key and bridge, keeping the element's own attributes", async () => {
    const own = document.createElement('switchboard-chat');
    own.setAttribute('heading', 'Our desk');
    document.body.append(own);
    const api = await embed({ heading: 'From the tag', position: 'left' });
    expect(api.element).to.equal(own);
    expect(own.getAttribute('site-key')).to.equal(info.siteKey);
    expect(own.getAttribute('server')).to.equal(new URL(info.url).origin);
    expect(own.getAttribute('heading')).to.equal('Our desk');
    expect(own.getAttribute('position')).to.equal('left');
    api.open();
    await until(() => customElements.get('switchboard-chat') && own.chat?.state === 'online', 'the chat online');
    expect(document.querySelectorAll('switchboard-chat')).to.have.length(1);
  });
});
