// A visitor's message that the agent's XMPP side refuses for good after the bridge stored it
// (xmpp-files-bridge.mjs: the agent's client on a real Prosody answers it with an error stanza):
// the widget says it was not sent and why, and offers to send it again, once (its files uploaded
// anew); sent again, it reaches the agent as a new message and the failed one stays as it was.
import { expect } from '@open-wc/testing';
import type { SwitchboardChat } from '../../dist/index.js';
import { paste, png, uploadsDone } from './file-page.js';
import { freshVisitorEachTest, until } from './page.js';
import { $, bubbleTexts, clients, openWidget, shadow, type } from './widget-page.js';
import { agentRefuses, bodiesAtAgent, jidOf, xmppBridge as bridge } from './xmpp-agent-page.js';

/** Polls a check that needs the test server. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const statuses = (element: SwitchboardChat) => [...shadow(element).querySelectorAll('.status')].map((status) => status.textContent.replace(/\s+/g, ' ').trim());
const sendAgainButtons = (element: SwitchboardChat) => [...shadow(element).querySelectorAll<HTMLButtonElement>('button[data-send-again]')];

freshVisitorEachTest(clients);

describe('<switchboard-chat> with a message the agent refuses after it was stored', () => {
  it('says it was not sent and why, and sends its text again once, as a new message', async () => {
    const element = await openWidget('', bridge);
    await until(() => element.chat.availability?.available, 'the XMPP agent available');
    await type(element, 'Is my parcel lost?');
    await until(() => bubbleTexts(element).includes('Is my parcel lost?'), 'the message shown');
    const jid = jidOf(element);
    await eventually(() => agentRefuses(jid, 'Is my parcel lost?', 'Blocked by a filter'), 'the agent to receive and refuse the message');

    await until(() => sendAgainButtons(element).length === 1, 'the Retry offer on the failed message');
    expect(statuses(element), 'the status lines').to.deep.equal(['Not sent: not-acceptable: Blocked by a filter Retry']);
    expect($(element, '.status.failed')).to.exist;

    sendAgainButtons(element)[0]!.click();
    await until(() => bubbleTexts(element).filter((text) => text === 'Is my parcel lost?').length === 2, 'the text sent again as a second message');
    await element.updateComplete;
    expect(sendAgainButtons(element)).to.have.length(0, 'a message is offered to be sent again once');
    await eventually(async () => (await bodiesAtAgent(jid)).filter((body) => body === 'Is my parcel lost?').length === 2, 'the agent to receive it again');
    // The failed message stays in the history as it was; the new one went through.
    const both = () => element.chat.messages.filter((message) => message.text === 'Is my parcel lost?');
    await until(() => ['sent', 'delivered', 'read'].includes(both()[1]?.status ?? ''), 'the second one sent');
    expect(both()[0]!.status).to.equal('failed');
    expect(statuses(element)[0]).to.equal('Not sent: not-acceptable: Blocked by a filter');
  });

  it('sends a failed message with a file again with the file, uploaded anew', async () => {
    const element = await openWidget('', bridge);
    await until(() => element.chat.availability?.available, 'the XMPP agent available');
    await paste(element, await png('receipt.png', 60, 40, '#16a34a'));
    await until(() => uploadsDone(element), 'the upload');
    await type(element, 'Here is the receipt');
    const jid = jidOf(element);
    await eventually(() => agentRefuses(jid, 'Here is the receipt', 'Blocked by a filter'), 'the agent to receive and refuse the message');
    await until(() => sendAgainButtons(element).length === 1, 'the Retry offer on the failed message');

    sendAgainButtons(element)[0]!.click();
    const both = () => element.chat.messages.filter((message) => message.text === 'Here is the receipt');
    await until(() => ['sent', 'delivered', 'read'].includes(both()[1]?.status ?? ''), 'the second one sent');
    const [failed, again] = both();
    expect(failed!.status).to.equal('failed');
    expect(again!.attachments?.map(({ name, type, size }) => ({ name, type, size }))).to.deep.equal(
      failed!.attachments?.map(({ name, type, size }) => ({ name, type, size })),
    );
    expect(again!.attachments![0]!.id, 'a file of its own').to.not.equal(failed!.attachments![0]!.id);
    await eventually(async () => (await bodiesAtAgent(jid)).filter((body) => body === 'Here is the receipt').length === 2, 'the agent to receive it again');
  });
});
