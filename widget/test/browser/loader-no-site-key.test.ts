// A script tag without data-site-key: the developer is told at once, and the chat says it is unavailable.
import { expect } from '@open-wc/testing';
import type { PageApi } from './loader-page.js';
import { cleanup, info, until } from './loader-page.js';

describe('/widget.js loader: no data-site-key', () => {
  after(cleanup);

  it('names the missing attribute in the console, and the chat says it is unavailable, with an error event', async () => {
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    let api: PageApi;
    try {
      api = await new Promise<PageApi>((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${info.url}/widget.js`;
        script.async = true;
        script.onload = () => resolve((window as unknown as { Switchboard: PageApi }).Switchboard);
        script.onerror = () => reject(new Error('widget.js did not load'));
        document.head.append(script);
      });
    } finally {
      console.error = original;
    }
    expect(logged.some((line) => line.includes('data-site-key'))).to.equal(true, `the console said: ${logged.join(' / ')}`);
    const errors: { code: string; message: string }[] = [];
    api.on('error', (detail) => errors.push(detail as { code: string; message: string }));
    api.open();
    const element = api.element;
    await until(() => customElements.get('switchboard-chat') && element.open && errors.length > 0, 'the error event');
    expect(errors.map((error) => error.code)).to.deep.equal(['bad_request']);
    expect(errors[0]!.message).to.include('site-key');
    await element.updateComplete;
    expect(element.shadowRoot!.querySelector('header p')?.textContent?.trim()).to.equal('Chat is unavailable');
    expect(element.shadowRoot!.querySelector('.banner')?.textContent?.trim()).to.equal('Chat is unavailable');
  });
});
