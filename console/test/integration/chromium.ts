// Headless Chromium for the tests that load the console (and the demo's pages) from a real bridge.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's Chromium, headless, as these tests run it; `extraArgs` for a page that needs quieter networking. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/** The Content-Security-Policy refusals `page` logs from now on (filled as they come). */
export function cspRefusals(page: Page): string[] {
  const refused: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
  });
  return refused;
}
