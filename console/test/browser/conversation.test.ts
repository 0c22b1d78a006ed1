// The console's conversation view in Chromium against a real bridge: history, replies and their
// statuses, typing both ways, paging back, a refused send, the shortcuts that need no inbox, and
// axe on what it shows.
import { expect, fixture, html } from '@open-wc/testing';
import { LIMITS, type Message, type TypingEvent, createClient } from '@switchboard/sdk';
import type { MessageLog } from '../../lib/message-log.js';
import { $, agentClient, cleanUpEachTest, clients, consoleFor, info, logText, openConversation, press, reply, until, visitor } from './console-page.js';

cleanUpEachTest();

describe('the console: a conversation', () => {
  it('shows the history, sends a reply the visitor gets, with its status; accessible', async () => {
    const { client: customer, conversationId } = await visitor('Hello from the shop');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Hello from the shop');
    const received: string[] = [];
    customer.on('message', (m) => received.push(m.text));
    await reply(element, 'Hi! How can I help?');
    await until(() => received.includes('Hi! How can I help?'), 'the reply at the visitor');
    const last = customer.messages(conversationId).at(-1)!;
    await customer.markRead(conversationId, last.seq);
    await until(() => [...element.querySelectorAll('.entry.mine .status')].some((s) => s.textContent === 'Read'), 'the Read status');
    expect($(element, 'sb-message-log [role="log"]')!.getAttribute('aria-live')).to.equal('polite');
    expect($(element, '.day[role="separator"]')).to.exist;
    await expect(element).to.be.accessible();
  });

  it('marks what came while the tab was hidden read once the agent is back on it', async () => {
    const { client: customer, conversationId } = await visitor('Before the break');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Before the break');
    let visibility: DocumentVisibilityState = 'hidden';
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
    try {
      const read: string[] = [];
      customer.on('message:status', (status) => status.status === 'read' && read.push(status.id));
      const sent = await customer.send(conversationId, 'While you were away');
      await until(() => logText(element).includes('While you were away'), 'the message on screen');
      visibility = 'visible';
      document.dispatchEvent(new Event('visibilitychange'));
      await until(() => read.includes(sent.id), 'the message read once the tab is visible');
    } finally {
      // Back to the document's own getter.
      delete (document as { visibilityState?: DocumentVisibilityState }).visibilityState;
    }
  });

  it('says why a reply the bridge keeps for a network that is down waits, then its status once it went', async () => {
    const log = await fixture<MessageLog>(html`<sb-message-log></sb-message-log>`);
    const message: Message = {
      id: 'm1',
      conversationId: 'c1',
      seq: 1,
      from: 'web:a_agent',
      text: 'Your order shipped',
      sentAt: new Date().toISOString(),
      status: 'accepted',
    };
    log.self = 'web:a_agent';
    log.customer = 'xmpp:carol@example.com';
    log.entries = [{ kind: 'message', key: 'm1', message }];
    log.failures = new Map([['m1', 'xmpp is unavailable: the message is kept and will be sent when the network is back']]);
    await log.updateComplete;
    expect(log.querySelector('.status')!.textContent.trim()).to.equal(
      'Waiting: xmpp is unavailable: the message is kept and will be sent when the network is back',
    );
    await expect(log).to.be.accessible();
    log.entries = [{ kind: 'message', key: 'm1', message: { ...message, status: 'sent' } }];
    await log.updateComplete;
    expect(log.querySelector('.status')!.textContent.trim()).to.equal('Sent');
  });

  it("says where a visitor's message came from when they wrote from their IM client or mailbox", async () => {
    const log = await fixture<MessageLog>(html`<sb-message-log></sb-message-log>`);
    log.self = 'web:a_agent';
    log.customer = 'web:v_0123456789ab';
    const from = { conversationId: 'c1', from: 'web:v_0123456789ab', sentAt: new Date().toISOString(), status: 'sent' } as const;
    log.entries = [
      { kind: 'message', key: 'm1', message: { ...from, id: 'm1', seq: 1, text: 'From the page' } },
      { kind: 'message', key: 'm2', message: { ...from, id: 'm2', seq: 2, text: 'From my phone', sentFrom: 'xmpp:dana@example.org' } },
    ];
    await log.updateComplete;
    expect([...log.querySelectorAll('.entry')].map((entry) => entry.querySelector('.sent-from')?.textContent ?? null)).to.deep.equal([
      null,
      'sent from xmpp:dana@example.org',
    ]);
    await expect(log).to.be.accessible();
  });

  it("names the team's own lines (a greeting) as the desk's, not by an address", async () => {
    const log = await fixture<MessageLog>(html`<sb-message-log></sb-message-log>`);
    log.self = 'web:a_agent';
    log.customer = 'web:v_0123456789ab';
    const sentAt = new Date().toISOString();
    log.entries = [
      {
        kind: 'message',
        key: 'm1',
        message: { conversationId: 'c1', id: 'm1', seq: 1, from: 'team:support', text: 'Hello! How can we help?', sentAt, status: 'sent' },
      },
    ];
    await log.updateComplete;
    expect(log.querySelector('.meta')!.textContent).to.match(/^The desk \(automatic\) · /);
  });

  it('names another agent as the teams name them, as the head names the assignee; one they do not name by its address', async () => {
    const log = await fixture<MessageLog>(html`<sb-message-log></sb-message-log>`);
    log.self = 'web:a_agent';
    log.customer = 'web:v_0123456789ab';
    log.agentNames = new Map([
      ['web:a_bob', 'Bob'],
      ['xmpp:alice@example.org', 'Alice'],
    ]);
    const sentAt = new Date().toISOString();
    const said = (id: string, from: `${string}:${string}`) => ({
      kind: 'message' as const,
      key: id,
      message: { conversationId: 'c1', id, seq: Number(id.slice(1)), from, text: 'On it', sentAt, status: 'sent' as const },
    });
    log.entries = [said('m1', 'web:a_bob'), said('m2', 'xmpp:alice@example.org'), said('m3', 'web:a_carol')];
    await log.updateComplete;
    expect([...log.querySelectorAll('.entry')].map((entry) => entry.querySelector('.meta')!.textContent.split(' · ')[0])).to.deep.equal([
      'Bob',
      'Alice',
      'carol',
    ]);
  });

  it('shows an action (/me, as IRC and XMPP clients send it) as one, under its writer', async () => {
    const log = await fixture<MessageLog>(html`<sb-message-log></sb-message-log>`);
    log.self = 'web:a_agent';
    log.customer = 'xmpp:carol@example.com';
    log.customerName = 'Carol';
    const sentAt = new Date().toISOString();
    const said = (id: string, from: `${string}:${string}`, text: string) => ({
      kind: 'message' as const,
      key: id,
      message: { conversationId: 'c1', id, seq: Number(id.slice(1)), from, text, sentAt, status: 'sent' as const },
    });
    log.entries = [said('m1', 'xmpp:carol@example.com', '/me waves'), said('m2', 'web:a_alice', '/me checks the stock')];
    await log.updateComplete;
    expect([...log.querySelectorAll('.text')].map((text) => text.textContent)).to.deep.equal(['* Carol waves', '* alice checks the stock']);
    expect(log.querySelectorAll('.text.action em').length).to.equal(2);
  });

  it('shows the visitor typing, and tells the visitor when the agent types', async () => {
    const { client: customer, conversationId } = await visitor('Typing test');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Typing test');
    customer.typing(conversationId, 'composing');
    await until(() => $(element, '.typing-line')!.textContent.includes('typing'), 'the typing line');
    const seen: TypingEvent[] = [];
    customer.on('typing', (event) => seen.push(event));
    const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
    box.value = 'Let me check';
    box.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await until(() => seen.some((event) => event.state === 'composing'), 'the agent typing at the visitor');
  });

  it('pages back through a long history', async () => {
    const { client: customer, conversationId } = await visitor('message 0');
    for (let i = 1; i <= 54; i++) await customer.send(conversationId, `message ${i}`);
    const element = await consoleFor();
    await openConversation(element, conversationId, 'message 54');
    expect(element.querySelectorAll('.entry[data-seq]').length).to.equal(50);
    // Opened at its end, where the latest message is.
    const log = $(element, 'sb-message-log')!;
    const atEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight < 2;
    expect(log.scrollHeight).to.be.greaterThan(log.clientHeight);
    await until(atEnd, 'the log at its end');
    // A new message while there: still at the end.
    await customer.send(conversationId, 'message 55');
    await until(() => logText(element).includes('message 55'), 'the new message');
    await until(atEnd, 'the log kept at its end');
    // An earlier page keeps what the agent reads in place.
    log.scrollTop = 0;
    const reading = $(element, '.entry[data-seq="6"]')!;
    const readingAt = reading.getBoundingClientRect().top;
    $<HTMLButtonElement>(element, 'button.load-earlier')!.click();
    await until(() => element.querySelectorAll('.entry[data-seq]').length === 56, 'the earlier page');
    expect(Math.abs(reading.getBoundingClientRect().top - readingAt)).to.be.lessThan(2);
    expect($(element, 'button.load-earlier')).to.equal(null);
    expect($(element, '.entry[data-seq="1"]')!.textContent).to.include('message 0');
  });

  it('shows a refused reply with its reason, and lets the agent discard it', async () => {
    const { conversationId } = await visitor('Refusal test');
    const agent = await agentClient();
    const element = await consoleFor(agent);
    await openConversation(element, conversationId, 'Refusal test');
    agent.send(conversationId, 'x'.repeat(LIMITS.maxTextLength + 1)).catch(() => undefined);
    await until(() => $(element, '.entry.pending .error'), 'the refused reply');
    expect($(element, '.entry.pending .error')!.textContent).to.match(/Not sent: .+/);
    expect($(element, '.entry.pending button.retry')).to.exist;
    await expect(element).to.be.accessible();
    $<HTMLButtonElement>(element, '.entry.pending button.discard')!.click();
    await until(() => !$(element, '.entry.pending'), 'the reply discarded');
  });

  it('gives the typed reply and its files back when a file is refused at upload', async () => {
    const { client: customer, conversationId } = await visitor('Refused file test');
    const atVisitor: string[] = [];
    customer.on('message', (m) => atVisitor.push(m.text));
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Refused file test');
    // The site takes files of 256 KiB at most.
    const files = new DataTransfer();
    files.items.add(new File(['x'.repeat(300 * 1024)], 'server.log', { type: 'text/plain' }));
    const input = $<HTMLInputElement>(element, 'sb-composer input[type="file"]')!;
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
    await until(() => $(element, 'sb-composer .files')?.textContent?.includes('server.log'), 'the file to send');
    await reply(element, 'Here is the log');
    await until(() => $(element, 'sb-conversation .error')?.textContent?.startsWith('Failed: '), 'the refusal shown');
    await until(() => $<HTMLTextAreaElement>(element, 'sb-composer textarea')!.value === 'Here is the log', 'the text back in the box');
    expect($(element, 'sb-composer .files')?.textContent).to.include('server.log');
    expect(atVisitor).to.not.include('Here is the log');
  });

  it("shows a conversation's subject in the list and its head, and the visitor's rating once given", async () => {
    const { client: customer, conversationId } = await visitor('About my order');
    await fetch(`/__bridge/subject?conversation=${conversationId}&subject=${encodeURIComponent('Order #1234 arrived damaged')}`);
    const element = await consoleFor();
    $<HTMLButtonElement>(element, 'sb-inbox [data-view="open"]')!.click();
    const item = () => $(element, `sb-inbox [data-conversation="${conversationId}"]`);
    await until(() => item(), 'the conversation in All open');
    expect(item()!.querySelector('.subject')?.textContent).to.equal('Subject: Order #1234 arrived damaged');
    await openConversation(element, conversationId, 'About my order');
    expect($(element, '.conversation-head .subject')?.textContent).to.equal('Subject: Order #1234 arrived damaged');
    await customer.closeConversation(conversationId);
    await customer.rateConversation(conversationId, 4);
    await until(() => $(element, '.conversation-head .rating')?.textContent === 'Rated 4 out of 5', 'the rating shown');
    await expect(element).to.be.accessible();
  });

  it("sends files the visitor gets, and lists the visitor's files to open", async () => {
    const { client: customer, conversationId } = await visitor('Here is my receipt');
    const receipt = await customer.uploadFile(conversationId, new File(['total: 42'], 'receipt.txt', { type: 'text/plain' }));
    await customer.send(conversationId, '', { attachments: [receipt] });
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Here is my receipt');
    await until(() => $(element, `button.file[data-file="${receipt.id}"]`), "the visitor's file");
    expect($(element, `button.file[data-file="${receipt.id}"]`)!.textContent.trim()).to.equal('Open receipt.txt (9 bytes)');
    const received: string[] = [];
    customer.on('message', (m) => received.push(...(m.attachments ?? []).map((a) => a.name)));
    const files = new DataTransfer();
    files.items.add(new File(['see attached'], 'answer.txt', { type: 'text/plain' }));
    const input = $<HTMLInputElement>(element, 'sb-composer input[type="file"]')!;
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
    await until(() => $(element, 'sb-composer .files')?.textContent?.includes('answer.txt'), 'the file to send');
    await expect(element).to.be.accessible();
    await reply(element, '');
    await until(() => received.includes('answer.txt'), 'the file at the visitor');
    await until(() => !$(element, 'sb-composer .files'), 'the list emptied');
  });

  it('r focuses the reply box, x closes the conversation, ? lists the shortcuts and Escape closes the list', async () => {
    const { client: customer, conversationId } = await visitor('Shortcut test');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Shortcut test');
    press('r');
    expect(document.activeElement).to.equal($(element, 'sb-composer textarea'));
    press('x', document.activeElement!);
    expect($(element, 'sb-conversation .close')!.hasAttribute('disabled')).to.equal(false, 'an x typed in the reply box stays text');
    (document.activeElement as HTMLElement).blur();
    press('?');
    await until(() => $<HTMLDialogElement>(element, 'sb-shortcuts dialog')?.open, 'the shortcuts overlay');
    expect($(element, 'sb-shortcuts dialog')!.textContent).to.include('Next unread conversation');
    await expect(element).to.be.accessible();
    press('Escape');
    await until(() => !$<HTMLDialogElement>(element, 'sb-shortcuts dialog')!.open, 'the overlay closed');
    press('x');
    await until(() => customer.conversations.find((c) => c.id === conversationId)?.state === 'closed', 'the conversation closed at the visitor');
    await until(() => $(element, '.closed-note'), 'the closed notice');
  });

  it('writes private notes on a closed conversation, where replies are off; the visitor gets nothing', async () => {
    const { client: customer, conversationId } = await visitor('Closing soon');
    const atVisitor: string[] = [];
    customer.on('message', (m) => atVisitor.push(m.text));
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Closing soon');
    $<HTMLButtonElement>(element, 'sb-conversation button.close')!.click();
    await until(() => $(element, '.closed-note'), 'the closed notice');
    expect($(element, '.closed-note')!.textContent).to.include('private notes can still be written');
    const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
    expect(box.disabled).to.equal(false);
    expect(box.placeholder).to.include('Private note');
    const toggle = $<HTMLInputElement>(element, 'sb-composer .note-toggle')!;
    expect([toggle.checked, toggle.disabled]).to.deep.equal([true, true]);
    expect($(element, 'sb-composer .attach')).to.equal(null);
    expect($(element, 'sb-composer .send')!.textContent.trim()).to.equal('Add note');
    await expect(element).to.be.accessible();
    await reply(element, 'Closed after a refund');
    await until(() => $(element, '.entry.note')?.textContent?.includes('Closed after a refund'), 'the note in the log');
    expect(element.querySelector('sb-conversation [role="alert"]')).to.equal(null);
    expect((await element.client!.notes(conversationId)).map((n) => n.text)).to.deep.equal(['Closed after a refund']);
    // Still closed: a note does not reopen it, and reaches no one outside the desk.
    expect(customer.conversations.find((c) => c.id === conversationId)?.state).to.equal('closed');
    expect(atVisitor).to.not.include('Closed after a refund');
  });

  it('reopens a closed conversation with a reply: Reopen turns the box to replies, and the customer gets it', async () => {
    const { client: customer, conversationId } = await visitor('Thanks, bye');
    const received: string[] = [];
    customer.on('message', (m) => received.push(m.text));
    const element = await consoleFor();
    await openConversation(element, conversationId, 'Thanks, bye');
    $<HTMLButtonElement>(element, 'sb-conversation button.close')!.click();
    await until(() => $(element, 'sb-conversation button.reopen'), 'the Reopen button');
    expect($(element, '.closed-note')!.textContent).to.include('Reopen to reply');
    $<HTMLButtonElement>(element, 'sb-conversation button.reopen')!.click();
    const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
    await until(() => box.placeholder.startsWith('Reply to reopen'), 'the box writing a reply that reopens');
    expect(document.activeElement).to.equal(box);
    expect($(element, 'sb-conversation button.reopen')!.getAttribute('aria-pressed')).to.equal('true');
    const toggle = $<HTMLInputElement>(element, 'sb-composer .note-toggle')!;
    expect([toggle.checked, toggle.disabled]).to.deep.equal([false, false]);
    expect($(element, 'sb-composer .send')!.textContent.trim()).to.equal('Send and reopen');
    expect($(element, '.closed-note')!.textContent).to.include('Your reply reopens it');
    await expect(element).to.be.accessible();
    // A toggle: pressed again, the box writes notes again; pressed once more, replies.
    $<HTMLButtonElement>(element, 'sb-conversation button.reopen')!.click();
    await until(() => box.placeholder.startsWith('Private note'), 'the box back to notes');
    expect($(element, 'sb-conversation button.reopen')!.getAttribute('aria-pressed')).to.equal('false');
    $<HTMLButtonElement>(element, 'sb-conversation button.reopen')!.click();
    await until(() => box.placeholder.startsWith('Reply to reopen'), 'the box writing a reply again');
    await reply(element, 'One more thing: your refund went out today.');
    await until(() => received.includes('One more thing: your refund went out today.'), 'the reply at the customer');
    await until(() => customer.conversations.find((c) => c.id === conversationId)?.state === 'open', 'the conversation open again at the customer');
    await until(() => !$(element, '.closed-note'), 'the closed notice gone');
    expect($(element, 'sb-conversation button.reopen')).to.equal(null);
    expect(box.placeholder).to.match(/^Reply…/);
  });

  it("counts the characters left near the limit, without announcing each key, and refuses a text over it with the bridge's words", async () => {
    const { client: customer, conversationId } = await visitor('A long story');
    const element = await consoleFor();
    await openConversation(element, conversationId, 'A long story');
    const composer = $<HTMLElement & { updateComplete: Promise<boolean> }>(element, 'sb-composer')!;
    const box = $<HTMLTextAreaElement>(element, 'sb-composer textarea')!;
    const type = async (text: string) => {
      box.value = text;
      box.dispatchEvent(new InputEvent('input', { bubbles: true }));
      await composer.updateComplete;
    };
    const max = LIMITS.maxTextLength;
    await type('Nearly done');
    expect($(element, 'sb-composer .count')).to.equal(null);
    // Counted in code points, as the bridge counts: an emoji is one.
    await type(`${'😀'.repeat(max - 3)}  `);
    const count = $(element, 'sb-composer .count')!;
    expect(count.textContent.trim()).to.equal('3 characters left');
    expect(box.getAttribute('aria-describedby')).to.equal(count.id);
    expect([count.getAttribute('aria-live'), count.getAttribute('role'), count.closest('[aria-live]')]).to.deep.equal([null, null, null]);
    await type('a'.repeat(max + 2));
    expect($(element, 'sb-composer .count')!.textContent.trim()).to.equal('2 characters too many');
    expect(box.getAttribute('aria-invalid')).to.equal('true');
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await composer.updateComplete;
    expect($(element, 'sb-composer [role="alert"]')!.textContent).to.equal(`Failed: text: is longer than ${max} characters`);
    expect(box.value).to.have.length(max + 2, 'kept, to be shortened');
    await expect(element).to.be.accessible();
    await type('a'.repeat(max));
    expect($(element, 'sb-composer [role="alert"]')).to.equal(null);
    expect(customer.messages(conversationId).map((m) => m.text)).to.deep.equal(['A long story']);
  });

  /** A customer's conversation with the team that makes offers, offered to the console's agent, its countdown listed. */
  async function offered(text: string) {
    const agent = await agentClient();
    const customer = createClient({ url: info.url, siteKey: info.siteKey, storage: null });
    clients.push(customer);
    await customer.ready();
    const { id } = await customer.openConversation({ team: 'offers' });
    await customer.send(id, text);
    const element = await consoleFor(agent);
    const listed = () => $(element, `sb-inbox [data-conversation="${id}"] sb-offer-countdown [role="timer"]`);
    await until(() => listed(), 'the countdown in the list');
    return { element, id, listed };
  }

  it('counts down the time left to answer an offer in the inbox list, as a timer read on demand; gone once answered', async () => {
    const { element, id, listed } = await offered('Is anyone there?');
    // The team gives 10 minutes from the offer: counted down from the bridge's absolute deadline.
    expect(listed()!.textContent).to.match(/^Offered to you: answer within (9:[0-5]\d|10:00) \(by .+\), or it goes to the next agent$/);
    // A timer is no live region: read when the agent gets to it, never each second.
    expect(listed()!.closest('[aria-live]')).to.equal(null);
    const first = listed()!.textContent;
    await until(() => listed()?.textContent !== first, 'the countdown ticking');
    // The conversation's head stays as it was: the log under it does not move when an offer comes.
    await openConversation(element, id, 'Is anyone there?');
    expect($(element, 'sb-conversation sb-offer-countdown')).to.equal(null);
    await expect(element).to.be.accessible();
    await reply(element, 'Yes, I am here.');
    await until(() => !listed(), 'the countdown gone once answered');
  });

  it('takes up an offer with the Claim button, as an answer does: the countdown goes, the conversation stays', async () => {
    const { element, id, listed } = await offered('Hello, anyone?');
    await openConversation(element, id, 'Hello, anyone?');
    const claim = $<HTMLButtonElement>(element, 'sb-conversation button.claim')!;
    // Assigned to the agent by the offer: the button takes the offer up.
    expect(claim.disabled).to.equal(false);
    claim.click();
    await until(() => !listed(), 'the countdown gone once claimed');
    await until(() => claim.disabled, 'nothing left to claim');
    expect($(element, 'sb-conversation .assignee')!.textContent).to.equal('Assigned to You');
  });
});
