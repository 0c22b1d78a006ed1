/**
 * The files of a message, from anyone: an image the bridge reads (it gave its width) as a preview
 * from its `thumbnail` link, anything else as a chip with its name and size. Activating either
 * asks a fresh signed link (links last an hour) and opens the original.
 */
import type { Attachment, SwitchboardError } from '@switchboard/sdk';
import { html } from 'lit';
import type { ChatController } from './chat-controller.js';
import { readableSize } from './file-size.js';
import type { Locale } from './i18n.js';

export interface FileViewHost {
  readonly chat: ChatController;
  requestUpdate(): void;
  onError(error: SwitchboardError): void;
}

/** A preview's link is asked again this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** The longer side of the bridge's thumbnails, in pixels. */
const THUMBNAIL_SIDE = 320;

/** A thumbnail's link, or why there is none (the bridge made no thumbnail: the file shows as a chip). */
type Preview = { url: string; expires: number } | 'none' | undefined;

export class FileView {
  private readonly previews = new Map<string, Exclude<Preview, undefined>>();
  /** Files whose thumbnail link is being asked. */
  private readonly asking = new Set<string>();

  constructor(private readonly host: FileViewHost) {}

  render(files: Attachment[], locale: Locale) {
    return html`<div class="files" part="files">
      ${files.map((file) => (file.width && this.preview(file) !== 'none' ? this.image(file, locale) : this.chip(file, locale)))}
    </div>`;
  }

  private image(file: Attachment, { t }: Locale) {
    const preview = this.preview(file);
    const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(file.width ?? 1, file.height ?? 1));
    return html`<button type="button" class="file-image" aria-label=${t.openFile(file.name)} @click=${() => this.open(file)}>
      ${
        typeof preview === 'object'
          ? html`<img src=${preview.url} alt=${file.name} width=${Math.round((file.width ?? 0) * scale)} height=${Math.round((file.height ?? 0) * scale)} />`
          : html`<span class="file-placeholder">${file.name}</span>`
      }
    </button>`;
  }

  private chip(file: Attachment, locale: Locale) {
    const size = readableSize(file.size, locale.tag);
    return html`<button type="button" class="file-chip" aria-label=${locale.t.downloadFile(file.name, size)} @click=${() => this.open(file)}>
      <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 2h8l6 6v14H6zm7 1.5V9h5.5z" /></svg>
      <span class="chip-name">${file.name}</span> <span class="chip-size">${size}</span>
    </button>`;
  }

  /** The thumbnail's link as known; asks for a new one when there is none or it expires soon (rendering again once it is there). */
  private preview(file: Attachment): Preview {
    const known = this.previews.get(file.id);
    const fresh = known === 'none' || (known !== undefined && known.expires - RENEW_BEFORE_MS > Date.now());
    const client = this.host.chat.client;
    if (!fresh && client && this.host.chat.state === 'online' && !this.asking.has(file.id)) {
      this.asking.add(file.id);
      client
        .fileLink(file.id, 'thumbnail')
        .then(
          ({ url, expiresAt }) => this.previews.set(file.id, { url, expires: Date.parse(expiresAt) }),
          // No thumbnail for it (not_found, ...): a chip. A retryable failure asks again on a later render.
          (error: SwitchboardError) => error.retryable || this.previews.set(file.id, 'none'),
        )
        .finally(() => {
          this.asking.delete(file.id);
          this.host.requestUpdate();
        });
    }
    return known;
  }

  /** Opens the original in a new tab (a download for the types the bridge serves as attachments). */
  private async open(file: Attachment): Promise<void> {
    try {
      const { url } = await this.host.chat.client!.fileLink(file.id);
      window.open(url, '_blank', 'noopener,noreferrer');
    } catch (error) {
      this.host.onError(error as SwitchboardError);
    }
  }
}
