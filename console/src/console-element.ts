/**
 * What every console element shares: it renders into its own light DOM, so one document-wide
 * stylesheet (styles.ts) themes the whole console, focus moves freely between parts and axe sees
 * one tree; and it has the locale the shell hands down.
 */
import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import { type Locale, consoleLocale } from './i18n.js';
import { adoptConsoleStyles } from './styles.js';

export class ConsoleElement extends LitElement {
  @property({ attribute: false }) locale: Locale = consoleLocale(document.documentElement.lang);

  protected override createRenderRoot(): HTMLElement {
    adoptConsoleStyles(document);
    return this;
  }

  /** Tells the shell something happened (`open-conversation`, `signed-in`, ...): bubbles to it. */
  protected announce<T>(name: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
  }
}
