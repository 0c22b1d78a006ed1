import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import { LIMITS, type Message, createClient } from '@switchboard/sdk';
import type { SwitchboardChat } from '../../dist/index.js';
import { freshVisitorEachTest, info, until } from './page.js';
import {
  $,
  agent,
  agentReceiving,
  bubbleTexts,
  bubbles,
  clients,
  draft,
  online,
  openWidget,
  sendOffline,
  shadow,
  signedInUser,
  type,
  widget,
} from './widget-page.js';

freshVisitorEachTest(clients);

describe('<switchboard-chat> in Chromium against a real bridge', () => {
  it('paints a labelled launcher before the socket is up, and is accessible closed', async () => {
    const element = await widget();
    const launcher = $<HTMLButtonElement>(element, 'button.launcher')!;
    expect(launcher.getAttribute('aria-label')).to.equal('Open chat');
    expect(launcher.getAttribute('aria-expanded')).to.equal('false');
    expect(launcher.querySelector('svg path')).to.be.instanceOf(SVGPathElement);
    expect(element.chat.state).to.not.equal('online');
    await expect(element).to.be.accessible();
  });

  it('opens as a dialog with focus inside, closes on Escape and gives focus back', async () => {
    const element = await widget();
    await online(element);
    const launcher = $<HTMLButtonElement>(element, 'button.launcher')!;
    launcher.focus();
    launcher.click();
    await element.updateComplete;
    await until(() => shadow(element).activeElement, 'focus in the panel');
    const dialog = $(element, '[role="dialog"]')!;
    expect(dialog.getAttribute('aria-labelledby')).to.equal('title');
    expect(dialog.contains(shadow(element).activeElement)).to.equal(true);
    await expect(element).to.be.accessible();
    shadow(element).activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await element.updateComplete;
    expect(element.open).to.equal(false);
    await until(() => shadow(element).activeElement === launcher, 'focus back on the launcher');
  });

  it('sends and receives, with status, typing and an accessible log', async () => {
    const support = await agent();
    const atAgent: Message[] = [];
    support.on('message', (m) => atAgent.push(m));
    const element = await openWidget();
    await type(element, 'Hello, is anyone there?');
    // A fresh agent client also replays its earlier conversations: look at this visitor's only.
    const fromVisitor = () => atAgent.filter((m) => m.from === element.chat.session?.self);
    await until(() => fromVisitor().length === 1, 'the message at the agent');
    expect(fromVisitor()[0]!.text).to.equal('Hello, is anyone there?');
    const conversationId = fromVisitor()[0]!.conversationId;
    support.typing(conversationId, 'composing');
    await until(() => $(element, '.typing')?.textContent?.includes('typing'), 'the typing indicator');
    await support.send(conversationId, 'Yes! How can I help?');
    await until(() => bubbles(element).length === 2, 'the reply');
    expect(bubbles(element).map((b) => b.textContent)).to.deep.equal(['Hello, is anyone there?', 'Yes! How can I help?']);
    // Each group is headed by who wrote it: the agent by the name the site gave them.
    const heads = () => [...shadow(element).querySelectorAll('.group-head')].map((head) => head.textContent.split(' · ')[0]!.trim());
    await until(() => heads().join() === 'You,Agent', `the agent's name heading the reply (${heads().join()})`);
    // Screen readers hear the first answer under the agent's name too, not "Support".
    await until(() => $(element, '.sr-only[aria-live]')?.textContent === 'Agent: Yes! How can I help?', 'the reply announced');
    expect($(element, '[role="log"]')).to.exist;
    await until(() => /Read|Delivered/.test($(element, '.status')?.textContent ?? ''), 'a delivery status');
    await expect(element).to.be.accessible();
  });

  it('tells the agent the visitor is typing, again every few seconds while they type, and paused once they stop', async () => {
    const support = await agent();
    const atAgent: Message[] = [];
    support.on('message', (m) => atAgent.push(m));
    const element = await openWidget();
    // The first line opens the conversation (typing before it had no one to tell), and the agent has it.
    await type(element, 'A first line');
    await until(() => atAgent.some((m) => m.text === 'A first line' && m.from === element.chat.session?.self), 'the first line at the agent');
    const states: string[] = [];
    support.on('typing', (event) => event.from === element.chat.session?.self && states.push(event.state));
    const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
    const key = () => {
      input.value += 'a';
      input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    };
    key();
    await until(() => states.length === 1, 'composing at the agent');
    // A key every 200 ms: the agent's indicator would run out without composing said again.
    const keys = setInterval(key, 200);
    try {
      await until(() => states.length === 2, 'composing said again while the visitor types', 10_000);
    } finally {
      clearInterval(keys);
    }
    expect(states).to.deep.equal(['composing', 'composing']);
    await until(() => states.length === 3, 'paused once the keys stop', 10_000);
    expect(states[2]).to.equal('paused');
  });

  it('shows a waiting visitor its place in the queue, again after a reload, until an agent has the conversation', async () => {
    const queuer = createClient({ url: info.url, siteKey: info.siteKey, identity: info.queuer, storage: null });
    const other = createClient({ url: info.url, siteKey: info.siteKey, storage: null });
    clients.push(queuer, other);
    await Promise.all([queuer.ready(), other.ready()]);
    // Another visitor takes the agent's only room.
    const busy = await other.openConversation({ team: 'queue' });
    expect(busy.assignee).to.equal('web:a_queuer');
    const place = (element: SwitchboardChat) => $(element, '.queue')?.textContent?.trim();
    let element = await openWidget('team=queue');
    await type(element, 'Is anyone free?');
    await until(() => place(element) === 'You are next in line. An agent will be with you shortly.', 'the place in line');
    await expect(element).to.be.accessible();
    // A reload: the page is told its place as it connects, not at the next move.
    element.remove();
    element = await openWidget('team=queue');
    await until(() => place(element) === 'You are next in line. An agent will be with you shortly.', 'the place in line after a reload');
    // The agent has room again: the conversation is theirs, and the place goes.
    await queuer.closeConversation(busy.id);
    await until(() => element.chat.conversation?.assignee === 'web:a_queuer', 'the agent to have it');
    await until(() => place(element) === undefined, 'the place in line gone');
  });

  it('shows a closed conversation with a one-question rating, accessible, and thanks once rated', async () => {
    const support = await agent();
    const element = await openWidget('rating');
    await type(element, 'Please close me');
    await until(() => element.chat.conversation && element.chat.messages.length === 1, 'the message stored');
    const conversationId = element.chat.conversation!.id;
    await support.closeConversation(conversationId);
    await until(() => $(element, '.rating'), 'the rating question');
    expect($(element, '.rating')!.getAttribute('role')).to.equal('group');
    const buttons = [...shadow(element).querySelectorAll<HTMLButtonElement>('.rating button')];
    expect(buttons.map((b) => b.getAttribute('aria-label'))).to.deep.equal(['1 out of 5', '2 out of 5', '3 out of 5', '4 out of 5', '5 out of 5']);
    await expect(element).to.be.accessible();
    buttons[3]!.click();
    await until(() => element.chat.conversation?.rating === 4, 'the rating stored');
    await element.updateComplete;
    expect($(element, '.rating')).to.equal(null);
    expect(shadow(element).textContent).to.include('Thanks for your feedback!');
    const seen = (await support.listConversations({})).find((c) => c.id === conversationId);
    expect(seen?.rating).to.equal(4);
    // A comment may follow: sent with the rating, the form then goes.
    const form = () => $(element, 'form.rating-comment');
    expect(form()!.querySelector('label')!.textContent).to.equal('Anything to add? (optional)');
    const send = form()!.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    expect(send.disabled).to.equal(true, 'nothing to send yet');
    await expect(element).to.be.accessible();
    const client = element.chat.client!;
    const asked: unknown[][] = [];
    const rateConversation = client.rateConversation.bind(client);
    client.rateConversation = (...args) => (asked.push(args), rateConversation(...args));
    const box = form()!.querySelector<HTMLTextAreaElement>('textarea')!;
    box.value = 'Quick and kind, thank you';
    box.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await element.updateComplete;
    send.click();
    await until(() => !form(), 'the comment form gone once sent');
    expect(shadow(element).textContent).to.include('Thanks for your feedback!');
    expect(element.chat.conversation?.rating).to.equal(4);
    expect(asked).to.deep.equal([[conversationId, 4, 'Quick and kind, thank you']]);
    // After a reload: the same conversation, its comment given, is not asked for again.
    element.remove();
    const again = await openWidget('rating');
    await until(() => again.chat.conversation?.id === conversationId && again.chat.conversation.rating === 4, 'the rated conversation again');
    await again.updateComplete;
    expect(shadow(again).textContent).to.include('Thanks for your feedback!');
    expect($(again, 'form.rating-comment')).to.equal(null);
  });

  it('resumes after a reload without duplicates', async () => {
    const support = await agent();
    const first = await openWidget();
    await type(first, 'before reload');
    await until(() => bubbles(first).length === 1, 'the sent message');
    const conversationId = first.chat.conversation!.id;
    await support.send(conversationId, 'an answer');
    await until(() => bubbles(first).length === 2, 'the answer');
    first.remove();
    await support.send(conversationId, 'while the page reloads');

    const second = await widget();
    second.open = true;
    await online(second);
    await until(() => bubbles(second).length === 3, 'the resumed conversation');
    expect(bubbles(second).map((b) => b.textContent)).to.deep.equal(['before reload', 'an answer', 'while the page reloads']);
  });

  it('shows a long conversation from its latest page, with earlier messages a click away', async () => {
    const support = await agent();
    const first = await openWidget();
    await type(first, 'question 0');
    await until(() => bubbles(first).length === 1, 'the sent message');
    const conversationId = first.chat.conversation!.id;
    for (let n = 1; n <= 60; n += 1) await support.send(conversationId, `answer ${n}`);
    first.remove();

    const element = await widget();
    element.open = true;
    await online(element);
    // The latest 50 (seq 12 to 61): the visitor's question and the first ten answers are earlier.
    // The bridge's page (this tab's kept copy shows first, without the earlier messages' button).
    await until(() => bubbles(element).length === 50 && !element.chat.showingKept, 'the latest page');
    expect(bubbles(element)[0]!.textContent).to.equal('answer 11');
    const earlier = $<HTMLButtonElement>(element, 'button.earlier')!;
    expect(earlier.textContent).to.equal('Show earlier messages');
    await expect(element).to.be.accessible();

    const log = $(element, '.log')!;
    log.scrollTop = 0;
    const reading = () =>
      bubbles(element)
        .find((bubble) => bubble.textContent === 'answer 11')!
        .getBoundingClientRect().top;
    const before = reading();
    earlier.click();
    await until(() => bubbles(element).length === 61, 'the earlier messages');
    await element.updateComplete;
    expect(
      bubbles(element)
        .map((bubble) => bubble.textContent)
        .slice(0, 3),
    ).to.deep.equal(['question 0', 'answer 1', 'answer 2']);
    // What the visitor was reading stays where it was; the button is gone, focus stays in the log.
    await until(() => Math.abs(reading() - before) < 2, 'the message read still in place');
    expect($(element, 'button.earlier')).to.equal(null);
    expect(shadow(element).activeElement).to.equal(log);
  });

  it('leaves a visitor who scrolled up where they read when a message comes, and follows the conversation at the end', async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'question');
    await until(() => bubbles(element).length === 1, 'the sent message');
    const conversationId = element.chat.conversation!.id;
    for (let n = 1; n <= 30; n += 1) await support.send(conversationId, `line ${n}`);
    await until(() => bubbles(element).length === 31, 'every line');
    await element.updateComplete;
    const log = $(element, '.log')!;
    const fromEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight;
    await until(() => fromEnd() < 2, 'the log at its end');

    // The list is sorted once per change, not at each of a render's reads.
    const listed = element.chat.messages;
    expect(element.chat.messages).to.equal(listed);
    log.scrollTop = 0;
    await support.send(conversationId, 'while reading above');
    await until(() => bubbles(element).some((bubble) => bubble.textContent === 'while reading above'), 'the new message');
    await element.updateComplete;
    await new Promise((resolve) => requestAnimationFrame(resolve));
    expect(log.scrollTop).to.equal(0, 'still where the visitor reads');
    expect(element.chat.messages).to.not.equal(listed);
    expect(element.chat.messages.at(-1)?.text).to.equal('while reading above');

    log.scrollTop = log.scrollHeight;
    await support.send(conversationId, 'at the end');
    await until(() => bubbles(element).some((bubble) => bubble.textContent === 'at the end'), 'the next message');
    await until(() => fromEnd() < 2, 'the log following the conversation');

    // What the visitor sends shows, even from above, and the log goes on following the answers.
    log.scrollTop = 0;
    await type(element, 'my own words');
    await until(() => bubbles(element).some((bubble) => bubble.textContent === 'my own words'), 'the own message');
    await until(() => fromEnd() < 2, 'the log at the own message');
    await support.send(conversationId, 'after your words');
    await until(() => bubbles(element).some((bubble) => bubble.textContent === 'after your words'), 'the answer');
    await element.updateComplete;
    await until(() => fromEnd() < 2, 'the log still following');

    // A reload with the panel open (a new element, the same visitor): it opens at the newest line.
    element.remove();
    sessionStorage.setItem(`switchboard:${info.siteKey}:open`, '1');
    const reloaded = await widget();
    await until(() => reloaded.open && bubbles(reloaded).some((bubble) => bubble.textContent === 'after your words'), 'the history after the reload');
    const again = $(reloaded, '.log')!;
    await until(() => again.scrollHeight > again.clientHeight && again.scrollHeight - again.scrollTop - again.clientHeight < 2, 'the reloaded log at its end');
  });

  it('moves focus into the panel when a page button opens it, and gives it back on Escape', async () => {
    const element = await widget();
    await online(element);
    const button = document.createElement('button');
    button.textContent = 'Ask us in the chat';
    document.body.append(button);
    try {
      button.focus();
      // What a page's button does: the JS API's open() is the element's show().
      element.show();
      await until(() => shadow(element).activeElement?.matches('textarea.input, input') === true, 'focus in the panel');
      shadow(element).activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
      await until(() => !element.open && document.activeElement === button, 'focus back on the button');
    } finally {
      button.remove();
    }
  });

  it('shows an offline banner, keeps the composer with what is typed and its focus, and flushes queued sends on reconnect', async () => {
    const support = await agent();
    const atAgent: Message[] = [];
    support.on('message', (m) => atAgent.push(m));
    const element = await openWidget();
    await type(element, 'first');
    // A fresh agent client also replays its earlier conversations: look at this visitor's only.
    const fromVisitor = () => atAgent.filter((m) => m.from === element.chat.session?.self);
    await until(() => fromVisitor().length === 1, 'the first message');
    await until(() => bubbles(element).length === 1 && !$(element, '[data-pending]'), 'the first message acknowledged');
    const client = element.chat.client!;
    const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
    input.focus();
    input.value = 'half a';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    client.disconnect();
    await until(() => $(element, '.banner'), 'the offline banner');
    // A message sent now waits in the SDK's outbox: the banner says so, and the composer stays as it was.
    expect($(element, '.banner')!.textContent).to.equal('You are offline. Messages will be sent when the connection is back.');
    expect(input.disabled).to.equal(false);
    expect(input.value).to.equal('half a');
    expect(shadow(element).activeElement).to.equal(input);
    await expect(element).to.be.accessible();
    void client.send(element.chat.conversation!.id, 'queued while offline').catch(() => undefined);
    await element.updateComplete;
    expect($(element, '[data-pending]')?.textContent).to.equal('queued while offline');
    await type(element, 'half a sentence, sent offline');
    const pendingTexts = () => [...shadow(element).querySelectorAll('[data-pending]')].map((bubble) => bubble.textContent);
    expect(pendingTexts()).to.deep.equal(['queued while offline', 'half a sentence, sent offline']);
    client.connect();
    await until(() => fromVisitor().some((m) => m.text === 'half a sentence, sent offline'), 'the queued messages at the agent');
    await until(() => !$(element, '[data-pending]') && !$(element, '.banner'), 'the pending bubbles to settle');
    expect(fromVisitor().map((m) => m.text)).to.deep.equal(['first', 'queued while offline', 'half a sentence, sent offline']);
  });

  it('shows the sends a reload kept while the bridge cannot be reached, queues what comes next after them, and sends all once it can', async () => {
    const { received: atAgent } = await agentReceiving();
    const first = await openWidget();
    await type(first, 'first');
    await until(() => bubbles(first).length === 1 && !$(first, '[data-pending]'), 'the first message acknowledged');
    const self = first.chat.session!.self;
    await sendOffline(first, 'queued before the reload');
    first.remove();

    // The page again, with the bridge out of reach: the queued send is there, and the next one waits after it.
    const unreachable = await widget('', { url: 'http://127.0.0.1:9', siteKey: info.siteKey });
    unreachable.open = true;
    await unreachable.updateComplete;
    await until(() => $(unreachable, '[data-pending]'), 'the kept send shown');
    const pendingTexts = (element: SwitchboardChat) => [...shadow(element).querySelectorAll('[data-pending]')].map((bubble) => bubble.textContent);
    expect(pendingTexts(unreachable)).to.deep.equal(['queued before the reload']);
    // What was said shows too, as this tab kept it: the visitor's own message on their side.
    expect(bubbles(unreachable).map((bubble) => [bubble.textContent.includes('first'), bubble.classList.contains('mine')])).to.deep.equal([[true, true]]);
    expect($(unreachable, '.banner')!.textContent).to.equal('You are offline. Messages will be sent when the connection is back.');
    await type(unreachable, 'written after the reload');
    await until(() => pendingTexts(unreachable).length === 2, 'the second send queued');
    expect(pendingTexts(unreachable)).to.deep.equal(['queued before the reload', 'written after the reload']);
    await expect(unreachable).to.be.accessible();
    unreachable.remove();
    // Another team's widget on the site keeps to its own conversation: none, so nothing of these.
    const otherTeam = await widget('team=sales', { url: 'http://127.0.0.1:9', siteKey: info.siteKey });
    otherTeam.open = true;
    await otherTeam.updateComplete;
    await until(() => $(otherTeam, '.banner'), "the other team's offline banner");
    expect($(otherTeam, '[data-pending]')).to.equal(null);
    expect($(otherTeam, '.banner')!.textContent).to.equal('You are offline. You can send your message once the connection is back.');
    otherTeam.remove();

    const back = await widget();
    back.open = true;
    await online(back);
    const fromVisitor = () => atAgent.filter((m) => m.from === self);
    await until(() => fromVisitor().length === 3, 'the queued messages at the agent');
    await until(() => !$(back, '[data-pending]') && bubbles(back).length === 3, 'the pending bubbles to settle');
    expect(fromVisitor().map((m) => m.text)).to.deep.equal(['first', 'queued before the reload', 'written after the reload']);
    expect(new Set(fromVisitor().map((m) => m.conversationId)).size).to.equal(1);
  });

  it("shows the conversation as the tab kept it after a reload while the bridge cannot be reached, for the same visitor only, and the bridge's copy once it can", async () => {
    const { support, received: atAgent } = await agentReceiving();
    const first = await openWidget();
    await type(first, 'Is my order shipped?');
    await until(() => atAgent.some((m) => m.text === 'Is my order shipped?'), 'the question at the agent');
    const question = atAgent.find((m) => m.text === 'Is my order shipped?')!;
    await support.send(question.conversationId, 'Yes, this morning.');
    await until(() => bubbles(first).length === 2 && !$(first, '[data-pending]'), 'the answer shown');
    first.remove();

    // The page again, the bridge out of reach: what was said shows, each on its side, and the next message waits in that conversation.
    const unreachable = await widget('', { url: 'http://127.0.0.1:9', siteKey: info.siteKey });
    unreachable.open = true;
    await unreachable.updateComplete;
    await until(() => bubbles(unreachable).length === 2, 'the kept conversation');
    expect(
      bubbles(unreachable).map((bubble) => [
        bubble.textContent.includes('shipped') || bubble.textContent.includes('morning'),
        bubble.classList.contains('mine'),
      ]),
    ).to.deep.equal([
      [true, true],
      [true, false],
    ]);
    expect($(unreachable, '.banner')!.textContent).to.equal('You are offline. Messages will be sent when the connection is back.');
    await type(unreachable, 'Thanks!');
    await until(() => $(unreachable, '[data-pending]')?.textContent === 'Thanks!', 'the message waiting');
    await expect(unreachable).to.be.accessible();
    unreachable.remove();

    // Once the bridge answers, the message goes into that conversation, and the history is the bridge's.
    const back = await widget();
    back.open = true;
    await online(back);
    await until(() => atAgent.some((m) => m.text === 'Thanks!'), 'the queued message at the agent');
    expect(atAgent.find((m) => m.text === 'Thanks!')!.conversationId).to.equal(question.conversationId);
    await until(() => bubbles(back).length === 3 && !$(back, '[data-pending]'), 'the three messages');
    back.remove();

    // Another visitor on this tab (the device's token gone): none of it.
    localStorage.clear();
    const stranger = await widget('', { url: 'http://127.0.0.1:9', siteKey: info.siteKey });
    stranger.open = true;
    await stranger.updateComplete;
    await until(() => $(stranger, '.banner'), 'the offline banner');
    expect(bubbles(stranger)).to.deep.equal([]);
  });

  it('keeps a first message typed while offline, and says it can be sent once the connection is back', async () => {
    await agent(); // someone is there: the composer, not the offline form
    const element = await openWidget();
    const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
    input.focus();
    input.value = 'Hello';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    const client = element.chat.client!;
    client.disconnect();
    await until(() => $(element, '.banner'), 'the offline banner');
    // No conversation yet: opening one needs the bridge, so nothing is promised to go out by itself.
    expect($(element, '.banner')!.textContent).to.equal('You are offline. You can send your message once the connection is back.');
    expect(input.disabled).to.equal(false);
    expect(shadow(element).activeElement).to.equal(input);
    expect($<HTMLButtonElement>(element, 'button.send')!.disabled).to.equal(true);
    input.value = 'Hello there';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    await element.updateComplete;
    expect(input.value).to.equal('Hello there');
    expect(element.chat.conversation).to.equal(null);
    await expect(element).to.be.accessible();
    client.connect();
    await until(() => !$(element, '.banner'), 'the connection back');
    await element.updateComplete;
    expect($<HTMLButtonElement>(element, 'button.send')!.disabled).to.equal(false);
    expect(input.value).to.equal('Hello there');
  });

  it('keeps a first message whose conversation could not be opened in the composer, said not sent', async () => {
    // A team the bridge does not have: the conversation is refused, so the message reaches no outbox.
    const element = await widget('team=no-such-team');
    await until(() => element.chat.state === 'online', 'the widget to connect');
    element.open = true;
    await element.updateComplete;
    // Not said to be online: the bridge has no such team.
    await until(() => $(element, 'header p')?.textContent?.trim() === 'Chat is unavailable', `the header (${$(element, 'header p')?.textContent})`);
    const errors: { code: string }[] = [];
    element.addEventListener('switchboard-error', (event) => errors.push((event as CustomEvent<{ code: string }>).detail));
    await type(element, 'Is anyone there?');
    await until(() => $(element, '[part="send-error"]'), 'the not-sent line');
    expect($(element, '[part="send-error"]')!.getAttribute('role')).to.equal('alert');
    expect($(element, '[part="send-error"]')!.textContent).to.equal('Not sent');
    expect($<HTMLTextAreaElement>(element, 'textarea.input')!.value).to.equal('Is anyone there?');
    // The page is told why.
    expect(errors.map((error) => error.code)).to.include('not_found');
    expect(bubbles(element)).to.have.length(0);
    // Typing again clears it.
    const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
    input.value = 'Is anyone there? Hello?';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    await element.updateComplete;
    expect($(element, '[part="send-error"]')).to.equal(null);
  });

  it('tells the page once why a message found no conversation to go in, not also as it connected', async () => {
    // Listening from the start: a team the bridge does not have is one refusal, however often it shows.
    const element = await widget('team=no-such-team');
    const errors: { code: string }[] = [];
    element.addEventListener('switchboard-error', (event) => errors.push((event as CustomEvent<{ code: string }>).detail));
    await until(() => element.chat.state === 'online', 'the widget to connect');
    element.open = true;
    await element.updateComplete;
    await type(element, 'Anyone?');
    await until(() => $(element, '[part="send-error"]'), 'the not-sent line');
    // One more round trip: whatever the bridge answered before it has arrived.
    await element.chat.client!.listConversations();
    expect(errors.map((error) => error.code)).to.deep.equal(['not_found']);
  });

  it('counts down near the length limit, and past it says by how much, marks the field invalid and turns Send off', async () => {
    await agent(); // someone is there: the composer, not the offline form
    const element = await openWidget();
    const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
    const write = (text: string) => draft(element, text);
    const counter = () => $(element, '.counter')?.textContent?.trim();
    const send = $<HTMLButtonElement>(element, 'button.send')!;
    await write('a'.repeat(LIMITS.maxTextLength - 10));
    expect(counter()).to.equal('10 characters left');
    expect(input.getAttribute('aria-invalid')).to.equal('false');
    expect(send.disabled).to.equal(false);
    await write('a'.repeat(LIMITS.maxTextLength + 25));
    // Never a negative count: the overflow, and what to do about it, tied to the field and the button.
    expect(counter()).to.equal('25 characters over the limit. Shorten the message to send it.');
    expect($(element, '.counter')!.id).to.equal('counter');
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect(input.getAttribute('aria-describedby')).to.equal('counter');
    expect(send.getAttribute('aria-describedby')).to.equal('counter');
    expect(send.disabled).to.equal(true);
    // What was typed stays, and Enter sends nothing.
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    await element.updateComplete;
    expect(input.value).to.have.length(LIMITS.maxTextLength + 25);
    expect(element.chat.conversation).to.equal(null);
    await expect(element).to.be.accessible();
    await write('a'.repeat(LIMITS.maxTextLength));
    expect(counter()).to.equal('0 characters left');
    expect(input.getAttribute('aria-invalid')).to.equal('false');
    expect(send.disabled).to.equal(false);
  });

  it("counts against the bridge's own text limit when its session gives one below the protocol's", async () => {
    await agent();
    const element = await openWidget();
    element.chat.session = { ...element.chat.session!, maxTextLength: 300 };
    element.requestUpdate();
    await element.updateComplete;
    const input = $<HTMLTextAreaElement>(element, 'textarea.input')!;
    const write = (text: string) => draft(element, text);
    const counter = () => $(element, '.counter')?.textContent?.trim();
    expect(counter(), 'nothing typed, nothing counted').to.equal(undefined);
    await write('a'.repeat(290));
    expect(counter()).to.equal('10 characters left');
    await write('a'.repeat(305));
    expect(counter()).to.equal('5 characters over the limit. Shorten the message to send it.');
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect($<HTMLButtonElement>(element, 'button.send')!.disabled).to.equal(true);
  });

  it('renders every payload of an XSS corpus as inert, verbatim text', async () => {
    const corpus = [
      '<script>window.__xss = 1</script>',
      '<img src=x onerror="window.__xss = 2">',
      '<svg onload="window.__xss = 3"><circle r=1 /></svg>',
      '<a href="javascript:window.__xss = 4">click</a>',
      'javascript:window.__xss=5',
      '[x](javascript:window.__xss=6) ![img](data:image/svg+xml,<svg onload=window.__xss=7>)',
      '<iframe srcdoc="<script>parent.__xss=8</script>"></iframe>',
      '"><style>*{display:none}</style><b onmouseover=window.__xss=9>',
      '<div',
      '\u202Egnp.exe',
      '{{constructor.constructor("window.__xss=10")()}}',
      'x'.repeat(10_000),
    ];
    const support = await agent();
    const element = await openWidget();
    await type(element, 'hi');
    await until(() => bubbles(element).length === 1 && !$(element, '[data-pending]'), "the visitor's first message stored");
    const conversationId = element.chat.conversation!.id;
    for (const payload of corpus) await support.send(conversationId, payload);
    await until(() => bubbles(element).length === corpus.length + 1, 'every payload');
    await new Promise((resolve) => requestAnimationFrame(resolve));
    expect((window as unknown as { __xss?: number }).__xss).to.equal(undefined);
    const shown = bubbles(element).slice(1);
    shown.forEach((bubble, i) => {
      expect(bubble.textContent).to.equal(corpus[i]);
    });
    for (const bubble of shown) {
      expect(bubble.querySelector('script, img, svg, iframe, style, b, div')).to.equal(null);
      for (const link of bubble.querySelectorAll('a')) expect(link.protocol).to.match(/^(https?|mailto):$/);
    }
  });

  it("shows an agent's action (/me, as IRC and XMPP clients send it) as one, under the agent's name", async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'hi');
    await until(() => bubbles(element).length === 1 && !$(element, '[data-pending]'), "the visitor's first message stored");
    await support.send(element.chat.conversation!.id, '/me checks the stock');
    // Under the name the site gave the agent, once the bridge told it (the team's before).
    await until(() => bubbles(element)[1]?.textContent === '* Agent checks the stock', `the action (${bubbles(element)[1]?.textContent})`);
    expect(bubbles(element)[1]!.querySelector('em.action')).to.exist;
  });

  it('makes http, https and mailto links clickable and safe', async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'hi');
    await until(() => bubbles(element).length === 1 && !$(element, '[data-pending]'), "the visitor's first message stored");
    await support.send(
      element.chat.conversation!.id,
      'See https://example.com/track?id=1. Or mail help@example.com via mailto:help@example.com, not javascript:alert(1)',
    );
    await until(() => bubbles(element).length === 2, 'the reply');
    const links = [...bubbles(element)[1]!.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).to.deep.equal(['https://example.com/track?id=1', 'mailto:help@example.com']);
    for (const a of links) {
      expect(a.getAttribute('rel')).to.equal('noopener noreferrer');
      expect(a.getAttribute('target')).to.equal('_blank');
    }
  });

  it("shows a link's real host: no bidi control in its text, and isolated from the text around it", async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'hi');
    await until(() => bubbles(element).length === 1 && !$(element, '[data-pending]'), "the visitor's first message stored");
    const conversationId = element.chat.conversation!.id;
    await support.send(conversationId, 'Log in at https://evil.example/\u202Emoc.knab.www//:sptth now');
    await support.send(conversationId, '\u202Ehttps://evil.example/login \u2067x');
    await until(() => bubbles(element).length === 3, 'both replies');
    const controls = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
    for (const bubble of bubbles(element).slice(1)) {
      const link = bubble.querySelector('a')!;
      expect(link.hostname).to.equal('evil.example');
      expect(controls.test(link.textContent)).to.equal(false);
      expect(link.textContent.startsWith('https://evil.example/')).to.equal(true);
      expect(getComputedStyle(link).unicodeBidi).to.equal('isolate');
      expect(getComputedStyle(link).direction).to.equal('ltr');
    }
    // What the visitor reads: the characters after the (removed) override stay in their order, left to right
    const link = bubbles(element)[1]!.querySelector('a')!;
    const node = [...link.childNodes].find((child): child is Text => child.nodeType === Node.TEXT_NODE && (child as Text).data.length > 0)!;
    const left = (index: number) => {
      const range = document.createRange();
      range.setStart(node, index);
      range.setEnd(node, index + 1);
      return range.getBoundingClientRect().left;
    };
    const written = node.data;
    // (letters of one word, so that a line wrap in the bubble cannot change the order)
    for (const word of ['evil', 'moc', 'knab', 'sptth']) {
      const at = written.indexOf(word);
      expect(left(at), word).to.be.below(left(at + word.length - 1));
    }
  });

  it('asks for name and email first when the pre-chat form is required, with accessible errors', async () => {
    const support = await agent();
    const element = await openWidget('prechat=required');
    const form = $<HTMLFormElement>(element, 'form.details')!;
    await expect(element).to.be.accessible();
    const email = form.querySelector<HTMLInputElement>('input[name="email"]')!;
    email.value = 'not-an-email';
    form.requestSubmit();
    await until(() => $(element, '.field-error'), 'the error');
    // The field says it is wrong and why, and takes focus so that it is read with its error.
    expect(email.getAttribute('aria-invalid')).to.equal('true');
    expect(shadow(element).getElementById(email.getAttribute('aria-describedby')!)!.textContent).to.equal('Enter a valid email address.');
    await until(() => shadow(element).activeElement === email, 'focus on the wrong field');
    await expect(element).to.be.accessible();
    form.querySelector<HTMLInputElement>('input[name="name"]')!.value = 'Nadia';
    form.querySelector<HTMLInputElement>('input[name="email"]')!.value = 'nadia@example.com';
    form.requestSubmit();
    await until(() => $(element, 'textarea.input'), 'the composer');
    await type(element, 'after the form');
    await until(() => element.chat.conversation, 'the conversation');
    const party = await support.getParty(element.chat.session!.self);
    expect([party.name, party.email, party.verified]).to.deep.equal(['Nadia', 'nadia@example.com', false]);
    expect(party.pageUrl).to.match(/^http/);
  });

  it('offers an offline form when nobody is available, stored for the team', async () => {
    const element = await widget();
    await online(element);
    await until(() => element.chat.availability?.available === false, 'the team to be away');
    element.open = true;
    await element.updateComplete;
    // This bridge has no email network: nothing promises a reply by email.
    expect(element.chat.session!.repliesByEmail).to.equal(undefined);
    expect($(element, 'header p')!.textContent).to.equal("We'll reply as soon as we can");
    expect($(element, '.log p')!.textContent).to.equal('Nobody is here right now. Leave a message and we will reply here as soon as we can.');
    // Where the bridge mails replies to visitors who left (docs/networks/email.md), the form says so.
    element.chat.session = { ...element.chat.session!, repliesByEmail: true };
    element.requestUpdate();
    await element.updateComplete;
    expect($(element, 'header p')!.textContent).to.equal("We'll reply by email");
    expect($(element, '.log p')!.textContent).to.equal('Nobody is here right now. Leave a message and we will reply by email.');
    element.chat.session = { ...element.chat.session, repliesByEmail: undefined };
    element.requestUpdate();
    await element.updateComplete;
    await expect(element).to.be.accessible();
    const form = $<HTMLFormElement>(element, 'form.details')!;
    // Sent empty: every missing field is flagged at once, and the first takes focus.
    form.requestSubmit();
    await until(() => shadow(element).querySelectorAll('.field-error').length === 2, 'both errors');
    const invalid = [...form.querySelectorAll('[aria-invalid="true"]')].map((field) => field.getAttribute('name'));
    expect(invalid).to.deep.equal(['email', 'message']);
    expect(shadow(element).getElementById(form.querySelector('textarea')!.getAttribute('aria-describedby')!)!.textContent).to.equal(
      'Message: This field is required.',
    );
    await until(() => shadow(element).activeElement === form.querySelector('input[name="email"]'), 'focus on the first missing field');
    await expect(element).to.be.accessible();
    form.querySelector<HTMLInputElement>('input[name="email"]')!.value = 'later@example.com';
    form.querySelector<HTMLTextAreaElement>('textarea[name="message"]')!.value = 'Please call me back';
    form.requestSubmit();
    await until(() => shadow(element).textContent?.includes('Thanks! We will reply here as soon as we can.'), 'the confirmation');
    // Its place in line says nothing while nobody is there: "an agent will be with you shortly" would promise otherwise.
    await until(() => element.chat.queuePosition, 'the place in line');
    await element.updateComplete;
    expect($(element, '.notice.queue')).to.equal(null);
    const support = await agent();
    const conversations = await support.listConversations();
    const mine = conversations.find((c) => c.participants.includes(element.chat.session!.self))!;
    expect(mine.team).to.equal('support');
    const { messages } = await support.history(mine.id);
    expect(messages.map((m) => m.text)).to.deep.equal(['Please call me back']);
  });

  it('speaks Arabic right to left, and French, from the lang attribute', async () => {
    const element = await openWidget('lang=ar');
    const root = $(element, 'div[dir]')!;
    expect(root.getAttribute('dir')).to.equal('rtl');
    expect($(element, 'button.launcher')!.getAttribute('aria-label')).to.equal('أغلق المحادثة');
    await expect(element).to.be.accessible();
    // The panel opens inside the viewport, from the corner the widget is pinned to, in RTL too.
    await Promise.all(
      $(element, '.panel')!
        .getAnimations()
        .map((animation) => animation.finished),
    );
    const panel = $(element, '.panel')!.getBoundingClientRect();
    expect(panel.left).to.be.at.least(0);
    expect(panel.right).to.be.at.most(window.innerWidth);
    expect(Math.round(panel.right)).to.equal(Math.round($(element, 'button.launcher')!.getBoundingClientRect().right));
    element.lang = 'fr-CA';
    await element.updateComplete;
    expect($(element, 'div[dir]')!.getAttribute('dir')).to.equal('ltr');
    // The launcher names itself in French (whichever stage the panel shows, chat or offline form).
    expect($(element, 'button.launcher')!.getAttribute('aria-label')).to.equal('Fermer la discussion');
  });

  it('takes the whole screen on a phone-sized viewport', async () => {
    await setViewport({ width: 390, height: 740 });
    try {
      const element = await widget();
      element.open = true;
      await element.updateComplete;
      await Promise.all(
        $(element, '.panel')!
          .getAnimations()
          .map((animation) => animation.finished),
      );
      const panel = $(element, '.panel')!.getBoundingClientRect();
      expect([Math.round(panel.left), Math.round(panel.top), Math.round(panel.width), Math.round(panel.height)]).to.deep.equal([0, 0, 390, 740]);
      await expect(element).to.be.accessible();
    } finally {
      await setViewport({ width: 1024, height: 768 });
    }
  });

  it('stays accessible in the dark theme and with a custom colour', async () => {
    const element = await openWidget('theme=dark color=#ffcc00');
    expect(element.style.getPropertyValue('--switchboard-on-accent')).to.equal('#000000');
    await expect(element).to.be.accessible();
    // A value that is no colour leaves the default: the launcher never turns transparent.
    element.setAttribute('color', 'notacolor');
    await element.updateComplete;
    expect(element.style.getPropertyValue('--switchboard-accent')).to.equal('');
    const launcher = $(element, 'button.launcher') ?? $(element, 'header')!;
    expect(getComputedStyle(launcher).backgroundColor).to.not.equal('rgba(0, 0, 0, 0)');
  });

  it('says the chat is unavailable when the bridge refuses the page for good, instead of connecting forever', async () => {
    const element = await widget('', { url: info.url, siteKey: info.lockedSiteKey });
    element.open = true;
    await until(() => element.chat.refusal, 'the refusal');
    await element.updateComplete;
    expect($(element, 'header p')?.textContent?.trim()).to.equal('Chat is unavailable');
    expect($(element, '.banner')?.textContent?.trim()).to.equal('Chat is unavailable');
    await expect(element).to.be.accessible();
  });

  it('says the chat is unavailable without a site key, and tells the page why', async () => {
    const errors: { code: string; message: string }[] = [];
    const listener = (event: Event) => errors.push((event as CustomEvent<{ code: string; message: string }>).detail);
    document.addEventListener('switchboard-error', listener);
    try {
      const element = await fixture<SwitchboardChat>(html`<switchboard-chat server=${info.url}></switchboard-chat>`);
      element.open = true;
      await until(() => errors.length > 0, 'the error event');
      expect(errors.map((error) => error.code)).to.deep.equal(['bad_request']);
      expect(errors[0]!.message).to.include('site-key');
      await element.updateComplete;
      expect($(element, 'header p')?.textContent?.trim()).to.equal('Chat is unavailable');
      expect($(element, '.banner')?.textContent?.trim()).to.equal('Chat is unavailable');
      await expect(element).to.be.accessible();
      // Given one later, it connects.
      element.siteKey = info.siteKey;
      await until(() => element.chat.state === 'online', 'the widget to connect');
      await element.updateComplete;
      expect($(element, '.banner')).to.equal(null);
    } finally {
      document.removeEventListener('switchboard-error', listener);
    }
  });

  it('fires switchboard-open and switchboard-close however the panel opens or closes, once per change', async () => {
    const element = await widget();
    const seen: string[] = [];
    element.addEventListener('switchboard-open', () => seen.push('open'));
    element.addEventListener('switchboard-close', () => seen.push('close'));
    for (const change of [() => element.show(), () => element.show(), () => element.toggle(), () => (element.open = true), () => element.hide()]) {
      change();
      await element.updateComplete;
    }
    expect(seen).to.deep.equal(['open', 'close', 'open', 'close']);
  });

  it('keeps a conversation closed while the visitor watches, with its rating, when nobody is there afterwards', async () => {
    const queuer = createClient({ url: info.url, siteKey: info.siteKey, identity: info.queuer, storage: null });
    clients.push(queuer);
    await queuer.ready();
    const element = await openWidget('team=queue rating');
    await type(element, 'Closing time');
    await until(() => element.chat.conversation && element.chat.messages.length === 1, 'the message stored');
    await queuer.closeConversation(element.chat.conversation!.id);
    await until(() => $(element, '.rating'), 'the rating question');
    queuer.disconnect();
    await until(() => element.chat.availability?.available === false, 'nobody of the team there');
    await element.updateComplete;
    expect($(element, '.rating'), 'the rating stays').to.exist;
    expect($(element, 'form.details'), 'no offline form over it').to.equal(null);
  });

  it('shows the closed conversation again after a reload, and the next message reopens it', async () => {
    const support = await agent();
    let element = await openWidget();
    await type(element, 'First visit');
    await until(() => element.chat.conversation && element.chat.messages.length === 1, 'the message stored');
    const id = element.chat.conversation!.id;
    await support.closeConversation(id);
    await until(() => element.chat.conversation?.state === 'closed', 'the conversation closed');
    element.remove();
    element = await openWidget();
    await until(() => element.chat.conversation?.id === id && bubbles(element).length === 1, 'the closed conversation and its history');
    expect([...shadow(element).querySelectorAll('.notice')].map((n) => n.textContent?.trim())).to.include(
      'This conversation was closed. Write to start again.',
    );
    await type(element, 'Back again');
    await until(() => element.chat.conversation?.state === 'open', 'the conversation reopened');
    expect(element.chat.conversation!.id).to.equal(id);
  });

  it('fires switchboard-* events that bubble out of the shadow root, with unread counts', async () => {
    const support = await agent();
    const element = await widget();
    const seen: string[] = [];
    for (const type of ['switchboard-open', 'switchboard-close', 'switchboard-message', 'switchboard-unread']) {
      document.addEventListener(type, (event) => seen.push(`${type}:${JSON.stringify((event as CustomEvent<{ count?: number } | null>).detail?.count ?? '')}`));
    }
    await online(element);
    $<HTMLButtonElement>(element, 'button.launcher')!.click();
    await element.updateComplete;
    await type(element, 'hello');
    await until(() => element.chat.conversation, 'a conversation');
    $<HTMLButtonElement>(element, 'button.launcher')!.click();
    await element.updateComplete;
    await support.send(element.chat.conversation!.id, 'are you still there?');
    await until(() => $(element, '.badge'), 'the unread badge');
    expect($(element, '.badge')!.textContent).to.equal('1');
    // The launcher's name says it too: a screen reader reads the button's label, not the badge.
    expect($(element, 'button.launcher')!.getAttribute('aria-label')).to.equal('Open chat, 1 unread message');
    expect(seen).to.include('switchboard-open:""');
    expect(seen).to.include('switchboard-close:""');
    expect(seen).to.include('switchboard-unread:1');
    expect(seen.some((s) => s.startsWith('switchboard-message'))).to.equal(true);
  });

  it('clears the unread count when another tab of the site read the answers, and never counts back what one read', async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'hello');
    await until(() => element.chat.conversation && bubbles(element).length === 1, 'the message stored');
    const conversationId = element.chat.conversation!.id;
    element.open = false;
    await element.updateComplete;
    const counts: number[] = [];
    element.addEventListener('switchboard-unread', (event) => counts.push((event as CustomEvent<{ count: number }>).detail.count));
    await support.send(conversationId, 'one');
    const last = await support.send(conversationId, 'two');
    await until(() => $(element, '.badge')?.textContent === '2', 'two unread');
    // Another tab read them: it wrote the read position on the device, and this tab hears of it.
    const key = `switchboard:${info.siteKey}:read`;
    const readThere = (seq: number) => {
      localStorage.setItem(key, JSON.stringify({ [conversationId]: seq }));
      window.dispatchEvent(new StorageEvent('storage', { key, storageArea: localStorage }));
    };
    readThere(last.seq);
    await until(() => element.chat.unread === 0, 'the count cleared');
    await element.updateComplete;
    expect($(element, '.badge')).to.equal(null);
    expect(counts.at(-1)).to.equal(0);
    // The other tab read further than this one has seen: this tab reading what it shows moves nothing back.
    readThere(last.seq + 10);
    element.open = true;
    await element.updateComplete;
    expect(element.chat.unread).to.equal(0);
    expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({ [conversationId]: last.seq + 10 });
  });

  it('counts every unread answer after a reload, beyond the page of messages it loads', async () => {
    const support = await agent();
    const first = await openWidget();
    await type(first, 'Are you there?');
    await until(() => first.chat.conversation && bubbles(first).length === 1, 'the message stored');
    const conversationId = first.chat.conversation!.id;
    first.open = false;
    await first.updateComplete;
    // More answers than the 50 a page loads, while the visitor is on the page with the panel closed.
    for (let n = 1; n <= 60; n += 1) await support.send(conversationId, `answer ${n}`);
    await until(() => first.chat.unread === 60, `60 unread before the reload (${first.chat.unread})`);
    first.remove();

    const element = await widget();
    await online(element);
    await until(() => element.chat.messages.length === 50, 'the latest page');
    await until(() => element.chat.unread === 60, `60 unread after the reload (${element.chat.unread})`);
    await element.updateComplete;
    expect($(element, '.badge')!.textContent).to.equal('60');
    expect($(element, 'button.launcher')!.getAttribute('aria-label')).to.equal('Open chat, 60 unread messages');
  });
});

describe('<switchboard-chat> JS API and notifications', () => {
  it('identify() switches to a vouched user, reset() forgets it and starts a new visitor', async () => {
    const element = await widget();
    await online(element);
    const anonymous = element.chat.session!.self;
    expect(anonymous).to.match(/^web:v_/);
    element.identify(info.user);
    await until(() => element.chat.session?.self === 'web:u_user-7' && element.chat.state === 'online', 'the identified session');
    const support = await agent();
    const party = await support.getParty('web:u_user-7');
    expect([party.name, party.verified]).to.deep.equal(['Uma', true]);
    element.reset();
    await until(() => element.chat.state === 'online' && /^web:v_/.test(element.chat.session?.self ?? ''), 'a new anonymous session');
    expect(element.chat.session!.self).to.not.equal(anonymous);
  });

  it('reset() forgets what the visitor sent offline: it goes back to no composer, for no one else to send', async () => {
    await agent(); // someone is there: the composer, not the offline form
    const element = await openWidget();
    await type(element, 'Are you there?');
    await until(() => element.chat.conversation && bubbles(element).length === 1, 'the message stored');
    const errors: { code: string }[] = [];
    element.addEventListener('switchboard-error', (event) => errors.push((event as CustomEvent<{ code: string }>).detail));
    element.chat.client!.disconnect();
    await until(() => $(element, '.banner'), 'the offline banner');
    await type(element, 'my card number, written offline');
    await until(() => $(element, '[data-pending]')?.textContent === 'my card number, written offline', 'the send queued');
    const before = element.chat.session!.self;
    element.reset(); // the site's logout
    await until(() => element.chat.state === 'online' && element.chat.session?.self !== before, 'a new anonymous session');
    await element.updateComplete;
    expect($<HTMLTextAreaElement>(element, 'textarea.input')!.value).to.equal('');
    expect($(element, '[part="send-error"]')).to.equal(null);
    expect(bubbleTexts(element)).to.deep.equal([]);
    expect(errors.map((error) => error.code)).to.deep.equal([]);
  });

  it('goes on with the conversation when the visitor signs in mid-chat: answers reach them, and it is theirs on the next page', async () => {
    const support = await agent();
    const atAgent: Message[] = [];
    support.on('message', (m) => atAgent.push(m));
    const element = await openWidget();
    await type(element, 'Where is my order?');
    await until(() => element.chat.conversation && bubbles(element).length === 1, 'the message stored');
    const conversationId = element.chat.conversation!.id;
    await support.send(conversationId, 'Let me check.');
    await until(() => bubbles(element).length === 2, 'the answer');
    await type(element, 'It is order 48213.');
    await until(() => bubbles(element).length === 3, 'the order number stored');
    const user = await signedInUser(`signs-in-${Date.now()}`);
    element.identify(user);
    await until(() => element.chat.session?.self === `web:u_${user.userId}` && element.chat.state === 'online', 'the signed-in session');
    await element.updateComplete;
    // Nothing looks lost: what the visitor wrote and was told stays, headed as it was.
    const before = ['Where is my order?', 'Let me check.', 'It is order 48213.'];
    expect(bubbleTexts(element)).to.deep.equal(before);
    expect($(element, '.empty')).to.equal(null);
    const heads = (chat: SwitchboardChat) => [...shadow(chat).querySelectorAll('.group-head')].map((head) => head.textContent.split(' · ')[0]!.trim());
    await until(() => heads(element).join() === 'You,Agent,You', `the groups' heads kept (${heads(element).join()})`);
    // The same conversation, now the user's: they go on in it, and the agent's next answer reaches them.
    await until(() => element.chat.conversation?.id === conversationId && element.chat.carriedShown === null, 'the conversation shown as the user');
    await type(element, 'I have signed in.');
    await until(
      () => atAgent.some((m) => m.text === 'I have signed in.' && m.from === `web:u_${user.userId}` && m.conversationId === conversationId),
      'the next message at the agent, from the signed-in user, in the same conversation',
    );
    await support.send(conversationId, 'It ships today.');
    const all = [...before, 'I have signed in.', 'It ships today.'];
    await until(() => bubbleTexts(element).length === 5, `the answer after signing in (${bubbleTexts(element).join(' | ')})`);
    expect(bubbleTexts(element)).to.deep.equal(all);
    // Written before and after signing in, one after the other: one group of the visitor's own.
    await until(() => heads(element).join() === 'You,Agent,You,Agent', `one group of the visitor's own (${heads(element).join()})`);
    expect(element.chat.unread).to.equal(0);

    // The next page, signed in: the conversation shows, their words from before as theirs.
    element.remove();
    const next = await widget();
    next.identify(user);
    next.open = true;
    await until(() => next.chat.conversation?.id === conversationId && bubbleTexts(next).length === 5, 'the conversation on the next page');
    expect(bubbleTexts(next)).to.deep.equal(all);
    expect([...shadow(next).querySelectorAll('.bubble')].map((bubble) => bubble.classList.contains('mine'))).to.deep.equal([true, false, true, true, false]);
    await until(() => heads(next).join() === 'You,Agent,You,Agent', `the groups' heads on the next page (${heads(next).join()})`);
  });

  it('sends as the user, once, what the visitor wrote offline just before signing in', async () => {
    const { support, received: atAgent } = await agentReceiving();
    const element = await openWidget();
    await type(element, 'Hello?');
    await until(() => bubbles(element).length === 1 && !$(element, '[data-pending]'), 'the first message acknowledged');
    const conversationId = element.chat.conversation!.id;
    // Offline, the visitor writes; the page signs them in before the connection is back.
    await sendOffline(element, 'My order is 48213.');
    const user = await signedInUser(`writes-offline-then-signs-in-${Date.now()}`);
    element.identify(user);
    await until(() => element.chat.session?.self === `web:u_${user.userId}` && element.chat.state === 'online', 'the signed-in session');
    await until(() => atAgent.some((m) => m.text === 'My order is 48213.'), 'the message at the agent');
    await until(() => !$(element, '[data-pending]') && bubbleTexts(element).length === 2, `both messages shown (${bubbleTexts(element).join(' | ')})`);
    expect(bubbleTexts(element)).to.deep.equal(['Hello?', 'My order is 48213.']);
    const { messages } = await support.history(conversationId);
    expect(messages.map((m) => [m.text, m.from.startsWith('web:v_') ? 'visitor' : m.from])).to.deep.equal([
      ['Hello?', 'visitor'],
      ['My order is 48213.', `web:u_${user.userId}`],
    ]);
    expect(atAgent.filter((m) => m.text === 'My order is 48213.').length).to.equal(1);
  });

  it("announces on a signed-in visitor's new device only what they have not read on another", async () => {
    const support = await agent();
    const first = await openWidget();
    first.identify(info.user);
    await until(() => first.chat.session?.self === 'web:u_user-7' && first.chat.state === 'online', 'the identified session');
    await type(first, 'Where is my parcel?');
    await until(() => first.chat.conversation, 'a conversation');
    const conversationId = first.chat.conversation!.id;
    const statuses: { id: string; status: string }[] = [];
    support.on('message:status', (status) => statuses.push(status));
    const read = await support.send(conversationId, 'It left the depot yesterday.');
    // Read on the first device (its panel is open): the agent is told.
    await until(() => statuses.some((s) => s.id === read.id && s.status === 'read'), 'the answer read');
    first.remove();
    // One more, while no device of theirs is there.
    await support.send(conversationId, 'It is out for delivery now.');

    // A new device: nothing kept on it.
    localStorage.clear();
    sessionStorage.clear();
    const second = await widget();
    const arrived: string[] = [];
    second.addEventListener('switchboard-message', (event) => arrived.push((event as CustomEvent<{ text: string }>).detail.text));
    second.identify(info.user);
    await until(() => second.chat.messages.some((m) => m.text === 'It is out for delivery now.'), 'the history on the new device');
    await until(() => second.chat.unread === 1, `one unread (${second.chat.unread})`);
    expect(arrived).to.deep.equal(['It is out for delivery now.']);
  });

  it('puts new messages in the tab title while hidden (notify-title), plays a chime (sound), and restores the title', async () => {
    const support = await agent();
    const element = await openWidget('notify-title sound');
    await type(element, 'hello');
    await until(() => element.chat.conversation, 'a conversation');
    element.open = false;
    await element.updateComplete;
    const title = document.title;
    const chimes: number[] = [];
    const RealAudioContext = window.AudioContext;
    window.AudioContext = class extends RealAudioContext {
      override createOscillator() {
        chimes.push(Date.now());
        return super.createOscillator();
      }
    };
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    try {
      await support.send(element.chat.conversation!.id, 'ping');
      await until(() => document.title.startsWith('(1) New message'), 'the title notification');
      expect(chimes.length).to.be.greaterThan(0);
    } finally {
      delete (document as unknown as { visibilityState?: string }).visibilityState;
      window.AudioContext = RealAudioContext;
    }
    document.dispatchEvent(new Event('visibilitychange'));
    expect(document.title).to.equal(title);
  });

  it('does neither by default', async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'hello');
    await until(() => element.chat.conversation, 'a conversation');
    element.open = false;
    await element.updateComplete;
    const title = document.title;
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    try {
      await support.send(element.chat.conversation!.id, 'ping');
      await until(() => element.chat.unread === 1, 'the unread count');
      expect(document.title).to.equal(title);
    } finally {
      delete (document as unknown as { visibilityState?: string }).visibilityState;
    }
  });
});
