// The inbox's pages against a real bridge, with the bridge's answers held back on their way to the
// list (the answer already computed, so it is older than what happens meanwhile): a conversation
// arriving while the next page loads, and views switched while it loads (docs/protocol.md, `inbox:list`).
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import type { InboxItem, SwitchboardClient } from '@switchboard/sdk';
import { DeskApi } from '../../lib/desk-api.js';
import type { InboxList } from '../../lib/inbox-list.js';
import { $, agentClient, cleanUpEachTest, until, visitor } from './console-page.js';

cleanUpEachTest();

interface Held {
  /** The bridge answered the held request (its items are computed). */
  answered: Promise<void>;
  /** Hands the answer to the list. */
  release(): void;
}

/** A desk whose next `inbox:list` request, once asked for, is answered by the bridge and held until released. */
function heldDesk(client: SwitchboardClient) {
  const desk = new DeskApi(client);
  const list = desk.inbox.bind(desk);
  const counts = desk.inboxCounts.bind(desk);
  let next: { answered(): void; released: Promise<void> } | undefined;
  let lastCounts: Promise<unknown> = Promise.resolve();
  desk.inbox = async (view, options) => {
    const held = next;
    next = undefined;
    const items = await list(view, options);
    if (held) {
      await lastCounts;
      held.answered();
      await held.released;
    }
    return items;
  };
  desk.inboxCounts = (team) => {
    const asked = counts(team);
    lastCounts = asked.catch(() => undefined);
    return asked;
  };
  return {
    desk,
    holdNext: (): Held => {
      let answered!: () => void;
      let release!: () => void;
      const held: Held = { answered: new Promise<void>((resolve) => (answered = resolve)), release: () => release() };
      next = { answered, released: new Promise<void>((resolve) => (release = resolve)) };
      return held;
    },
  };
}

/** The inbox items pushed to a client from now on. */
function pushedItems(client: SwitchboardClient): InboxItem[] {
  const pushed: InboxItem[] = [];
  client.on('inboxItem', (item) => pushed.push(item));
  return pushed;
}

const shownIds = (element: Element) => [...element.querySelectorAll('.inbox-items [data-conversation]')].map((item) => item.getAttribute('data-conversation')!);
const tab = (element: Element, name: string) => $<HTMLButtonElement>(element, `[data-view="${name}"]`)!;

/** Chooses a view and waits until it is listed. */
async function switchTo(element: InboxList, view: string): Promise<void> {
  const listed = oneEvent(element, 'inbox-items');
  tab(element, view).click();
  await listed;
}

/** A released answer taken in (or dropped): the list's work after it is done within a task. */
async function settled(element: InboxList): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve));
  await element.updateComplete;
}

/** The inbox alone, one conversation a page, on `view` once listed. */
async function pagedInbox(desk: DeskApi, view: string): Promise<InboxList> {
  const element = await fixture<InboxList>(html`<sb-inbox .desk=${desk} .self=${['web:a_agent']} .pageSize=${1}></sb-inbox>`);
  await switchTo(element, view);
  return element;
}

describe('the console: inbox pages', () => {
  it('keeps a conversation that arrived while the next page loaded, listed once; accessible', async () => {
    const agent = await agentClient();
    const pushed = pushedItems(agent);
    await visitor('Paging one');
    const { conversationId: last } = await visitor('Paging two');
    // The items of what happened before the list exists have come: only the tested one comes later.
    await until(() => pushed.some((item) => item.id === last), 'the inbox:item of the last conversation');
    const { desk, holdNext } = heldDesk(agent);
    const element = await pagedInbox(desk, 'open');
    expect(shownIds(element)).to.have.length(1);
    const more = $<HTMLButtonElement>(element, 'button.more')!;
    expect(more.textContent.trim()).to.equal('Show more conversations');
    await expect(element).to.be.accessible();

    const held = holdNext();
    more.focus();
    more.click();
    await held.answered;
    // Written after the bridge answered the page: only inbox:item tells of it.
    const { conversationId } = await visitor('Arrived while the page loaded');
    await until(() => shownIds(element).includes(conversationId), 'the new conversation, from inbox:item');
    const listed = oneEvent(element, 'inbox-items');
    held.release();
    await listed;
    const ids = shownIds(element);
    expect(ids).to.include(conversationId);
    expect(new Set(ids).size).to.equal(ids.length, 'each conversation once');
    expect(ids).to.have.length(3, 'the two of the page, and the one that arrived');
  });

  it('shows only the latest view asked for when views are switched while a page loads', async () => {
    const agent = await agentClient();
    const pushed = pushedItems(agent);
    await visitor('Switching one');
    await visitor('Switching two');
    const { conversationId: closedId } = await visitor('Closed while switching');
    await agent.closeConversation(closedId);
    await until(() => pushed.some((item) => item.id === closedId && item.state === 'closed'), 'the inbox:item of the closed conversation');
    const { desk, holdNext } = heldDesk(agent);
    const element = await pagedInbox(desk, 'open');

    // All open's next page is on its way when the agent goes to Closed.
    const held = holdNext();
    $<HTMLButtonElement>(element, 'button.more')!.click();
    await held.answered;
    await switchTo(element, 'closed');
    const closed = shownIds(element);
    expect(closed).to.deep.equal((await agent.inbox('closed', { limit: 1 })).map((item) => item.id));
    held.release();
    await settled(element);
    expect(shownIds(element)).to.deep.equal(closed, 'no open conversation in Closed');

    // All open, Closed and All open again while a page of the first visit is on its way.
    await switchTo(element, 'open');
    const again = holdNext();
    $<HTMLButtonElement>(element, 'button.more')!.click();
    await again.answered;
    await switchTo(element, 'closed');
    await switchTo(element, 'open');
    const firstPage = shownIds(element);
    expect(firstPage).to.have.length(1);
    again.release();
    await settled(element);
    expect(shownIds(element)).to.deep.equal(firstPage, 'the latest request, not the older page of the same view');
    expect($(element, 'button.more')).to.not.equal(null);
  });
});
