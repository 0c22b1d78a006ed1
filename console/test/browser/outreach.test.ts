// The console's outreach (o): a conversation started with a customer on their own XMPP client (a
// real Prosody, widget/test/browser/continuation-bridge.mjs, whose site allows outreach to XMPP).
import { expect } from '@open-wc/testing';
import { $, cleanUpEachTest, consoleFor, logText, openConversation, press, until } from './console-page.js';
import { bridge, bridgeClient, received } from './xmpp-page.js';

cleanUpEachTest();

describe('the console: outreach', () => {
  it('starts a conversation with a customer on a network the session names (o), which opens; the customer gets the first message; accessible', async () => {
    const agent = await bridgeClient(true);
    expect(agent.session?.outreachTo).to.deep.equal(['xmpp']);
    const element = await consoleFor(agent);

    press('o');
    await until(() => $<HTMLDialogElement>(element, 'sb-outreach dialog')?.open, 'the outreach dialog');
    expect(document.activeElement).to.equal($(element, '#outreach-network'));
    await until(() => $(element, '#outreach-team option[value="support"]'), "the agent's team");
    expect([...$<HTMLSelectElement>(element, '#outreach-network')!.options].map((o) => o.textContent)).to.deep.equal(['XMPP']);
    await expect(element).to.be.accessible();
    $<HTMLInputElement>(element, '#outreach-address')!.value = 'hal@localhost';
    $<HTMLTextAreaElement>(element, '#outreach-text')!.value = 'Hello Hal, your parcel is here';
    $<HTMLFormElement>(element, 'sb-outreach form')!.requestSubmit();

    await until(() => !$<HTMLDialogElement>(element, 'sb-outreach dialog')!.open, 'the dialog closed');
    await until(() => logText(element).includes('Hello Hal, your parcel is here'), 'the new conversation open');
    expect($(element, '#conversation-title')!.textContent).to.include('XMPP');
    await until(
      async () => (await received('hal')).some((m) => m.from === bridge.team && m.body === 'Hello Hal, your parcel is here'),
      "the first message at Hal's XMPP client",
    );
    press('?');
    await until(() => $<HTMLDialogElement>(element, 'sb-shortcuts dialog')?.open, 'the shortcuts overlay');
    expect($(element, 'sb-shortcuts dialog')!.textContent).to.include('New conversation with a customer');
    press('Escape');
  });

  it('shows in the dialog why an outreach was refused, lets the agent try again, and opens afresh without it', async () => {
    const element = await consoleFor(await bridgeClient(true));
    press('o');
    await until(() => $<HTMLDialogElement>(element, 'sb-outreach dialog')?.open, 'the outreach dialog');
    await until(() => $(element, '#outreach-team option[value="support"]'), "the agent's team");
    $<HTMLInputElement>(element, '#outreach-address')!.value = 'no such address@@';
    $<HTMLFormElement>(element, 'sb-outreach form')!.requestSubmit();
    await until(() => $(element, 'sb-outreach [role="alert"]'), 'the refusal shown');
    expect($(element, 'sb-outreach [role="alert"]')!.textContent).to.match(/\S/);
    expect($<HTMLDialogElement>(element, 'sb-outreach dialog')!.open).to.equal(true);
    expect($<HTMLButtonElement>(element, 'sb-outreach button[type="submit"]')!.disabled).to.equal(false, 'ready to try again');
    $<HTMLDialogElement>(element, 'sb-outreach dialog')!.close();
    press('o');
    await until(() => $<HTMLDialogElement>(element, 'sb-outreach dialog')?.open, 'the dialog again');
    await until(() => !$(element, 'sb-outreach [role="alert"]'), 'without the earlier refusal');
  });
  it("sends a reply the customer's server refused again with its files, each uploaded again", async () => {
    const agent = await bridgeClient(true);
    // No such user on the Prosody: the server bounces every message to it (service-unavailable).
    const conversation = await agent.reachOut({ to: 'xmpp:ghost@localhost', team: 'support' });
    const note = await agent.uploadFile(conversation.id, new File(['pickup code 4711'], 'pickup.txt', { type: 'text/plain' }));
    const first = await agent.send(conversation.id, 'Your pickup code', { attachments: [note] });
    const element = await consoleFor(agent);
    await openConversation(element, conversation.id, 'Your pickup code');
    const retry = () => $<HTMLButtonElement>(element, `.entry[data-seq="${first.seq}"] button.retry`);
    await until(retry, 'the refused reply with its Retry');
    retry()!.click();
    const again = () => agent.messages(conversation.id).find((m) => m.seq > first.seq && m.text === 'Your pickup code');
    await until(again, 'the reply sent again');
    const files = again()!.attachments ?? [];
    expect(files.map((file) => [file.name, file.sha256])).to.deep.equal([[note.name, note.sha256]]);
    expect(files[0]!.id).to.not.equal(note.id);
  });
});
