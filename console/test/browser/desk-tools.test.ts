// The desk tools of the console in Chromium against a real bridge: the command box (:), the
// customer panel's merge and unmerge (contact:merge, contact:unmerge) and image thumbnails
// (file:link's thumbnail) (docs/protocol.md); axe on each.
import { expect } from '@open-wc/testing';
import type { CommandBox } from '../../lib/command-box.js';
import type { ConsoleApp } from '../../lib/console-app.js';
import { png } from '../../../widget/test/browser/file-page.js';
import { $, agentClient, cleanUpEachTest, consoleFor, logText, openConversation, press, until, visitor } from './console-page.js';

cleanUpEachTest();

/** Types a line into the command box as a person does, and presses a key in it. */
async function typeCommand(element: ConsoleApp, text: string, key?: string): Promise<HTMLInputElement> {
  const input = $<HTMLInputElement>(element, 'sb-command-box input')!;
  input.value = text;
  input.dispatchEvent(new InputEvent('input', { bubbles: true }));
  await element.updateComplete;
  await $<CommandBox>(element, 'sb-command-box')!.updateComplete;
  if (key) input.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
  return input;
}

const commandOpen = (element: Element) => $<HTMLDialogElement>(element, 'sb-command-box dialog')!.open;

describe('the console: desk tools', () => {
  it('runs claim, note and transfer from the command box (:), completing what is typed; accessible', async () => {
    const agent = await agentClient();
    await agent.setPresence('away');
    const { conversationId } = await visitor('Command box test');
    const element = await consoleFor(agent);
    await openConversation(element, conversationId, 'Command box test');

    press(':');
    await until(() => commandOpen(element), 'the command box');
    expect(document.activeElement).to.equal($(element, 'sb-command-box input'));
    const input = await typeCommand(element, 'cl');
    expect([...element.querySelectorAll('sb-command-box [role="option"]')].map((o) => o.textContent.trim())).to.deep.equal(['claim', 'close']);
    expect(input.getAttribute('aria-activedescendant')).to.equal('command-0');
    await expect(element).to.be.accessible();
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true }));
    await until(() => input.value === 'claim ', 'the completion taken');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(() => $(element, 'sb-conversation .assignee')!.textContent === 'Assigned to You', 'claimed as the Claim button does');
    await until(() => !commandOpen(element), 'the box closed once it ran');

    press(':');
    await until(() => commandOpen(element), 'the command box again');
    await typeCommand(element, 'dance', 'Enter');
    await until(() => $(element, 'sb-command-box [role="alert"]')?.textContent === 'Unknown command: dance', 'the unknown command said');
    // Enter twice at once: one note.
    const noteLine = await typeCommand(element, 'note Called them back', 'Enter');
    noteLine.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(() => $(element, '.entry.note')?.textContent?.includes('Called them back'), 'the note in the log');
    await until(() => !commandOpen(element), 'the box closed once the note was written');
    press(':');
    await until(() => commandOpen(element), 'the command box for a second note');
    await typeCommand(element, 'note Then emailed them', 'Enter');
    // Stored after any second copy of the first would have been: once it shows, a copy would too.
    await until(() => [...element.querySelectorAll('.entry.note')].some((e) => e.textContent?.includes('Then emailed them')), 'the second note');
    expect([...element.querySelectorAll('.entry.note')].filter((e) => e.textContent?.includes('Called them back')).length).to.equal(1);

    press(':');
    await until(() => commandOpen(element), 'the command box a third time');
    // The directory comes when the box opens: the team completes once it is there.
    await until(async () => {
      await typeCommand(element, 'transfer su');
      return $(element, 'sb-command-box [role="option"]')?.textContent.trim() === 'transfer support';
    }, 'the team among the completions');
    const line = await typeCommand(element, 'transfer su', 'Tab');
    await until(() => line.value === 'transfer support ', 'the team taken');
    // Every change the agent is told of: back in the queue, it may be given again at once (to an
    // agent of another test who is available), too soon for its list to show it in between.
    const assignees: (string | undefined)[] = [];
    agent.on('conversation', (conversation) => {
      if (conversation.id === conversationId) assignees.push(conversation.assignee);
    });
    line.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(() => assignees.some((assignee) => assignee !== 'web:a_agent'), 'transferred to the team').catch((error: Error) => {
      // What the box said, and what the agent was told, if the transfer did not show.
      const said = $(element, 'sb-command-box [role="alert"]')?.textContent ?? 'nothing';
      throw new Error(`${error.message} (the box said: ${said}; assignees told: ${JSON.stringify(assignees)})`);
    });
    await until(() => !commandOpen(element), 'the box closed');
    expect(logText(element)).to.include('Command box test');

    press('?');
    await until(() => $<HTMLDialogElement>(element, 'sb-shortcuts dialog')?.open, 'the shortcuts overlay');
    expect($(element, 'sb-shortcuts dialog')!.textContent).to.include('Desk command');
    press('Escape');
  });

  it('sends a / command to the bridge and shows its answer, about the open conversation when it names none; accessible', async () => {
    const { client: customer, conversationId } = await visitor('Slash command test');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Slash command test');
    press(':');
    await until(() => commandOpen(element), 'the command box');
    const answer = () => $(element, 'sb-command-box .answer')?.textContent ?? '';
    await typeCommand(element, '/blocked', 'Enter');
    await until(() => answer() === 'No one is blocked.', "the bridge's answer");
    await typeCommand(element, '/block', 'Enter');
    // The open conversation's visitor is who /block was about: a website visitor, whom no block reaches.
    await until(() => answer().startsWith(`${customer.session!.self} is not writing from a network of their own`), 'the answer about the visitor');
    expect(commandOpen(element)).to.equal(true, 'the box stays open to show the answer');
    await expect(element).to.be.accessible();
  });

  it("merges another contact into the customer's by one of its addresses, and undoes it; accessible", async () => {
    const { client: customer, conversationId } = await visitor('Merge me');
    const { client: other } = await visitor('I am the same person');
    const otherAddress = other.session!.self;
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Merge me');
    await until(() => $(element, 'sb-customer-panel form.merge'), 'the merge form');
    const addresses = () => $(element, 'sb-customer-panel .addresses')!.textContent;
    expect(addresses()).to.not.include(otherAddress.slice(4));
    const input = $<HTMLInputElement>(element, 'sb-customer-panel #merge-address')!;
    // As the panel lists web addresses: without their scheme.
    input.value = otherAddress.slice('web:'.length);
    $<HTMLFormElement>(element, 'sb-customer-panel form.merge')!.requestSubmit();
    await until(() => addresses().includes(otherAddress.slice(4)), 'the other address on this customer');
    expect($(element, 'sb-customer-panel .merge-status')!.textContent).to.include('Merged');
    await until(() => $(element, 'sb-customer-panel .merges [data-merge] button.unmerge'), 'the merge listed with its undo');
    await expect(element).to.be.accessible();

    $<HTMLButtonElement>(element, 'sb-customer-panel .merges button.unmerge')!.click();
    await until(() => !addresses().includes(otherAddress.slice(4)), 'the other address gone again');
    expect($(element, 'sb-customer-panel .merges')).to.equal(null);
    expect($(element, 'sb-customer-panel .merge-status')!.textContent).to.include('Merge undone');
    const agent = element.client!;
    const [mine, theirs] = await Promise.all([agent.getContact({ address: customer.session!.self }), agent.getContact({ address: otherAddress })]);
    expect(mine.id).to.not.equal(theirs.id);
  });

  it("shows an image's thumbnail in the log, sized before it loads, opening the file on a click; accessible", async () => {
    const { client: customer, conversationId } = await visitor('A photo of the parcel');
    const photo = await customer.uploadFile(conversationId, await png('parcel.png', 400, 200, '#c33'));
    await customer.send(conversationId, '', { attachments: [photo] });
    const element = await consoleFor();
    await openConversation(element, conversationId, 'A photo of the parcel');
    const button = () => $<HTMLButtonElement>(element, `button.thumbnail[data-file="${photo.id}"]`);
    await until(button, 'the thumbnail button');
    expect(button()!.getAttribute('aria-label')).to.match(/^Open parcel\.png \(\d+(\.\d)? (bytes|kB)\)$/);
    await until(() => button()!.querySelector('img'), 'the thumbnail asked for once in view');
    const img = button()!.querySelector('img')!;
    expect([img.getAttribute('width'), img.getAttribute('height'), img.getAttribute('loading')]).to.deep.equal(['160', '80', 'lazy']);
    await until(() => img.complete && img.naturalWidth > 0, 'the thumbnail loaded from its signed link');
    expect(img.naturalWidth).to.be.at.most(320);
    await expect(element).to.be.accessible();

    // A click opens the file itself (its signed link) in a new tab, as the file's button does.
    const opened = { href: '' };
    const open = Object.getOwnPropertyDescriptor(window, 'open')!;
    Object.defineProperty(window, 'open', { configurable: true, value: () => ({ location: opened }) });
    try {
      button()!.click();
      await until(() => opened.href, 'the file opened');
    } finally {
      Object.defineProperty(window, 'open', open);
    }
    expect(opened.href).to.include(photo.id);
    expect(opened.href).to.not.equal(img.src);
  });
});
