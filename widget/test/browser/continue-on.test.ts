// "Continue on my IM" in the widget, in Chromium: the conversation is a real one on the bridge the
// run started; the bridge's answers to the continuation events (and what it pushes: a stop from
// the IM client, an agent's offer, a message written there) stand in for the bridge's side, with
// the contract's payloads and error texts, so the UI is checked step by step.
import { expect } from '@open-wc/testing';
import { type Continuation, type Message, type Session, SwitchboardError } from '@switchboard/sdk';
import type { SwitchboardChat } from '../../dist/index.js';
import { $, agents, button, freshVisitorEachTest, shadow, submit, text, visitorWithConversation } from './continue-on-page.js';
import { info, until } from './page.js';

type Answer = (payload: Record<string, unknown>) => Record<string, unknown>;

const ADDRESS = 'xmpp:dana@example.org';
const pending = (attemptsLeft: number): Continuation => ({
  conversationId: '',
  address: ADDRESS,
  state: 'pending',
  proof: 'code',
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  attemptsLeft,
});

/** A visitor with an open conversation, on a site that lets visitors continue on `networks`. */
async function visitor(networks?: string[]): Promise<SwitchboardChat> {
  const { element } = await visitorWithConversation(info);
  if (networks) element.chat.session = { ...element.chat.session, continueOn: networks } as Session;
  element.requestUpdate();
  await element.updateComplete;
  return element;
}

/**
 * The bridge's side of continuing: `answers` reply to the client's continuation events (throwing a
 * SwitchboardError refuses one); `push` delivers an event as the bridge's socket would.
 */
function bridgeSide(element: SwitchboardChat, answers: Record<string, Answer>) {
  const client = element.chat.client!;
  const asked: [string, Record<string, unknown>][] = [];
  const original = client.request.bind(client);
  client.request = (async (event: string, payload: Record<string, unknown>) => {
    if (!(event in answers)) return (original as (e: string, p: unknown) => Promise<unknown>)(event, payload);
    asked.push([event, payload]);
    return { ok: true, ...answers[event]!(payload) };
  }) as typeof client.request;
  const socket = (client as unknown as { connection: { socket: { listeners(event: string): ((payload: unknown) => void)[] } } }).connection.socket;
  return {
    asked,
    push(event: string, payload: unknown) {
      for (const listener of socket.listeners(event)) listener(payload);
    },
  };
}

const settled = async (element: SwitchboardChat) => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await element.updateComplete;
};

freshVisitorEachTest(agents);

describe('<switchboard-chat> continue on my IM', () => {
  it('offers nothing where the site enables no network', async () => {
    const element = await visitor();
    expect(element.chat.session?.continueOn).to.equal(undefined);
    expect($(element, '.continue')).to.equal(null);
  });

  it('takes the network, a checked address, then the code, showing the bridge refusals as it words them', async () => {
    const element = await visitor(['xmpp', 'sip', 'mailto']);
    const id = element.chat.conversation!.id;
    let attempts = 5;
    const bridge = bridgeSide(element, {
      'continuation:start': () => ({ continuation: { ...pending((attempts = 5)), conversationId: id } }),
      'continuation:verify': (payload) => {
        if (payload.code === '123456')
          return { continuation: { conversationId: id, address: ADDRESS, state: 'active', proof: 'code', provenAt: new Date().toISOString() } };
        attempts--;
        bridge.push('continuation', { ...pending(attempts), conversationId: id });
        throw new SwitchboardError({ code: 'forbidden', message: `code: wrong code; ${attempts} attempts left` });
      },
    });
    const action = $<HTMLButtonElement>(element, '.continue button')!;
    expect(text(action)).to.equal('Continue on my IM');
    action.click();
    await element.updateComplete;
    await until(() => shadow(element).activeElement === $(element, 'form.continue input'), 'focus in the address field');
    const select = $<HTMLSelectElement>(element, 'form.continue select')!;
    expect([...select.options].map((option) => option.textContent)).to.deep.equal(['XMPP (Jabber)', 'SIP', 'Email']);
    expect(text($(element, '#continue-hint'))).to.equal('For example name@server');
    await expect(element).to.be.accessible();
    select.value = 'sip';
    select.dispatchEvent(new Event('change'));
    await element.updateComplete;
    expect(text($(element, '#continue-hint'))).to.equal('For example user@host');
    select.value = 'xmpp';
    select.dispatchEvent(new Event('change'));
    await element.updateComplete;

    await submit(element, 'dana');
    expect(text($(element, '#continue-error'))).to.equal('Enter an address such as the example.');
    expect($(element, 'form.continue input')!.getAttribute('aria-invalid')).to.equal('true');
    expect(bridge.asked).to.deep.equal([]);

    await submit(element, 'dana@example.org');
    await until(() => text($(element, 'form.continue p')).startsWith('We sent a code'), 'the code step');
    expect(bridge.asked[0]).to.deep.equal(['continuation:start', { conversationId: id, address: ADDRESS }]);
    expect(text($(element, 'form.continue p'))).to.equal('We sent a code to xmpp:dana@example.org. Type it here.');
    expect(text($(element, 'form.continue label'))).to.equal('Code');
    expect(text($(element, '#continue-hint'))).to.match(/^5 attempts left · expires at /);
    await expect(element).to.be.accessible();

    await submit(element, '12345');
    expect(text($(element, '#continue-error'))).to.equal('Enter the 6-digit code.');
    expect(bridge.asked).to.have.length(1);
    await submit(element, '000 000');
    await until(() => text($(element, '#continue-error')) === 'code: wrong code; 4 attempts left', 'the bridge refusal, as it says it');
    expect(bridge.asked[1]).to.deep.equal(['continuation:verify', { conversationId: id, code: '000000' }]);
    expect(text($(element, '#continue-hint'))).to.match(/^4 attempts left/);
    expect($(element, '#continue-error')!.getAttribute('role')).to.equal('alert');

    button(element, 'Send a new code').click();
    await until(() => bridge.asked.length === 3, 'a new code asked for');
    expect(bridge.asked[2]).to.deep.equal(['continuation:start', { conversationId: id, address: ADDRESS }]);
    await until(() => text($(element, '#continue-hint')).startsWith('5 attempts left'), 'the new code');

    await submit(element, '123456');
    await until(() => text($(element, 'div.continue[role="status"] span')) === 'Continuing on xmpp:dana@example.org', 'the active banner');
    expect(text($(element, '.sr-only[aria-live]'))).to.equal('Continuing on xmpp:dana@example.org');
    await expect(element).to.be.accessible();
  });

  it('shows what the visitor wrote from the IM client as theirs, and a stop from there, announced', async () => {
    const element = await visitor(['xmpp']);
    const id = element.chat.conversation!.id;
    const self = element.chat.session!.self;
    const bridge = bridgeSide(element, {});
    bridge.push('continuation', { conversationId: id, address: ADDRESS, state: 'active', proof: 'code', provenAt: new Date().toISOString() });
    await settled(element);
    expect(text($(element, 'div.continue span'))).to.equal('Continuing on xmpp:dana@example.org');

    const last = element.chat.messages.at(-1)!;
    const fromPhone: Message = {
      id: 'from-phone',
      conversationId: id,
      seq: last.seq + 1,
      from: self,
      text: 'from my phone',
      sentAt: new Date().toISOString(),
      sentFrom: ADDRESS,
    };
    bridge.push('message', fromPhone);
    await until(() => shadow(element).querySelectorAll('.bubble.mine').length === 2, 'the message written on XMPP');
    const bubbles = [...shadow(element).querySelectorAll('.bubble.mine')];
    expect(text(bubbles[1])).to.equal('from my phone');
    expect(text(bubbles[1]!.nextElementSibling)).to.match(/ · sent from xmpp:dana@example\.org$/);
    expect(text(bubbles[0]!.nextElementSibling)).to.not.include('sent from');

    bridge.push('continuation', { conversationId: id, address: ADDRESS, state: 'stopped', proof: 'code', reason: 'remote' });
    await settled(element);
    expect($(element, 'div.continue[role="status"]')).to.equal(null);
    expect(text($(element, '.sr-only[aria-live]'))).to.equal('No longer continuing on xmpp:dana@example.org.');
    expect(text($(element, '.continue button'))).to.equal('Continue on my IM');
  });

  it('stops from the widget, and shows a refused start as the bridge says it', async () => {
    const element = await visitor(['xmpp']);
    const id = element.chat.conversation!.id;
    const bridge = bridgeSide(element, {
      'continuation:start': () => {
        throw new SwitchboardError({ code: 'rate_limited', message: 'continuation: too many codes for this conversation; try again in an hour' });
      },
      'continuation:stop': () => ({ continuation: { conversationId: id, address: ADDRESS, state: 'stopped', proof: 'code', reason: 'visitor' } }),
    });
    bridge.push('continuation', { conversationId: id, address: ADDRESS, state: 'active', proof: 'code', provenAt: new Date().toISOString() });
    await settled(element);
    $<HTMLButtonElement>(element, 'div.continue button')!.click();
    await until(() => !$(element, 'div.continue[role="status"]'), 'the banner gone');
    expect(bridge.asked).to.deep.equal([['continuation:stop', { conversationId: id }]]);
    expect(element.chat.continuation?.reason).to.equal('visitor');

    $<HTMLButtonElement>(element, '.continue button')!.click();
    await element.updateComplete;
    await submit(element, 'dana@example.org');
    await until(() => text($(element, '#continue-error')).startsWith('continuation: too many codes'), 'the refusal');
    expect($(element, 'form.continue input')).to.exist;
    // What the visitor typed is kept for "send a new code", until reset() forgets the visitor: the
    // next visitor on this page does not find it in the form.
    const typed = () => (element as unknown as { continueOn: { address: string; network: string } }).continueOn;
    expect([typed().address, typed().network]).to.deep.equal(['dana@example.org', 'xmpp']);
    element.reset();
    expect([typed().address, typed().network]).to.deep.equal(['', '']);
  });

  it("shows an agent's invitation, which opens the form on that network, or goes away with Not now", async () => {
    const element = await visitor(['xmpp', 'sip']);
    const id = element.chat.conversation!.id;
    const bridge = bridgeSide(element, {});
    bridge.push('continuation:offer', { conversationId: id, network: 'sip', from: 'web:a_agent' });
    await settled(element);
    expect(text($(element, '.continue p[role="status"]'))).to.equal('Support invites you to continue this chat on SIP.');
    await expect(element).to.be.accessible();
    const [accept, dismiss] = [...shadow(element).querySelectorAll<HTMLButtonElement>('div.continue button')];
    expect(text(dismiss)).to.equal('Not now');
    accept!.click();
    await element.updateComplete;
    expect($<HTMLSelectElement>(element, 'form.continue select')!.value).to.equal('sip');
    expect(text($(element, '#continue-hint'))).to.equal('For example user@host');

    $<HTMLButtonElement>(element, 'form.continue button.secondary')!.click();
    await element.updateComplete;
    bridge.push('continuation:offer', { conversationId: id, network: 'xmpp', from: 'web:a_agent' });
    await settled(element);
    [...shadow(element).querySelectorAll<HTMLButtonElement>('div.continue button')][1]!.click();
    await element.updateComplete;
    expect($(element, '.continue p[role="status"]')).to.equal(null);
    expect(text($(element, '.continue button'))).to.equal('Continue on my IM');
  });

  it('speaks French', async () => {
    const element = await visitor(['xmpp', 'mailto']);
    element.lang = 'fr';
    await element.updateComplete;
    expect(text($(element, '.continue button'))).to.equal('Continuer sur ma messagerie');
    $<HTMLButtonElement>(element, '.continue button')!.click();
    await element.updateComplete;
    expect([...$<HTMLSelectElement>(element, 'form.continue select')!.options].map((option) => option.textContent)).to.deep.equal(['XMPP (Jabber)', 'E-mail']);
    expect(text($(element, '#continue-hint'))).to.equal('Par exemple nom@serveur');
  });
});
