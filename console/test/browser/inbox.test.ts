// The console's inbox and desk actions in Chromium against a real bridge: the desk events
// (`inbox:list`, `inbox:counts`, `inbox:item`, `conversation:claim`, `conversation:transfer`,
// `desk:directory`, `canned:list`, `note:add`, `inbox:search`) and `report:get` (docs/protocol.md).
import { expect } from '@open-wc/testing';
import type { CannedReply, Message } from '@switchboard/sdk';
import { createClient } from '@switchboard/sdk';
import { $, agentClient, cleanUpEachTest, clients, consoleFor, info, logText, openConversation, press, reply, until, visitor } from './console-page.js';

cleanUpEachTest();

const itemOf = (element: Element, conversationId: string) => $(element, `sb-inbox [data-conversation="${conversationId}"]`);
const view = (element: Element, name: string) => $<HTMLButtonElement>(element, `sb-inbox [data-view="${name}"]`)!;

describe('the console: inbox and desk actions', () => {
  it("lists the agent's conversations with customer, network, last line, waiting time and unread count, live; accessible", async () => {
    // The agent available first (an earlier test may have left it away): the conversation is routed to it.
    const agent = await agentClient();
    await agent.setPresence('available');
    const { client: customer, conversationId } = await visitor('First question');
    const element = await consoleFor(agent);
    // The console opens on Mine, where the router put the conversation.
    await until(() => itemOf(element, conversationId), 'the conversation in Mine');
    const item = itemOf(element, conversationId)!;
    expect(item.textContent).to.include('Web');
    expect(item.querySelector('.last')!.textContent).to.equal('First question');
    expect(item.querySelector('.waiting')!.textContent).to.match(/^waiting \d+s$/);
    expect(item.querySelector('.unread')!.textContent).to.equal('1');
    expect(view(element, 'mine').getAttribute('aria-pressed')).to.equal('true');
    expect(view(element, 'mine').querySelector('.count')!.textContent).to.match(/^\d+$/);
    await customer.send(conversationId, 'Second question');
    await until(() => itemOf(element, conversationId)?.querySelector('.unread')?.textContent === '2', 'the unread count from inbox:item');
    expect(document.title).to.match(/^\(\d+\) /);
    await expect(element).to.be.accessible();
    itemOf(element, conversationId)!.click();
    await until(() => logText(element).includes('Second question'), 'the conversation open');
    await until(() => !itemOf(element, conversationId)?.querySelector('.unread'), 'the unread badge gone once read');
  });

  it('lists the view again once back online: what changed while the console was offline shows', async () => {
    const agent = await agentClient();
    await agent.setPresence('available');
    const { client: customer, conversationId } = await visitor('Are you there?');
    const element = await consoleFor(agent);
    view(element, 'mine').click();
    await until(() => itemOf(element, conversationId)?.querySelector('.unread')?.textContent === '1', 'the conversation in Mine');
    // Another connection of the same agent sees the push the console misses.
    const other = await agentClient();
    const pushed: { id: string; unread: number }[] = [];
    other.on('inboxItem', (item) => pushed.push(item));
    agent.disconnect();
    await until(() => agent.state === 'offline', 'the console offline');
    await customer.send(conversationId, 'Hello?');
    await until(() => pushed.some((item) => item.id === conversationId && item.unread === 2), 'the push made while the console was offline');
    agent.connect();
    await until(() => itemOf(element, conversationId)?.querySelector('.unread')?.textContent === '2', 'the unread count listed again');
    expect(itemOf(element, conversationId)!.querySelector('.last')!.textContent).to.equal('Hello?');
  });

  it('claims a queued conversation with c, and transfers it to the team from the directory', async () => {
    const agent = await agentClient();
    await agent.setPresence('away');
    const { conversationId } = await visitor('Anyone there?');
    const element = await consoleFor(agent);
    view(element, 'unassigned').click();
    await until(() => itemOf(element, conversationId), 'the conversation in Unassigned');
    itemOf(element, conversationId)!.click();
    await until(() => logText(element).includes('Anyone there?'), 'the conversation open');
    press('c');
    await until(() => $(element, 'sb-conversation .assignee')!.textContent === 'Assigned to You', 'the conversation claimed');
    $<HTMLButtonElement>(element, 'sb-conversation button.transfer')!.click();
    await until(() => $(element, 'sb-transfer [data-team="support"]'), 'the directory');
    // A team lists its agent as an address: the member's id is that address (docs/configuration.md).
    expect($(element, 'sb-transfer [data-agent="web:a_queuer"]')!.textContent).to.match(/Available|Away|Busy|Offline/);
    // The agent is not offered themselves.
    expect($(element, 'sb-transfer [data-agent="web:a_agent"]')).to.equal(null);
    await expect(element).to.be.accessible();
    const filter = $<HTMLInputElement>(element, 'sb-transfer input')!;
    filter.value = 'supp';
    filter.dispatchEvent(new InputEvent('input'));
    await until(() => !$(element, 'sb-transfer [data-agent="web:a_queuer"]'), 'the list narrowed');
    // Every change the agent is told of: back in the queue, it may be given again at once (to an
    // agent of another test who is available), too soon for its list to show it in between.
    const assignees: (string | undefined)[] = [];
    agent.on('conversation', (conversation) => {
      if (conversation.id === conversationId) assignees.push(conversation.assignee);
    });
    $<HTMLButtonElement>(element, 'sb-transfer [data-team="support"]')!.click();
    await until(() => !$<HTMLDialogElement>(element, 'sb-transfer dialog')!.open, 'the dialog closed');
    await until(() => assignees.some((assignee) => assignee !== 'web:a_agent'), 'the conversation transferred');
    expect($(element, 'sb-conversation [role="alert"]')).to.equal(null);
  });

  it("says why a transfer to the team's queue is refused when it would only come straight back to the agent", async () => {
    const agent = await agentClient();
    await agent.setPresence('available');
    const { conversationId } = await visitor('Who else is there?');
    const element = await consoleFor(agent);
    await openConversation(element, conversationId, 'Who else is there?');
    $<HTMLButtonElement>(element, 'sb-conversation button.transfer')!.click();
    await until(() => $(element, 'sb-transfer [data-team="support"]'), 'the directory');
    $<HTMLButtonElement>(element, 'sb-transfer [data-team="support"]')!.click();
    // The agent is the team's only member: the bridge refuses, and the console says why.
    await until(() => $(element, 'sb-conversation [role="alert"]'), 'the refusal');
    expect($(element, 'sb-conversation [role="alert"]')!.textContent).to.match(
      /^Failed: #\w+ would come straight back to you: nobody else in team support can take it now\./,
    );
    expect(agent.conversations.find((c) => c.id === conversationId)?.assignee).to.equal('web:a_agent');
  });

  it('does not offer Claim on a conversation another agent has (the bridge would refuse it)', async () => {
    const customer = createClient({ url: info.url, siteKey: info.siteKey, storage: null });
    const queuer = createClient({ url: info.url, siteKey: info.siteKey, identity: info.queuer, storage: null });
    clients.push(customer, queuer);
    await Promise.all([customer.ready(), queuer.ready()]);
    const conversation = await customer.openConversation({ team: 'queue' });
    await customer.send(conversation.id, 'For the other team');
    // Routed to the queuer, or waiting if it is full: a claim gives it to the queuer either way.
    const claimed = await queuer.claim(conversation.id);
    expect(claimed.assignee).to.equal('web:a_queuer');
    try {
      const element = await consoleFor();
      await openConversation(element, conversation.id, 'For the other team');
      await until(() => $(element, 'sb-conversation .assignee')!.textContent === 'Assigned to queuer', 'the assignee shown');
      expect($<HTMLButtonElement>(element, 'sb-conversation button.claim')!.disabled).to.equal(true);
    } finally {
      await queuer.closeConversation(conversation.id);
    }
  });

  it('writes a private note shown in place and marked, which the visitor never gets', async () => {
    const { client: customer, conversationId } = await visitor('Note test');
    const atVisitor: Message[] = [];
    customer.on('message', (m) => atVisitor.push(m));
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Note test');
    const toggle = $<HTMLInputElement>(element, 'sb-composer .note-toggle')!;
    toggle.click();
    await reply(element, 'Customer is a VIP');
    await until(() => $(element, '.entry.note'), 'the note');
    const note = $(element, '.entry.note')!;
    expect(note.textContent).to.include('Customer is a VIP');
    expect(note.textContent).to.include('Private note');
    expect(note.previousElementSibling!.textContent).to.include('Note test');
    toggle.click();
    await reply(element, 'A real reply');
    await until(() => atVisitor.some((m) => m.text === 'A real reply'), 'the reply at the visitor');
    expect(atVisitor.map((m) => m.text)).to.not.include('Customer is a VIP');
    await expect(element).to.be.accessible();
  });

  it('completes / with the canned replies', async () => {
    const { conversationId } = await visitor('Canned test');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Canned test');
    const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
    box.value = '/tha';
    box.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await until(() => $(element, 'sb-composer [role="option"]'), 'the completion list');
    expect($(element, 'sb-composer [role="option"][aria-selected="true"]')!.textContent).to.include('/thanks');
    expect(box.getAttribute('aria-activedescendant')).to.equal('canned-0');
    await expect(element).to.be.accessible();
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(() => box.value === 'Thanks for your patience!', 'the canned text in the box');
  });

  it("completes / with the open conversation's canned replies, not those of one opened before that came late", async () => {
    const first = await visitor('Canned race one');
    const second = await visitor('Canned race two');
    const element = await consoleFor();
    const desk = (element as unknown as { desk: { cannedReplies(team?: string): Promise<CannedReply[]> } }).desk;
    const original = desk.cannedReplies.bind(desk);
    let late!: () => void;
    let calls = 0;
    desk.cannedReplies = (team) =>
      ++calls === 1 ? new Promise((resolve) => (late = () => resolve([{ team: 'other', name: 'stale', text: 'Not for this conversation' }]))) : original(team);
    await openConversation(element, first.conversationId, 'Canned race one');
    await openConversation(element, second.conversationId, 'Canned race two');
    late();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Whatever renders the conversation next (a message, a status) hands its replies to the composer.
    const view = element.querySelector('sb-conversation') as unknown as { requestUpdate(): void; updateComplete: Promise<boolean> };
    view.requestUpdate();
    await view.updateComplete;
    const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
    box.value = '/';
    box.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await until(() => $(element, 'sb-composer [role="option"]'), 'the completion list');
    const offered = [...element.querySelectorAll('sb-composer [role="option"]')].map((option) => option.textContent);
    expect(offered.some((text) => text.includes('/thanks'))).to.equal(true);
    expect(offered.some((text) => text.includes('/stale'))).to.equal(false, offered.join(' | '));
  });

  it('finds a conversation by a word of its messages and opens it', async () => {
    const word = `zebra${Date.now()}`;
    const { conversationId } = await visitor(`Looking for a ${word} costume`);
    const element = await consoleFor();
    const input = $<HTMLInputElement>(element, 'sb-search input')!;
    input.value = word;
    input.dispatchEvent(new InputEvent('input'));
    $<HTMLFormElement>(element, 'sb-search form')!.requestSubmit();
    await until(() => $(element, `sb-search [data-conversation="${conversationId}"]`), 'the search result');
    expect($(element, 'sb-search [role="status"]')!.textContent).to.match(/\d+ results?/);
    $<HTMLButtonElement>(element, `sb-search [data-conversation="${conversationId}"]`)!.click();
    await until(() => logText(element).includes(word), 'the conversation open');
  });

  it('names the customer of a message hit and opens it at its message, earlier pages fetched, marked and scrolled into view', async () => {
    const word = `walrus${Date.now()}`;
    const { client, conversationId } = await visitor(`My ${word} order never came`);
    // More than a page after it: the conversation opens on its latest 50, the hit is older.
    for (let i = 1; i <= 60; i++) await client.send(conversationId, `follow-up ${i}`);
    const element = await consoleFor();
    const input = $<HTMLInputElement>(element, 'sb-search input')!;
    input.value = word;
    input.dispatchEvent(new InputEvent('input'));
    $<HTMLFormElement>(element, 'sb-search form')!.requestSubmit();
    await until(() => $(element, `sb-search [data-conversation="${conversationId}"]`), 'the search result');
    // The hit names whose conversation it is in (an anonymous visitor: their address).
    const hit = $<HTMLButtonElement>(element, `sb-search [data-conversation="${conversationId}"]`)!;
    expect(hit.querySelector('.who')!.textContent).to.equal(client.session!.self.replace(/^web:/, ''));
    hit.click();
    await until(() => $(element, 'sb-message-log .entry.found'), 'the found message in the log');
    const found = $(element, 'sb-message-log .entry.found')!;
    expect(found.textContent).to.include(word);
    expect(found.getAttribute('aria-current')).to.equal('true');
    const log = $(element, 'sb-message-log')!.getBoundingClientRect();
    await until(() => {
      const box = found.getBoundingClientRect();
      return box.top >= log.top && box.bottom <= log.bottom;
    }, 'the found message within the visible log');
    expect(logText(element)).to.include('follow-up 60');
  });

  it('moves between conversations with j, k and n', async () => {
    const agent = await agentClient();
    await agent.setPresence('available');
    const first = await visitor('Keyboard one');
    const second = await visitor('Keyboard two');
    const element = await consoleFor(agent);
    view(element, 'mine').click();
    await until(() => itemOf(element, first.conversationId) && itemOf(element, second.conversationId), 'both in Mine');
    press('j');
    await until(() => element.querySelector('sb-inbox [aria-current="true"]'), 'a conversation open');
    const opened = element.querySelector('sb-inbox [aria-current="true"]')!.getAttribute('data-conversation');
    press('j');
    await until(() => element.querySelector('sb-inbox [aria-current="true"]')!.getAttribute('data-conversation') !== opened, 'the next one');
    press('k');
    await until(() => element.querySelector('sb-inbox [aria-current="true"]')!.getAttribute('data-conversation') === opened, 'the previous one');
    press('n');
    await until(() => element.querySelector('sb-inbox [aria-current="true"]')!.getAttribute('data-conversation') !== opened, 'the next unread');
  });

  it('shows reports by team with a CSV link; accessible', async () => {
    const element = await consoleFor();
    $<HTMLButtonElement>(element, 'button.reports-toggle')!.click();
    await until(() => $(element, 'sb-reports form'), 'the reports view');
    await until(() => $(element, 'sb-reports table, sb-reports p.muted'), "the last seven days' report, shown at once");
    $<HTMLFormElement>(element, 'sb-reports form')!.requestSubmit();
    await until(() => $(element, 'sb-reports table, sb-reports p.muted'), 'the report');
    const csv = new URL($<HTMLAnchorElement>(element, 'sb-reports a.csv')!.href);
    expect(csv.pathname).to.match(/\/agent\/api\/report\.csv$/);
    expect(csv.searchParams.get('by')).to.equal('team');
    expect(csv.searchParams.get('from')).to.match(/^\d{4}-\d{2}-\d{2}$/);
    await expect(element).to.be.accessible();
  });
});
