// Files in the widget, in Chromium against a real bridge (the run's site takes images, plain text
// and PDF up to 256 KiB, web-test-runner.config.mjs): attached by drag and drop and by paste, with
// upload progress, received by the agent as attachments, the agent's files shown (an image preview
// from the bridge, a file to download through a fresh link), and the bridge's refusals.
import { expect } from '@open-wc/testing';
import { type Message, SwitchboardError } from '@switchboard/sdk';
import type { SwitchboardChat } from '../../dist/index.js';
import { freshVisitorEachTest, until } from './page.js';
import { chips, dragOver, drop, paste, png, transfer, uploadsDone } from './file-page.js';
import { $, agent, agentReceiving, bubbles, clients, draft, openWidget, shadow, type } from './widget-page.js';

freshVisitorEachTest(clients);

/** Every progress bar the widget shows while the test runs, as `label: value`. */
function watchProgress(element: SwitchboardChat): { seen: string[]; stop: () => void } {
  const seen: string[] = [];
  const record = () => {
    for (const bar of shadow(element).querySelectorAll('[role="progressbar"]'))
      seen.push(`${bar.getAttribute('aria-label')}: ${bar.getAttribute('aria-valuenow')}`);
  };
  const observer = new MutationObserver(record);
  observer.observe(shadow(element), { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  return { seen, stop: () => observer.disconnect() };
}

const fileErrors = (element: SwitchboardChat) => $(element, '.file-errors')?.textContent ?? '';

/** A file's link as rendered: a real link to a new tab (no popup a blocker could stop), with its signed URL. */
function fileAnchor(anchor: HTMLAnchorElement): { href: string; target: string; rel: string } {
  return { href: anchor.href, target: anchor.target, rel: anchor.rel };
}

describe('<switchboard-chat> files against a real bridge', () => {
  it('attaches images by drag and drop and by paste with progress; the agent gets them and answers with files the widget shows', async () => {
    const support = await agent();
    const atAgent: Message[] = [];
    support.on('message', (m) => atAgent.push(m));
    const element = await openWidget();
    const progress = watchProgress(element);

    // Drag and drop onto the panel: a drop zone says where, the file becomes a chip.
    const dropped = transfer(await png('dropped.png', 400, 300, '#c026d3'));
    await dragOver(element, dropped);
    expect($(element, '.drop-zone')?.textContent).to.equal('Drop files here to attach them');
    await drop(element, dropped);
    expect($(element, '.drop-zone')).to.equal(null);

    // An image pasted into the composer.
    const pasted = await paste(element, await png('pasted.png', 120, 90, '#0891b2'));
    expect(pasted.defaultPrevented).to.equal(true);
    expect(chips(element)).to.deep.equal(['dropped.png', 'pasted.png']);

    await until(() => uploadsDone(element), 'both uploads');
    progress.stop();
    expect(
      progress.seen.some((line) => /^Uploading dropped\.png: \d+$/.test(line)),
      progress.seen.join('; '),
    ).to.equal(true);
    expect(
      progress.seen.some((line) => /^Uploading pasted\.png: \d+$/.test(line)),
      progress.seen.join('; '),
    ).to.equal(true);
    expect($(element, 'ul.chips')!.getAttribute('aria-label')).to.equal('Files to send');
    expect([...shadow(element).querySelectorAll('.chip-remove')].map((b) => b.getAttribute('aria-label'))).to.deep.equal([
      'Remove dropped.png',
      'Remove pasted.png',
    ]);
    await expect(element).to.be.accessible();

    await type(element, 'Two screenshots');
    expect(chips(element)).to.deep.equal([]);
    const fromVisitor = () => atAgent.find((m) => m.from === element.chat.session?.self);
    await until(() => fromVisitor(), 'the message at the agent');
    const received = fromVisitor()!;
    expect(received.text).to.equal('Two screenshots');
    expect(received.attachments?.map(({ name, type, width, height }) => ({ name, type, width, height }))).to.deep.equal([
      { name: 'dropped.png', type: 'image/png', width: 400, height: 300 },
      { name: 'pasted.png', type: 'image/png', width: 120, height: 90 },
    ]);

    // The agent answers with an image and a text file.
    const conversationId = received.conversationId;
    const image = await support.uploadFile(conversationId, await png('answer.png', 640, 480, '#16a34a'));
    const notes = await support.uploadFile(conversationId, new File(['Opening hours: 9 to 5.\n'], 'notes.txt'));
    await support.send(conversationId, 'Here you go', { attachments: [image, notes] });
    await until(() => bubbles(element).length === 2, 'the answer');
    const answer = bubbles(element)[1]!;
    const preview = () => answer.querySelector<HTMLImageElement>('.file-image img');
    await until(() => preview()?.complete && preview()!.naturalWidth > 0, 'the preview loaded from the bridge');
    expect(preview()!.alt).to.equal('answer.png');
    expect(preview()!.naturalWidth).to.be.at.most(320, 'the thumbnail, not the original');
    const chip = answer.querySelector<HTMLAnchorElement>('a.file-chip')!;
    // The name holds the chip's visible text (WCAG 2.5.3, axe's label-content-name-mismatch).
    expect(chip.getAttribute('aria-label')).to.match(/^Download notes\.txt \d+ bytes$/);
    expect(chip.querySelector('.chip-name')!.textContent).to.equal('notes.txt');
    expect(answer.querySelector('a.file-image')!.getAttribute('aria-label')).to.match(/^Open image answer\.png \(.+\)$/);
    // The visitor's own message shows its images too.
    await until(() => [...bubbles(element)[0]!.querySelectorAll('img')].every((img) => img.naturalWidth > 0), "the visitor's previews");
    expect([...bubbles(element)[0]!.querySelectorAll('img')].map((img) => img.alt)).to.deep.equal(['dropped.png', 'pasted.png']);
    await expect(element).to.be.accessible();

    // Each opens from a link fetched ahead: the original image, the text file's bytes.
    const imageLink = answer.querySelector<HTMLAnchorElement>('a.file-image')!;
    await until(() => imageLink.href !== '' && chip.href !== '', 'the links fetched ahead');
    for (const anchor of [imageLink, chip]) expect(fileAnchor(anchor)).to.include({ target: '_blank', rel: 'noopener noreferrer' });
    const original = await fetch(imageLink.href);
    expect(original.status).to.equal(200);
    expect(original.headers.get('content-type')).to.equal('image/png');
    expect(await (await fetch(chip.href)).text()).to.equal('Opening hours: 9 to 5.\n');

    // A link about to expire (links last an hour) is asked again when a pointer or the focus reaches it.
    const client = element.chat.client!;
    const asked: string[] = [];
    const fileLink = client.fileLink.bind(client);
    client.fileLink = (fileId, variant) => {
      asked.push(`${fileId}:${variant ?? 'original'}`);
      return fileLink(fileId, variant);
    };
    const now = Date.now;
    try {
      chip.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true }));
      expect(asked).to.deep.equal([], 'a fresh link is kept');
      Date.now = () => now() + 59 * 60_000;
      chip.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true }));
      imageLink.focus();
      expect(asked).to.deep.equal([`${notes.id}:original`, `${image.id}:original`]);
    } finally {
      Date.now = now;
      delete (client as { fileLink?: unknown }).fileLink;
    }
  });

  it('keeps files pasted or dropped while offline on their chips, waiting, and uploads them once the connection is back', async () => {
    const { received } = await agentReceiving(); // someone is there: the composer, not the offline form
    const element = await openWidget();
    element.chat.client!.disconnect();
    await until(() => $(element, '.banner'), 'the offline banner');
    const pasted = await paste(element, await png('offline.png', 20, 20, '#0891b2'));
    expect(pasted.defaultPrevented, 'the image is not pasted as something else').to.equal(true);
    // Dragged over the panel: taken by the widget (the browser would open the file in the page's
    // place), and dropped on its drop zone.
    const dropped = transfer(await png('dropped.png', 30, 20, '#c026d3'));
    const dragged = new DragEvent('dragover', { dataTransfer: dropped, bubbles: true, composed: true, cancelable: true });
    $(element, '.panel')!.dispatchEvent(dragged);
    await element.updateComplete;
    expect(dragged.defaultPrevented).to.equal(true);
    expect($(element, '.drop-zone')?.textContent).to.equal('Drop files here to attach them');
    await drop(element, dropped);
    expect(chips(element)).to.deep.equal(['offline.png', 'dropped.png']);
    expect([...shadow(element).querySelectorAll('.chip-status')].map((status) => status.textContent)).to.deep.equal([
      'waiting for the connection',
      'waiting for the connection',
    ]);
    expect($(element, '[role="progressbar"]'), 'no upload runs').to.equal(null);
    expect(fileErrors(element)).to.equal('');
    expect($<HTMLButtonElement>(element, 'button.attach')!.disabled, 'the file picker opens offline too').to.equal(false);
    await draft(element, 'Two pictures');
    expect($<HTMLButtonElement>(element, 'button.send')!.disabled, 'Send waits for the files').to.equal(true);
    await expect(element).to.be.accessible();

    element.chat.client!.connect();
    await until(() => uploadsDone(element), 'both uploads once back online');
    expect($(element, '.chip-status')).to.equal(null);
    await type(element, 'Two pictures');
    await until(() => received.some((m) => m.text === 'Two pictures'), 'the message at the agent');
    expect(received.find((m) => m.text === 'Two pictures')!.attachments?.map((file) => file.name)).to.deep.equal(['offline.png', 'dropped.png']);
  });

  it('tries an upload the connection cut again once it is back, the chip waiting meanwhile', async () => {
    const { received } = await agentReceiving();
    const element = await openWidget();
    const client = element.chat.client!;
    const uploadFile = client.uploadFile.bind(client);
    let tries = 0;
    // The first try is cut as a bridge restart cuts it (the request never answered).
    client.uploadFile = (conversationId, file, options) =>
      ++tries === 1
        ? Promise.reject(new SwitchboardError({ code: 'unavailable', message: 'the upload did not reach the bridge' }))
        : uploadFile(conversationId, file, options);
    try {
      await paste(element, await png('cut.png', 20, 20, '#16a34a'));
      // The connection is still up: the chip says the upload is tried again, not that it waits for a connection.
      await until(() => $(element, '.chip-status')?.textContent === 'trying again shortly', 'the chip waiting to try again');
      expect(fileErrors(element)).to.equal('', 'not said refused');
      await until(() => uploadsDone(element), 'the upload tried again');
      expect(tries).to.equal(2);
    } finally {
      delete (client as { uploadFile?: unknown }).uploadFile;
    }
    await type(element, 'Once more');
    await until(() => received.some((m) => m.text === 'Once more'), 'the message at the agent');
    expect(received.find((m) => m.text === 'Once more')!.attachments?.map((file) => file.name)).to.deep.equal(['cut.png']);
  });

  it('says a file waiting for the connection not attached once the bridge refuses the page for good', async () => {
    await agent();
    const element = await openWidget();
    const client = element.chat.client!;
    client.disconnect();
    await until(() => $(element, '.banner'), 'the offline banner');
    await paste(element, await png('waiting.png', 20, 20, '#16a34a'));
    await until(() => $(element, '.chip-status')?.textContent === 'waiting for the connection', 'the chip waiting');
    // The site is gone from the bridge when the page connects again: refused, for good.
    (client as unknown as { options: { siteKey: string } }).options.siteKey = 'no-such-site';
    client.connect();
    await until(() => element.chat.refusal, 'the refusal');
    await until(() => chips(element).length === 0, 'the chip gone');
    expect(fileErrors(element)).to.equal(`Could not attach waiting.png: ${element.chat.refusal!.message}`);
  });

  it('shows a file whose link is not there yet as a link all the same, which Enter asks for', async () => {
    const support = await agent();
    const element = await openWidget();
    await type(element, 'Send me the invoice');
    await until(() => element.chat.conversation, 'a conversation');
    // The bridge is slow to sign links: none comes while the test looks.
    const client = element.chat.client!;
    const asked: string[] = [];
    client.fileLink = (fileId) => {
      asked.push(fileId);
      return new Promise(() => undefined);
    };
    const conversationId = element.chat.conversation!.id;
    const invoice = await support.uploadFile(conversationId, new File(['Invoice 42: 10 EUR\n'], 'invoice.txt'));
    await support.send(conversationId, 'Here it is', { attachments: [invoice] });
    await until(() => bubbles(element).length === 2, 'the answer');
    const chip = bubbles(element)[1]!.querySelector<HTMLAnchorElement>('a.file-chip')!;
    expect(chip.hasAttribute('href')).to.equal(false);
    expect(chip.getAttribute('tabindex')).to.equal('0');
    expect(asked).to.deep.equal([invoice.id], 'asked for as it showed');
    const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true });
    chip.dispatchEvent(enter);
    expect(enter.defaultPrevented).to.equal(true, 'Enter waits for the link rather than doing nothing');
    await expect(element).to.be.accessible();
  });

  it("shows the bridge's refusals: a file too large, a type the site does not take; the attach button opens the file picker", async () => {
    await agent(); // the team is available: the chat, not the offline form
    const element = await openWidget();
    const button = $<HTMLButtonElement>(element, 'button.attach')!;
    expect(button.getAttribute('aria-label')).to.equal('Attach files');
    const picker = $<HTMLInputElement>(element, 'input.file-input')!;
    let picked = false;
    picker.click = () => void (picked = true);
    button.click();
    expect(picked).to.equal(true);

    // What the bridge answers these files, asked directly.
    const conversation = await element.chat.ensureConversation();
    const big = new File([new Uint8Array(300 * 1024).fill(65)], 'big.txt');
    const markup = new File(['<!doctype html><html><body><script>alert(1)</script></body></html>'], 'notes.txt');
    const refusal = async (file: File) => {
      try {
        await element.chat.client!.uploadFile(conversation.id, file);
      } catch (error) {
        return error as SwitchboardError;
      }
      throw new Error(`${file.name} was taken`);
    };
    const tooLarge = await refusal(big);
    const refusedType = await refusal(markup);
    expect(tooLarge).to.be.instanceOf(SwitchboardError);
    expect(tooLarge.code).to.equal('too_large');
    expect(refusedType.code).to.equal('bad_request');
    expect(refusedType.message).to.include('text/html');

    // Chosen in the file picker: no chip stays, the bridge's words are said in the alert region.
    picker.files = transfer(big, markup).files;
    picker.dispatchEvent(new Event('change', { bubbles: true }));
    await until(() => fileErrors(element).includes('notes.txt') && fileErrors(element).includes('big.txt'), 'both refusals');
    expect($(element, '.file-errors')!.getAttribute('role')).to.equal('alert');
    expect(fileErrors(element)).to.include(`Could not attach big.txt: ${tooLarge.message}`);
    expect(fileErrors(element)).to.include(`Could not attach notes.txt: ${refusedType.message}`);
    expect(chips(element)).to.deep.equal([]);
    expect($<HTMLButtonElement>(element, 'button.send')!.disabled).to.equal(true);
    await expect(element).to.be.accessible();

    // A chip removed before sending: gone, and focus back in the message field.
    picker.files = transfer(new File(['a note'], 'note.txt')).files;
    picker.dispatchEvent(new Event('change', { bubbles: true }));
    await until(() => uploadsDone(element), 'the upload');
    expect(fileErrors(element)).to.equal('', 'choosing again clears the refusals');
    $<HTMLButtonElement>(element, '.chip-remove')!.click();
    await until(() => shadow(element).activeElement === $(element, 'textarea.input'), 'focus in the message field');
    expect(chips(element)).to.deep.equal([]);

    // At most ten files wait at once: the eleventh is refused with a clear message.
    picker.files = transfer(...Array.from({ length: 11 }, (_, i) => new File([`note ${i}`], `note-${i}.txt`))).files;
    picker.dispatchEvent(new Event('change', { bubbles: true }));
    await element.updateComplete;
    expect(chips(element)).to.have.length(10);
    expect(fileErrors(element)).to.equal('You can send at most 10 files at once.');
    await until(() => uploadsDone(element), 'the ten uploads');
  });
});
