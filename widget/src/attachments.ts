/**
 * Files the visitor attaches before sending (by the attach button, drag and drop, or a paste):
 * each is uploaded into the conversation at once, shown as a chip with its name, size and upload
 * progress, and removable; the message then goes with the ones uploaded. The bridge's refusals
 * (too large, a type the site does not take, files off) are said as the bridge words them.
 */
import { type Attachment, LIMITS, type SwitchboardError, readableSize } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import type { ChatController } from './chat-controller.js';
import type { Locale } from './i18n.js';

export interface AttachmentsHost {
  readonly chat: ChatController;
  requestUpdate(): void;
  /** Puts focus back in the message field (a removed chip took it with it). */
  focusComposer(): void;
}

/** One chosen file: uploading (with its progress), or uploaded. */
interface Chosen {
  file: File;
  /** 0 to 100 while uploading. */
  percent: number;
  uploaded?: Attachment;
  abort: AbortController;
}

export class Attachments {
  private chosen: Chosen[] = [];
  /** The latest refusals, as `name: the bridge's message`, until files are chosen again or sent. */
  private errors: string[] = [];

  constructor(private readonly host: AttachmentsHost) {}

  /** Whether a message may go now: no upload still running. */
  get settled(): boolean {
    return this.chosen.every((entry) => entry.uploaded);
  }

  /** The uploaded files, for the message being sent. */
  get ready(): Attachment[] {
    return this.chosen.flatMap((entry) => (entry.uploaded ? [entry.uploaded] : []));
  }

  /** Takes files chosen, dropped or pasted; at most `LIMITS.maxMessageAttachments` wait at once. */
  add(files: Iterable<File>, { t }: Locale): void {
    this.errors = [];
    for (const file of files) {
      if (this.chosen.length >= LIMITS.maxMessageAttachments) {
        this.errors.push(t.tooManyFiles(LIMITS.maxMessageAttachments));
        break;
      }
      const entry: Chosen = { file, percent: 0, abort: new AbortController() };
      this.chosen.push(entry);
      void this.upload(entry, t);
    }
    this.host.requestUpdate();
  }

  /** Files that cannot be taken now (the connection is down): the visitor is told why, nothing waits. */
  refuse(why: string): void {
    this.errors = [why];
    this.host.requestUpdate();
  }

  /**
   * The message went (the chips go, their files are in it), or the chat starts afresh (another
   * visitor, site or team): uploads still running stop, and their outcome is said nowhere.
   */
  clear(): void {
    for (const entry of this.chosen) entry.abort.abort();
    this.chosen = [];
    this.errors = [];
    this.host.requestUpdate();
  }

  private remove(entry: Chosen): void {
    entry.abort.abort();
    this.chosen = this.chosen.filter((other) => other !== entry);
    this.host.requestUpdate();
    this.host.focusComposer();
  }

  private async upload(entry: Chosen, t: Locale['t']): Promise<void> {
    const { chat } = this.host;
    try {
      const conversation = await chat.ensureConversation();
      entry.uploaded = await chat.client!.uploadFile(conversation.id, entry.file, {
        signal: entry.abort.signal,
        onProgress: (sent, total) => {
          entry.percent = total > 0 ? Math.round((sent / total) * 100) : 0;
          this.host.requestUpdate();
        },
      });
    } catch (error) {
      // Removed or cleared meanwhile: its refusal belongs to no chip the visitor still sees.
      if (entry.abort.signal.aborted || !this.chosen.includes(entry)) return;
      this.chosen = this.chosen.filter((other) => other !== entry);
      this.errors.push(t.fileRefused(entry.file.name || 'file', (error as SwitchboardError).message));
    }
    this.host.requestUpdate();
  }

  render(locale: Locale) {
    const { t } = locale;
    return html`${
        this.chosen.length > 0
          ? html`<ul class="chips" aria-label=${t.filesToSend}>
              ${this.chosen.map(
                (entry) =>
                  html`<li class="chip">
                    <span class="chip-name">${entry.file.name || 'file'}</span>
                    <span class="chip-size">${readableSize(entry.file.size, locale.tag)}</span>
                    ${
                      entry.uploaded
                        ? nothing
                        : html`<span
                            class="progress"
                            role="progressbar"
                            aria-label=${t.uploading(entry.file.name || 'file')}
                            aria-valuemin="0"
                            aria-valuemax="100"
                            aria-valuenow=${entry.percent}
                            .style=${/* CSSOM, which a page's CSP allows (a style attribute it may refuse) */ `--sb-progress:${entry.percent}%`}
                          ></span>`
                    }
                    <button
                      type="button"
                      class="icon-button chip-remove"
                      aria-label=${t.removeFile(entry.file.name || 'file')}
                      @click=${() => this.remove(entry)}
                    >
                      ×
                    </button>
                  </li>`,
              )}
            </ul>`
          : nothing
      }
      <div class="field-error file-errors" role="alert">${this.errors.map((error) => html`<p>${error}</p>`)}</div>`;
  }
}
