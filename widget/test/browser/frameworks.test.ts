// One small page per framework: the element works the same inside a React 19 and a Vue 3 app.
import { expect } from '@open-wc/testing';
import type { SwitchboardChat } from '../../dist/index.js';
import '../../dist/index.js';
import { info, until } from './page.js';

afterEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});

/** React 19 as a React app ships it: bundled (see web-test-runner.config.mjs). */
const REACT_BUNDLE: string = '/__react.js';

/** What these tests use of React 19, from the bundle at /__react.js (React ships no types). */
interface ReactBundle {
  React: { createElement(type: unknown, props?: Record<string, unknown>): unknown };
  createRoot: (host: Element) => { render(node: unknown): void; unmount(): void };
  flushSync: (update: () => void) => void;
}

describe('the widget inside frameworks', () => {
  it('works in a React 19 app (attributes, properties and events)', async () => {
    const { React, createRoot, flushSync } = (await import(/* @vite-ignore */ REACT_BUNDLE)) as ReactBundle;
    const host = document.createElement('div');
    document.body.append(host);
    const root = createRoot(host);
    let opened = 0;
    function App() {
      return React.createElement('switchboard-chat', {
        'site-key': info.siteKey,
        server: info.url,
        heading: 'React shop',
        ref: (element: SwitchboardChat | null) => element?.addEventListener('switchboard-open', () => opened++),
      });
    }
    flushSync(() => root.render(React.createElement(App)));
    const element = host.querySelector('switchboard-chat') as SwitchboardChat;
    await until(() => element.chat?.state === 'online', 'the widget to connect in React');
    element.shadowRoot!.querySelector<HTMLButtonElement>('button.launcher')!.click();
    await element.updateComplete;
    expect(element.shadowRoot!.querySelector('h2')!.textContent).to.equal('React shop');
    expect(opened).to.equal(1);
    root.unmount();
    host.remove();
  });

  it('works in a Vue 3 app', async () => {
    const { createApp, h } = await import('vue/dist/vue.esm-browser.prod.js');
    const host = document.createElement('div');
    document.body.append(host);
    let opened = 0;
    const app = createApp({
      render: () => h('switchboard-chat', { 'site-key': info.siteKey, server: info.url, heading: 'Vue shop', 'onSwitchboard-open': () => opened++ }),
    });
    app.config.compilerOptions.isCustomElement = (tag: string) => tag === 'switchboard-chat';
    app.mount(host);
    const element = host.querySelector('switchboard-chat') as SwitchboardChat;
    await until(() => element.chat?.state === 'online', 'the widget to connect in Vue');
    element.shadowRoot!.querySelector<HTMLButtonElement>('button.launcher')!.click();
    await element.updateComplete;
    expect(element.shadowRoot!.querySelector('h2')!.textContent).to.equal('Vue shop');
    expect(opened).to.equal(1);
    app.unmount();
    host.remove();
  });
});
