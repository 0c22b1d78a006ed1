/**
 * The files of a message, from anyone: an image the bridge reads (it gave its width) as a preview
 * from its `thumbnail` link, anything else as a chip with its name and size. Both are real links
 * (`<a target="_blank">`) to the original: a link opened from a click on the page itself is never
 * taken for a popup, which a `window.open` after an awaited round trip is (Safari, iOS). Their
 * signed links (they last an hour) are asked when they show and asked again before they expire:
 * on a later render, and when a pointer or the focus reaches them.
 */
import { type Attachment, type SwitchboardError, readableSize } from '@switchboard/sdk';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { ChatController } from './chat-controller.js';
import type { Locale } from './i18n.js';

export interface FileViewHost {
  readonly chat: ChatController;
  requestUpdate(): void;
}

/** A link is asked again when it has less than this left: one opened now still works. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** A link that failed for a passing reason is asked again no sooner than this. */
const RETRY_AFTER_MS = 15_000;
/** The longer side of the bridge's thumbnails, in pixels. */
const THUMBNAIL_SIDE = 320;

type Variant = 'original' | 'thumbnail';
/** A signed link, or why there is none (no thumbnail for the file: it shows as a chip). */
type Link = { url: string; expires: number } | 'none' | undefined;

export class FileView {
  /** Known links by `variant:fileId`. */
  private readonly links = new Map<string, Exclude<Link, undefined>>();
  /** Links being asked, by the same keys. */
  private readonly asking = new Set<string>();
  /** When a link that failed for a passing reason may be asked again. */
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly host: FileViewHost) {}

  render(files: Attachment[], locale: Locale) {
    return html`<div class="files" part="files">
      ${files.map((file) => (file.width && this.link(file, 'thumbnail') !== 'none' ? this.image(file, locale) : this.chip(file, locale)))}
    </div>`;
  }

  private image(file: Attachment, locale: Locale) {
    const preview = this.link(file, 'thumbnail');
    const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(file.width ?? 1, file.height ?? 1));
    return this.anchor(
      file,
      'file-image',
      locale.t.openFile(file.name, readableSize(file.size, locale.tag)),
      typeof preview === 'object'
        ? html`<img src=${preview.url} alt=${file.name} width=${Math.round((file.width ?? 0) * scale)} height=${Math.round((file.height ?? 0) * scale)} />`
        : html`<span class="file-placeholder">${file.name}</span>`,
    );
  }

  private chip(file: Attachment, locale: Locale) {
    const size = readableSize(file.size, locale.tag);
    return this.anchor(
      file,
      'file-chip',
      locale.t.downloadFile(file.name, size),
      html`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 2h8l6 6v14H6zm7 1.5V9h5.5z" /></svg> <span class="chip-name">${file.name}</span>
        <span class="chip-size">${size}</span>`,
    );
  }

  /**
   * A link to the original in a new tab (a download for the types the bridge serves as
   * attachments). Until its signed link is there it has no href (kept focusable): a click then
   * waits for it rather than opening nothing.
   */
  private anchor(file: Attachment, className: string, label: string, content: unknown) {
    const link = this.link(file, 'original');
    const url = typeof link === 'object' ? link.url : undefined;
    const renew = () => void this.link(file, 'original');
    // Without its href yet, the browser does nothing on Enter (what a link takes): it asks for it, as a click does.
    return html`<a
      class=${className}
      href=${ifDefined(url)}
      tabindex=${ifDefined(url ? undefined : '0')}
      target="_blank"
      rel="noopener noreferrer"
      aria-label=${label}
      @pointerdown=${renew}
      @focus=${renew}
      @click=${(event: Event) => this.opening(event, file)}
      @keydown=${(event: KeyboardEvent) => {
        if (!url && event.key === 'Enter') this.opening(event, file);
      }}
      >${content}</a
    >`;
  }

  /** A click on a link not there yet, or expired (a page left open for hours): asks a new one instead. */
  private opening(event: Event, file: Attachment): void {
    const link = this.links.get(`original:${file.id}`);
    if (typeof link === 'object' && link.expires > Date.now()) return;
    event.preventDefault();
    this.link(file, 'original');
  }

  /** The link as known; asks for a new one when there is none or it expires soon (rendering again once it is there). */
  private link(file: Attachment, variant: Variant): Link {
    const key = `${variant}:${file.id}`;
    const known = this.links.get(key);
    const fresh = known === 'none' || (known !== undefined && known.expires - RENEW_BEFORE_MS > Date.now());
    // After a failure, not before a while: a render loop must never become a request loop.
    const resting = (this.retryAt.get(key) ?? 0) > Date.now();
    const client = this.host.chat.client;
    if (!fresh && !resting && client && this.host.chat.state === 'online' && !this.asking.has(key)) {
      this.asking.add(key);
      client
        .fileLink(file.id, variant === 'thumbnail' ? 'thumbnail' : undefined)
        .then(
          ({ url, expiresAt }) => this.links.set(key, { url, expires: Date.parse(expiresAt) }),
          (error: SwitchboardError) => {
            // No thumbnail for it, or the file is gone (not_found, forbidden): a chip without a
            // link. A retryable failure asks again on a render after a pause.
            if (error.retryable) this.retryAt.set(key, Date.now() + RETRY_AFTER_MS);
            else this.links.set(key, 'none');
          },
        )
        .finally(() => {
          this.asking.delete(key);
          this.host.requestUpdate();
        });
    }
    return known;
  }
}
