// An XMPP agent on a real Prosody corrects its message (XEP-0308, xmpp-files-bridge.mjs): the
// widget shows the corrected text in the message's place, marked edited, and not twice; and takes
// one back (XEP-0424): its place shows it deleted.
import { expect } from '@open-wc/testing';
import { freshVisitorEachTest, until } from './page.js';
import { bubbleTexts, clients, openWidget, shadow, type } from './widget-page.js';
import { agentRetracts, agentSays, jidOf, xmppBridge as bridge } from './xmpp-agent-page.js';

freshVisitorEachTest(clients);

describe("<switchboard-chat> with an XMPP agent's corrections", () => {
  it('shows the corrected text in place of the message, marked edited, once', async () => {
    const element = await openWidget('', bridge);
    await until(() => element.chat.availability?.available, 'the XMPP agent available');
    await type(element, 'Do you ship to Norway?');
    await until(() => element.chat.conversation?.assignee === bridge.agent, 'the conversation with the XMPP agent');
    await until(() => bubbleTexts(element).includes('Do you ship to Norway?'), 'the question stored (before the answers)');
    const jid = jidOf(element);

    // With the panel closed, the answer and its correction are one message to read: one unread, one
    // switchboard-message event (and one chime, one announcement).
    element.open = false;
    await element.updateComplete;
    const arrived: string[] = [];
    const counting = (event: Event) => arrived.push((event as CustomEvent<{ text: string }>).detail.text);
    element.addEventListener('switchboard-message', counting);
    await agentSays(jid, 'We ship to Norwya.', 'lmc-1');
    await until(() => element.chat.messages.some((message) => message.text === 'We ship to Norwya.'), 'the answer');
    await agentSays(jid, 'We ship to Norway.', 'lmc-2', 'lmc-1');
    await until(() => element.chat.messages.some((message) => message.corrects !== undefined), 'the correction');
    expect(element.chat.unread).to.equal(1);
    expect(arrived).to.deep.equal(['We ship to Norwya.']);
    element.removeEventListener('switchboard-message', counting);
    element.open = true;
    await element.updateComplete;
    await until(() => bubbleTexts(element).includes('We ship to Norway. edited'), 'the correction in place');
    expect(bubbleTexts(element)).to.deep.equal(['Do you ship to Norway?', 'We ship to Norway. edited']);
    expect(shadow(element).querySelector('.bubble .edited')?.textContent).to.equal('edited');
    // Both are in the conversation: the original as it was, the correction naming it.
    const fromAgent = element.chat.messages.filter((message) => message.from === bridge.agent);
    expect(fromAgent.map((message) => [message.text, message.corrects])).to.deep.equal([
      ['We ship to Norwya.', undefined],
      ['We ship to Norway.', fromAgent[0]!.id],
    ]);

    // A later message is an ordinary one, after the corrected one.
    await agentSays(jid, 'Delivery takes a week.', 'lmc-3');
    await until(() => bubbleTexts(element).length === 3, 'the next message');
    expect(bubbleTexts(element)).to.deep.equal(['Do you ship to Norway?', 'We ship to Norway. edited', 'Delivery takes a week.']);

    // The agent takes a message back (XEP-0424): its place says so, its words are gone, and it is
    // no new message to the page (no switchboard-message event, no sound, no announcement).
    const announced: string[] = [];
    element.addEventListener('switchboard-message', (event) => announced.push((event as CustomEvent<{ text: string }>).detail.text));
    await agentRetracts(jid, 'lmc-4', 'lmc-3');
    await until(() => bubbleTexts(element).includes('Message deleted'), 'the message taken back');
    await agentSays(jid, 'Bye.', 'lmc-5');
    await until(() => announced.includes('Bye.'), 'the next message announced');
    expect(announced).to.deep.equal(['Bye.']);
    expect(bubbleTexts(element)).to.deep.equal(['Do you ship to Norway?', 'We ship to Norway. edited', 'Message deleted', 'Bye.']);
    expect(shadow(element).querySelector('.bubble .deleted')?.textContent).to.equal('Message deleted');
  });
});
