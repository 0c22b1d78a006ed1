// A customer who writes from their own XMPP client (a real Prosody, widget/test/browser/continuation-bridge.mjs)
// lands in the console like a visitor of the website, shown with their network and address; the
// agent's reply from the console reaches that client, and a private note never does.
import { expect } from '@open-wc/testing';
import { $, cleanUpEachTest, consoleFor, logText, reply, until } from './console-page.js';
import { bridge, bridgeClient, received, writeFromXmpp } from './xmpp-page.js';

cleanUpEachTest();

describe('the console: a customer on their own XMPP client', () => {
  it('shows the conversation with its network and address; the reply reaches the XMPP client, the note never does; accessible', async () => {
    const element = await consoleFor(await bridgeClient(true));
    await writeFromXmpp('gus', 'Hello from my XMPP client');
    $<HTMLButtonElement>(element, 'sb-inbox [data-view="open"]')!.click();
    const item = () => [...element.querySelectorAll<HTMLElement>('sb-inbox [data-conversation]')].find((each) => each.textContent.includes('gus@localhost'));
    // The conversation may be listed before its first message is: the last line follows by inbox:item.
    await until(() => item()?.textContent.includes('Hello from my XMPP client'), "gus's conversation in All open, with its last line");
    expect(item()!.textContent).to.include('XMPP');
    await expect(element).to.be.accessible();

    item()!.click();
    await until(() => logText(element).includes('Hello from my XMPP client'), 'the conversation open');
    // The XMPP server vouched for the address the customer writes from: verified, and said how.
    await until(
      () => $(element, 'sb-customer-panel .addresses')?.textContent.includes('gus@localhost (vouched for by the network)'),
      'the address and its proof',
    );
    expect($(element, 'sb-customer-panel .verified')!.textContent).to.equal('Verified');
    const toggle = $<HTMLInputElement>(element, 'sb-composer .note-toggle')!;
    toggle.click();
    await reply(element, 'Gus asked about a refund before');
    await until(() => $(element, '.entry.note'), 'the note in the log');
    toggle.click();
    await reply(element, 'Answered from the inbox');
    await until(
      async () => (await received('gus')).some((m) => m.from === bridge.team && m.body === 'Answered from the inbox'),
      'the reply at the XMPP client',
    );
    // The reply went after the note, on the same way out: had the note gone anywhere, it would be there first.
    expect((await received('gus')).map((m) => m.body)).to.not.include('Gus asked about a refund before');
  });
});
