// "Continue on my IM" end to end in Chromium: the widget against a real bridge whose site lets
// visitors continue on XMPP, and the visitor's own XMPP client on a real Prosody
// (continuation-bridge.mjs): the code reaches that client, the visitor types it in the widget, the
// agent's reply reaches both, the answer from XMPP shows in the widget in order, and the bridge's
// refusals (a wrong code, the attempts used up) show as it words them (an expired code: the
// integration test on a manual clock, bridge-server/test/integration/continue-on-xmpp.test.ts).
import { expect } from '@open-wc/testing';
import type { SwitchboardChat } from '../../dist/index.js';
import { $, agents, button, freshVisitorEachTest, shadow, submit, text, visitorWithConversation } from './continue-on-page.js';
import { type BridgeInfo, until } from './page.js';

interface ContinuationBridge extends Pick<BridgeInfo, 'url' | 'siteKey' | 'agent'> {
  /** A site whose codes expire after 2 s. */
  /** The team's JID, which the code and the agent's replies come from. */
  team: string;
}

const bridge = (await (await fetch('/__continuation')).json()) as ContinuationBridge;

/** Chat messages the user's XMPP client received: sender's bare JID and body. */
async function received(user: string): Promise<{ from: string; body: string }[]> {
  return (await (await fetch(`/__continuation/xmpp/messages?user=${user}`)).json()) as { from: string; body: string }[];
}

/** The user writes to the team's JID from their XMPP client. */
async function writeFromXmpp(user: string, body: string): Promise<void> {
  await fetch(`/__continuation/xmpp/send?user=${user}&text=${encodeURIComponent(body)}`);
}

/** Waits for a condition that needs the bridge's helper routes. */
async function eventually(check: () => Promise<unknown>, what: string, timeoutMs = 15000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The code the user's XMPP client got from the team, waiting for it; the proof message names the site and how to ignore it. */
async function codeAt(user: string, seenBefore: number): Promise<string> {
  let code: string | undefined;
  await eventually(async () => {
    const messages = (await received(user)).slice(seenBefore);
    const proof = messages.find((m) => m.from === bridge.team && /^\d{6} is your code/.test(m.body));
    code = proof?.body.slice(0, 6);
    return proof && proof.body.includes('Browser shop') && proof.body.includes('ignore this message');
  }, `the code at ${user}'s XMPP client`);
  return code!;
}

/** Opens the form, picks XMPP, types the address and asks for a code. */
async function askCode(element: SwitchboardChat, user: string): Promise<number> {
  const before = (await received(user)).length;
  await until(() => element.chat.session?.continueOn?.includes('xmpp'), 'the site to offer XMPP');
  element.requestUpdate();
  await element.updateComplete;
  button(element, 'Continue on my IM').click();
  await element.updateComplete;
  expect($<HTMLSelectElement>(element, 'form.continue select')!.value).to.equal('xmpp');
  await submit(element, `${user}@localhost`);
  await until(() => text($(element, 'form.continue p')).startsWith('We sent a code'), 'the code step');
  return before;
}

const bubbleTexts = (element: SwitchboardChat) => [...shadow(element).querySelectorAll('.bubble:not([data-pending])')].map((b) => text(b));

freshVisitorEachTest(agents);

describe('<switchboard-chat> continue on my IM, on XMPP against a real bridge and Prosody', () => {
  it('proves the address with the code sent there; then the agent reaches both, the answer from XMPP shows in order; Stop ends it', async () => {
    const { element, agent } = await visitorWithConversation(bridge);
    const id = element.chat.conversation!.id;
    const seen = await askCode(element, 'dana');
    expect(text($(element, 'form.continue p'))).to.equal('We sent a code to xmpp:dana@localhost. Type it here.');
    expect(text($(element, '#continue-hint'))).to.match(/^3 attempts left · expires at /);
    const code = await codeAt('dana', seen);
    // Nothing but the code was sent to the address while it was not proven.
    expect((await received('dana')).slice(seen)).to.have.length(1);

    await submit(element, code === '000000' ? '111111' : '000000');
    await until(() => text($(element, '#continue-error')) === 'code: wrong code; 2 attempts left', 'the wrong code refused');
    await submit(element, code);
    await until(() => text($(element, 'div.continue[role="status"] span')) === 'Continuing on xmpp:dana@localhost', 'the active banner');

    await agent.send(id, 'Reply to both');
    await until(() => bubbleTexts(element).includes('Reply to both'), 'the reply in the widget');
    await eventually(async () => (await received('dana')).some((m) => m.from === bridge.team && m.body === 'Reply to both'), 'the reply at the XMPP client');
    await writeFromXmpp('dana', 'Answer from XMPP');
    await until(() => bubbleTexts(element).includes('Answer from XMPP'), 'the answer from XMPP in the widget');
    expect(bubbleTexts(element).slice(-2)).to.deep.equal(['Reply to both', 'Answer from XMPP']);
    const answer = [...shadow(element).querySelectorAll('.bubble.mine')].at(-1)!;
    expect(text(answer)).to.equal('Answer from XMPP');
    expect(text(answer.nextElementSibling)).to.match(/sent from xmpp:dana@localhost$/);

    button(element, 'Stop').click();
    await until(() => !$(element, 'div.continue[role="status"]'), 'the banner gone');
    expect(text($(element, '.sr-only[aria-live]'))).to.equal('No longer continuing on xmpp:dana@localhost.');
    const atStop = (await received('dana')).length;
    await agent.send(id, 'Only in the widget');
    await until(() => bubbleTexts(element).includes('Only in the widget'), 'the reply after stopping');
    // Continuing again: the agent's next reply goes to the address through the conversation's
    // queue, after anything queued for it before; once it is there, nothing else came.
    await submit(element, await codeAt('dana', await askCode(element, 'dana')));
    await until(() => text($(element, 'div.continue[role="status"] span')) === 'Continuing on xmpp:dana@localhost', 'the banner again');
    await agent.send(id, 'Back on XMPP');
    await eventually(async () => (await received('dana')).some((m) => m.body === 'Back on XMPP'), 'the next reply at the XMPP client');
    expect((await received('dana')).slice(atStop).map((m) => m.body)).to.not.include('Only in the widget');
  });

  it('stops when the attempts are used up, saying so as the bridge does', async () => {
    const { element } = await visitorWithConversation(bridge);
    const seen = await askCode(element, 'erin');
    const code = await codeAt('erin', seen);
    const wrong = code === '000000' ? '111111' : '000000';
    await submit(element, wrong);
    await until(() => text($(element, '#continue-error')) === 'code: wrong code; 2 attempts left', 'the first refusal');
    await submit(element, wrong);
    await until(() => /^code: wrong code; 1 attempts? left$/.test(text($(element, '#continue-error'))), 'the second refusal');
    await submit(element, wrong);
    await until(() => text($(element, '#continue-error')) === 'code: too many wrong codes; ask for a new code', 'the last refusal');
    expect(element.chat.continuation?.state).to.equal('stopped');
    expect(element.chat.continuation?.reason).to.equal('attempts');
    expect(text(button(element, 'Continue on my IM'))).to.equal('Continue on my IM');
  });

  it('updates the widget when the visitor sends /stop from the IM client', async () => {
    const { element } = await visitorWithConversation(bridge);
    const seen = await askCode(element, 'dana');
    await submit(element, await codeAt('dana', seen));
    await until(() => $(element, 'div.continue[role="status"]'), 'the active banner');
    await writeFromXmpp('dana', '/stop');
    await until(() => !$(element, 'div.continue[role="status"]'), 'the banner gone');
    expect(element.chat.continuation?.reason).to.equal('remote');
    expect(text($(element, '.sr-only[aria-live]'))).to.equal('No longer continuing on xmpp:dana@localhost.');
  });

  it("shows an agent's invitation, which opens the form on XMPP", async () => {
    const { element, agent } = await visitorWithConversation(bridge);
    await until(() => element.chat.session?.continueOn?.includes('xmpp'), 'the site to offer XMPP');
    const offer = await agent.inviteToContinue(element.chat.conversation!.id, 'xmpp');
    expect(offer.network).to.equal('xmpp');
    await until(() => text($(element, '.continue p[role="status"]')) === 'Support invites you to continue this chat on XMPP (Jabber).', 'the invitation');
    await expect(element).to.be.accessible();
    button(element, 'Continue on my IM').click();
    await element.updateComplete;
    expect($<HTMLSelectElement>(element, 'form.continue select')!.value).to.equal('xmpp');
  });
});
