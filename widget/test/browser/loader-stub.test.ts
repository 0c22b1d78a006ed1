// The README's stub for calls made before the async tag loaded: its calls run once the loader
// starts, in order, and the stub object itself becomes the API.
import { expect } from '@open-wc/testing';
import type { PageApi } from './loader-page.js';
import { cleanup, embed, until } from './loader-page.js';

/** The stub as the snippet builds it: its queue, and a function per method. */
type Stub = { q?: unknown[] } & Partial<Record<'open' | 'close' | 'toggle' | 'reset' | 'identify' | 'on', (...args: unknown[]) => unknown>>;

describe('/widget.js loader: the stub for calls before the script loads', () => {
  after(cleanup);

  it('runs what the page called on the stub, in order, once the loader starts, and keeps the stub as the API', async () => {
    // The snippet of widget/README.md, as a page writes it before the tag.
    const page = window as unknown as { Switchboard?: Stub };
    page.Switchboard = page.Switchboard || { q: [] };
    (['open', 'close', 'toggle', 'reset', 'identify', 'on'] as const).forEach(function (name) {
      page.Switchboard![name] =
        page.Switchboard![name] ||
        function (...args: unknown[]) {
          page.Switchboard!.q!.push([name, args]);
        };
    });
    const stub = page.Switchboard;
    const seen: string[] = [];
    stub.on!('ready', () => seen.push('ready'));
    stub.on!('open', () => seen.push('open'));
    stub.open!();

    const api: PageApi = await embed();
    expect(api).to.equal(stub, 'the stub the page kept is the API');
    expect(stub.q).to.equal(undefined, 'its queue is gone');
    const element = api.element;
    await until(() => customElements.get('switchboard-chat') && element.open, 'the open called on the stub');
    await until(() => seen.includes('ready'), 'the ready event');
    expect(seen).to.deep.equal(['open', 'ready']);
    // Closed again: a panel left open is remembered for the site's next page, which the next test file's is.
    api.close();
    await element.updateComplete;
    expect(element.open).to.equal(false);
  });
});
