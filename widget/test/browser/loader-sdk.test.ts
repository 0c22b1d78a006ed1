// The widget's tag and the SDK's classic script (/sdk.iife.js) on one page: both live on
// `window.Switchboard`, whichever loads first, and neither puts the other's methods out of reach.
import { expect } from '@open-wc/testing';
import type { PageApi } from './loader-page.js';
import { cleanup, embed, info, until } from './loader-page.js';

type Both = PageApi & { createClient?: unknown; LIMITS?: unknown };

/** Adds the SDK's classic script to the page; resolves once it ran. */
function sdkScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${info.url}/sdk.iife.js?${Math.random()}`;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error('sdk.iife.js did not load'));
    document.head.append(script);
  });
}

const page = () => (window as unknown as { Switchboard?: Both }).Switchboard;

describe('/widget.js and /sdk.iife.js on one page', () => {
  after(cleanup);

  it('adds the widget to the SDK loaded before it', async () => {
    await sdkScript();
    const sdk = page();
    expect(typeof sdk?.createClient).to.equal('function');
    const api = (await embed()) as Both;
    expect(api).to.equal(sdk, 'one object');
    expect(typeof api.createClient).to.equal('function');
    api.open();
    await until(() => customElements.get('switchboard-chat') && api.element.open, 'the panel opened through window.Switchboard');
    api.close();
    await api.element.updateComplete;
  });

  it('adds the SDK to the widget loaded before it', async () => {
    const api = page()!;
    await sdkScript();
    expect(page()).to.equal(api, 'the same object');
    expect(typeof page()!.open).to.equal('function');
    expect(typeof page()!.createClient).to.equal('function');
    expect(page()!.element).to.equal(api.element);
  });
});
