/**
 * Files the visitor attaches before sending (by the attach button, drag and drop, or a paste):
 * each is uploaded into the conversation at once, shown as a chip with its name, size and upload
 * progress, and removable; the message then goes with the ones uploaded. The bridge's refusals
 * (too large, a type the site does not take, files off) are said as the bridge words them. A file
 * attached while the connection is down, or whose upload the connection cut (a network change, the
 * bridge restarting), waits on its chip and is uploaded once the connection is back.
 */
import { type Attachment, LIMITS, SwitchboardError, readableSize } from '@switchboard/sdk';
import { html, nothing } from 'lit';
import type { ChatController } from './chat-controller.js';
import type { Locale } from './i18n.js';

export interface AttachmentsHost {
  readonly chat: ChatController;
  requestUpdate(): void;
  /** Puts focus back in the message field (a removed chip took it with it). */
  focusComposer(): void;
}

/** One chosen file: waiting for the connection, uploading (with its progress), or uploaded. */
interface Chosen {
  file: File;
  /** 0 to 100 while uploading. */
  percent: number;
  /** Not uploading: the connection is down, or the upload it cut waits to be tried again. */
  waiting: boolean;
  uploaded?: Attachment;
  abort: AbortController;
}

/**
 * Pauses before each new try of an upload the connection cut (`unavailable`): a bridge that
 * restarts refuses uploads while it drains, then is away for a few seconds. The tries start afresh
 * once the connection went away and came back; past the last, the file is said not attached.
 */
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];

/** Resolves after `ms`; rejects as soon as `signal` aborts (the file removed, the chat reset). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
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
      const entry: Chosen = { file, percent: 0, waiting: this.host.chat.state !== 'online', abort: new AbortController() };
      this.chosen.push(entry);
      void this.upload(entry, t);
    }
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
    const { signal } = entry.abort;
    for (let failures = 0; ;) {
      try {
        if (await this.online(signal)) failures = 0; // back after a loss: tries afresh
        entry.waiting = false;
        this.host.requestUpdate();
        const conversation = await chat.ensureConversation();
        entry.uploaded = await chat.client!.uploadFile(conversation.id, entry.file, {
          signal,
          onProgress: (sent, total) => {
            entry.percent = total > 0 ? Math.round((sent / total) * 100) : 0;
            this.host.requestUpdate();
          },
        });
        break;
      } catch (error) {
        // Removed or cleared meanwhile: its refusal belongs to no chip the visitor still sees.
        if (signal.aborted || !this.chosen.includes(entry)) return;
        const cut = error instanceof SwitchboardError && error.code === 'unavailable';
        if (cut && failures < RETRY_DELAYS_MS.length) {
          // The connection (or the bridge) went away under the upload: it starts over, once back.
          Object.assign(entry, { waiting: true, percent: 0 });
          this.host.requestUpdate();
          await pause(RETRY_DELAYS_MS[failures++]!, signal).catch(() => undefined);
          continue;
        }
        this.chosen = this.chosen.filter((other) => other !== entry);
        this.errors.push(t.fileRefused(entry.file.name || 'file', (error as SwitchboardError).message));
        break;
      }
    }
    this.host.requestUpdate();
  }

  /**
   * Resolves once the chat is online: false at once if it is, true once it came back; rejects when
   * `signal` aborts, or with the bridge's refusal when it refused this page for good (it never reconnects).
   */
  private online(signal: AbortSignal): Promise<boolean> {
    const { chat } = this.host;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (chat.refusal) return Promise.reject(chat.refusal);
    const client = chat.client;
    if (!client || client.state === 'online') return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        stopListening.forEach((stop) => stop());
        signal.removeEventListener('abort', onAbort);
        outcome();
      };
      const stopListening = [
        client.on('state', (state) => {
          if (state === 'online') settle(() => resolve(true));
        }),
        // The SDK says `offline` first, then the refusal (which the chat keeps): refused for good, the file waits no more.
        client.on('error', () => {
          if (chat.refusal) settle(() => reject(chat.refusal!));
        }),
      ];
      const onAbort = () => settle(() => reject(signal.reason as Error));
      signal.addEventListener('abort', onAbort);
    });
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
                        : entry.waiting
                          ? html`<span class="chip-status">${this.host.chat.state === 'online' ? t.fileRetrying : t.fileWaiting}</span>`
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
