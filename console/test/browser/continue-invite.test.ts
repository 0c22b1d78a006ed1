// The console invites a website visitor to continue on IM (continuation:invite), on the bridge
// whose site lets its visitors continue on XMPP (widget/test/browser/continuation-bridge.mjs).
import { expect } from '@open-wc/testing';
import type { Continuation, ContinuationOffer } from '@switchboard/sdk';
import { $, cleanUpEachTest, consoleFor, openConversation, until } from './console-page.js';
import { bridgeClient } from './xmpp-page.js';

cleanUpEachTest();

describe('the console: continue on IM', () => {
  it("invites the visitor to continue on a network the bridge names in the agent's session; the widget gets the offer; accessible", async () => {
    const visitor = await bridgeClient();
    const offers: ContinuationOffer[] = [];
    visitor.on('continuation:offer', (offer) => offers.push(offer));
    const conversation = await visitor.openConversation({ team: 'support' });
    await visitor.send(conversation.id, 'Can we talk on Jabber?');

    const agent = await bridgeClient(true);
    expect(agent.session?.inviteTo).to.deep.equal(['xmpp']);
    const element = await consoleFor(agent);
    await openConversation(element, conversation.id, 'Can we talk on Jabber?');
    await until(() => $(element, 'sb-invite form'), 'the invitation form');
    const select = $<HTMLSelectElement>(element, 'sb-invite select')!;
    expect([...select.options].map((o) => [o.value, o.textContent])).to.deep.equal([['xmpp', 'XMPP']]);
    await expect(element).to.be.accessible();
    $<HTMLFormElement>(element, 'sb-invite form')!.requestSubmit();
    await until(() => offers.length > 0, 'the offer at the visitor');
    expect(offers[0]).to.deep.equal({ conversationId: conversation.id, network: 'xmpp', from: 'web:a_agent' });
    await until(() => $(element, 'sb-invite [role="status"]')!.textContent === 'Invitation to continue on XMPP sent.', 'the invitation said sent');
  });

  it('shows where the visitor continues, waiting for its proof, and stops it from the console; accessible', async () => {
    const visitor = await bridgeClient();
    const conversation = await visitor.openConversation({ team: 'support' });
    await visitor.send(conversation.id, 'Let me use my phone');
    const element = await consoleFor(await bridgeClient(true));
    await openConversation(element, conversation.id, 'Let me use my phone');
    await visitor.continueOn(conversation.id, 'xmpp:hal@localhost');
    const shown = () => $(element, 'sb-invite .continuation')?.textContent ?? '';
    await until(() => shown().includes('The visitor gave xmpp:hal@localhost; waiting for them to prove it.'), 'the pending continuation');
    await expect(element).to.be.accessible();
    const stopped = new Promise<Continuation>((resolve) => visitor.on('continuation', (c) => c.state === 'stopped' && resolve(c)));
    $<HTMLButtonElement>(element, 'sb-invite .stop-continuation')!.click();
    expect((await stopped).reason).to.equal('agent');
    await until(() => $(element, 'sb-invite form'), 'the invitation form again');
  });
});
