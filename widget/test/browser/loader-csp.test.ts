// A page whose Content-Security-Policy allows no inline style (`style-src` without 'unsafe-inline'):
// the loader's launcher, the chat and a file's upload progress are styled all the same, and the
// browser reports no violation (constructed style sheets and CSSOM only, no <style> or style="").
import { expect } from '@open-wc/testing';
import { agentOnline, cleanup, embed, placeholderButton, until } from './loader-page.js';

describe('/widget.js on a page that allows no inline style', () => {
  after(cleanup);

  it('paints the launcher, opens the chat and shows an upload with no style refused', async () => {
    // An agent online: the panel shows the composer (with nobody there, the team's offline form).
    await agentOnline();
    const policy = document.createElement('meta');
    policy.httpEquiv = 'Content-Security-Policy';
    policy.content = "style-src 'self'";
    document.head.append(policy);
    const refused: string[] = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      refused.push(`${event.effectiveDirective} at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`),
    );
    // The policy holds: an inline <style> is refused and reported.
    const probe = document.createElement('style');
    probe.textContent = 'body { --probe: 1; }';
    document.head.append(probe);
    await until(() => refused.length === 1, 'the probe style refused');

    const api = await embed({ color: '#ffcc00' });
    const button = placeholderButton()!;
    const box = button.getBoundingClientRect();
    expect([Math.round(box.width), Math.round(box.height)]).to.deep.equal([56, 56]);
    expect(getComputedStyle(button).backgroundColor).to.equal('rgb(255, 204, 0)');

    button.click();
    const element = api.element;
    await until(() => customElements.get('switchboard-chat') && element.open, 'the chat to load and open');
    await until(() => element.chat.state === 'online' && element.chat.availability?.available, 'the chat to connect, the team available');
    await element.updateComplete;
    const panel = element.shadowRoot!.querySelector<HTMLElement>('.panel')!;
    expect(getComputedStyle(panel).position).to.not.equal('static');

    const files = new DataTransfer();
    files.items.add(new File(['x'.repeat(64 * 1024)], 'notes.txt', { type: 'text/plain' }));
    const input = element.shadowRoot!.querySelector<HTMLInputElement>('input.file-input')!;
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
    await until(() => element.shadowRoot!.querySelector('.chip'), 'the file chip');
    await until(() => !element.shadowRoot!.querySelector('.progress'), 'the upload done');
    expect(refused).to.have.length(1, refused.join('\n'));
  });
});
