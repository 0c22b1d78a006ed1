/**
 * An image attachment's preview in the log: the bridge's thumbnail (file:link `thumbnail`, a WebP
 * at most 320 pixels, docs/protocol.md "Files"), asked for only once the preview comes into view,
 * drawn at most 160 pixels on its longer side in the image's proportions (the space is kept before
 * it loads). It is a button: a click (or Enter) opens the file, as the file's own button does.
 * The link is the bridge's own (its public URL, or the address the console connected to), which
 * the console page's `img-src` allows.
 */
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Attachment } from '@switchboard/sdk';
import { ConsoleElement } from './console-element.js';

/** The longer side of a preview, in CSS pixels. */
const PREVIEW = 160;
/** The preview's size: the image's proportions within PREVIEW (a square when they are not known). */
export function previewSize(file: Pick<Attachment, 'width' | 'height'>): { width: number; height: number } {
  const { width, height } = file;
  if (!width || !height) return { width: PREVIEW, height: PREVIEW };
  const scale = Math.min(1, PREVIEW / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

@customElement('sb-thumbnail')
export class Thumbnail extends ConsoleElement {
  @property({ attribute: false }) file!: Attachment;
  /** The thumbnail's signed link (file:link); the conversation asks the bridge, once per file. */
  @property({ attribute: false }) link: ((fileId: string) => Promise<string>) | undefined;
  /** The label of the button (what opening the file says). */
  @property({ attribute: false }) label = '';
  @state() private src = '';
  @state() private failed = false;
  private observer: IntersectionObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    // Back in the page (a re-render moved it) before it loaded: watch again.
    if (this.hasUpdated && !this.src && !this.failed) this.watch();
  }

  /** The rendered button is what is watched: the element itself is an inline box that may have no area. */
  protected override firstUpdated(): void {
    this.watch();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
  }

  private watch(): void {
    const target = this.querySelector('button');
    if (!target) return;
    this.observer?.disconnect();
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.load();
    });
    this.observer.observe(target);
  }

  private load(): void {
    this.observer?.disconnect();
    this.link?.(this.file.id).then(
      (url) => (this.src = url),
      // No thumbnail (gone, no longer readable): the file is opened by its name.
      () => (this.failed = true),
    );
  }

  protected override render() {
    const { width, height } = previewSize(this.file);
    if (this.failed)
      return html`<button type="button" class="file" data-file=${this.file.id} @click=${() => this.announce('open-file', this.file.id)}>${this.label}</button>`;
    return html`<button
      type="button"
      class="thumbnail"
      aria-label=${this.label}
      data-file=${this.file.id}
      @click=${() => this.announce('open-file', this.file.id)}
    >
      ${this.src ? html`<img src=${this.src} alt="" width=${width} height=${height} loading="lazy" decoding="async" />` : nothing}
      ${this.src ? nothing : html`<span class="thumbnail-space" style="width:${width}px;height:${height}px"></span>`}
    </button>`;
  }
}
