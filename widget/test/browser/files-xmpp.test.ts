// Files between the widget in Chromium and an XMPP agent on a real Prosody with HTTP File Upload
// (xmpp-files-bridge.mjs; the bridge is Prosody's component): the visitor's images, dropped and
// pasted, reach the agent as their links with out-of-band elements (XEP-0066) giving the very
// bytes attached; the agent's image, uploaded to Prosody (XEP-0363) and linked, is fetched by the
// bridge and shows in the widget as a preview that opens the same bytes.
import { expect } from '@open-wc/testing';
import { chips, dragOver, drop, paste, png, transfer, uploadsDone } from './file-page.js';
import { freshVisitorEachTest, until } from './page.js';
import { bubbles, clients, openWidget, type } from './widget-page.js';
import { jidOf, xmppBridge as bridge } from './xmpp-agent-page.js';

/** A message the XMPP agent received, its out-of-band link fetched by the test's server. */
interface AtAgent {
  id: string;
  body: string;
  oob?: { url: string; desc: string | null; fetched: { status: number; size: number; sha256: string } };
}

/** The messages the agent received from this JID. */
async function atAgent(from: string): Promise<AtAgent[]> {
  return (await (await fetch(`/__xmpp-files/agent/received?from=${encodeURIComponent(from)}`)).json()) as AtAgent[];
}

/** The agent uploads the file to Prosody and sends its link to `to`. */
async function sendFromAgent(to: string, file: File): Promise<void> {
  const query = new URLSearchParams({ to, name: file.name, type: file.type });
  const response = await fetch(`/__xmpp-files/agent/send-file?${query.toString()}`, { method: 'POST', body: file });
  expect(response.status).to.equal(200);
}

/** Waits for a condition that needs the test server's routes; on a timeout, says what `seen` finds. */
async function eventually(check: () => Promise<unknown>, what: string, seen: () => Promise<string>, timeoutMs = 15000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; seen: ${await seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
const sha256 = async (content: Blob) => hex(await crypto.subtle.digest('SHA-256', await content.arrayBuffer()));

freshVisitorEachTest(clients);

describe('<switchboard-chat> files with an XMPP agent on a real Prosody with HTTP File Upload', () => {
  it("sends the dropped and pasted images as links giving their bytes; shows the agent's uploaded image, which opens the same bytes", async () => {
    const element = await openWidget('', bridge);
    await until(() => element.chat.availability?.available, 'the XMPP agent available');
    await element.updateComplete;

    const dropped = await png('dropped.png', 400, 300, '#c026d3');
    const pasted = await png('pasted.png', 120, 90, '#0891b2');
    // The visitor has no conversation yet: the first file opens it (the bridge's calls are counted).
    const client = element.chat.client!;
    const openConversation = client.openConversation.bind(client);
    let opens = 0;
    client.openConversation = (target) => (opens++, openConversation(target));
    const data = transfer(dropped);
    await dragOver(element, data);
    await drop(element, data);
    expect((await paste(element, pasted)).defaultPrevented).to.equal(true);
    expect(chips(element)).to.deep.equal(['dropped.png', 'pasted.png']);
    await until(() => uploadsDone(element), 'both uploads');
    // Attached at once, both went into the one conversation the first of them opened.
    expect(opens).to.equal(1);
    expect(client.conversations.map((c) => c.id)).to.deep.equal([element.chat.conversation!.id]);
    await type(element, 'Two screenshots');

    // The words first (the message itself), then each file as its link alone with an out-of-band element naming it.
    const jid = jidOf(element);
    await until(() => element.chat.messages.some((m) => m.text === 'Two screenshots'), 'the message stored');
    const { id } = element.chat.messages.find((m) => m.text === 'Two screenshots')!;
    const sent = async () => (await atAgent(jid)).filter((m) => [id, `${id}-2`, `${id}-3`].includes(m.id));
    await eventually(
      async () => (await sent()).length === 3,
      'the three messages at the XMPP agent',
      async () => JSON.stringify(await atAgent(jid)),
    );
    const [words, ...files] = await sent();
    expect(words!.body).to.equal('Two screenshots');
    expect(words!.oob).to.equal(undefined);
    expect(files.map(({ body, oob }) => ({ linkAlone: body === oob?.url, desc: oob?.desc, fetched: oob?.fetched }))).to.deep.equal([
      { linkAlone: true, desc: 'dropped.png', fetched: { status: 200, size: dropped.size, sha256: await sha256(dropped) } },
      { linkAlone: true, desc: 'pasted.png', fetched: { status: 200, size: pasted.size, sha256: await sha256(pasted) } },
    ]);

    // The agent answers with an image uploaded to Prosody: the bridge fetches it, the widget previews it.
    const answer = await png('answer.png', 640, 480, '#16a34a');
    await sendFromAgent(jid, answer);
    await until(() => bubbles(element).length === 2, "the agent's file in the widget");
    const fromAgent = element.chat.messages.at(-1)!;
    expect(fromAgent.from).to.equal(bridge.agent);
    expect(fromAgent.text).to.equal('', 'the link alone was the file');
    expect(fromAgent.attachments?.map(({ name, type, size, sha256: hash }) => ({ name, type, size, sha256: hash }))).to.deep.equal([
      { name: 'answer.png', type: 'image/png', size: answer.size, sha256: await sha256(answer) },
    ]);
    const bubble = bubbles(element)[1]!;
    const preview = () => bubble.querySelector<HTMLImageElement>('.file-image img');
    await until(() => preview()?.complete && preview()!.naturalWidth > 0, 'the preview loaded from the bridge');
    expect(preview()!.alt).to.equal('answer.png');
    expect(bubble.querySelector('.file-image')!.getAttribute('aria-label')).to.match(/^Open image answer\.png \(.+\)$/);
    await until(() => [...bubbles(element)[0]!.querySelectorAll('img')].every((img) => img.naturalWidth > 0), "the visitor's previews");
    await expect(element).to.be.accessible();

    // Opening it (a real link to a new tab): the bytes the agent uploaded.
    const link = bubble.querySelector<HTMLAnchorElement>('a.file-image')!;
    await until(() => link.href.includes('/v1/files/'), 'the link to the original');
    expect([link.target, link.rel]).to.deep.equal(['_blank', 'noopener noreferrer']);
    const original = await fetch(link.href);
    expect(original.status).to.equal(200);
    expect(new Uint8Array(await original.arrayBuffer())).to.deep.equal(new Uint8Array(await answer.arrayBuffer()));
  });
});
