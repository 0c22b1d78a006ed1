// A panel left open on the site's previous page opens again, without a click.
import { expect } from '@open-wc/testing';
import { cleanup, embed, info, until } from './loader-page.js';

describe('/widget.js loader: a panel left open', () => {
  after(cleanup);

  it('loads the chat at once and opens the panel again', async () => {
    sessionStorage.setItem(`switchboard:${info.siteKey}:open`, '1');
    const api = await embed();
    await until(() => customElements.get('switchboard-chat') && api.element.open, 'the panel to open again');
    api.close();
    await api.element.updateComplete;
    expect(sessionStorage.getItem(`switchboard:${info.siteKey}:open`)).to.equal(null, 'a closed panel stays closed on the next page');
  });
});
