import { css } from 'lit';

/** The dark theme's tokens: chosen by `theme="dark"`, or by the system unless `theme="light"`. */
const dark = css`
  --sb-accent: var(--switchboard-accent, #93c5fd);
  --sb-on-accent: var(--switchboard-on-accent, #0b1220);
  --sb-bg: var(--switchboard-background, #111827);
  --sb-fg: var(--switchboard-foreground, #f9fafb);
  --sb-muted: var(--switchboard-muted, #d1d5db);
  --sb-theirs: var(--switchboard-bubble, #1f2937);
  --sb-border: var(--switchboard-border, #4b5563);
  --sb-danger: var(--switchboard-danger, #fca5a5);
`;

/**
 * Everything a host page may change is a `--switchboard-*` custom property or a `::part`;
 * nothing else leaks in or out (shadow DOM). Colours meet WCAG AA contrast in both themes.
 */
export const styles = css`
  :host {
    --sb-accent: var(--switchboard-accent, #1d4ed8);
    --sb-on-accent: var(--switchboard-on-accent, #ffffff);
    --sb-bg: var(--switchboard-background, #ffffff);
    --sb-fg: var(--switchboard-foreground, #1f2937);
    --sb-muted: var(--switchboard-muted, #4b5563);
    --sb-theirs: var(--switchboard-bubble, #eef2f7);
    --sb-border: var(--switchboard-border, #cbd5e1);
    --sb-danger: var(--switchboard-danger, #b91c1c);
    --sb-radius: var(--switchboard-radius, 16px);
    --sb-font: var(--switchboard-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --sb-offset: var(--switchboard-offset, 20px);
    position: fixed;
    z-index: var(--switchboard-z-index, 2147483000);
    bottom: var(--sb-offset);
    right: var(--sb-offset);
    font-family: var(--sb-font);
    font-size: 15px;
    line-height: 1.4;
    color: var(--sb-fg);
  }
  :host([position='bottom-left']) {
    right: auto;
    left: var(--sb-offset);
  }
  :host([theme='dark']) {
    ${dark}
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${dark}
    }
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  button,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  :focus-visible {
    outline: 3px solid var(--sb-accent);
    outline-offset: 2px;
  }
  .launcher {
    position: relative;
    width: 56px;
    height: 56px;
    border-radius: 50%;
    border: none;
    background: var(--sb-accent);
    color: var(--sb-on-accent);
    cursor: pointer;
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.25);
    display: grid;
    place-items: center;
  }
  .launcher svg {
    width: 28px;
    height: 28px;
    fill: currentColor;
  }
  .badge {
    position: absolute;
    top: -4px;
    inset-inline-end: -4px;
    min-width: 22px;
    height: 22px;
    padding: 0 6px;
    border-radius: 11px;
    background: #b91c1c;
    color: #ffffff;
    font-size: 12px;
    font-weight: 700;
    display: grid;
    place-items: center;
  }
  /* The host is pinned to a physical corner: the panel opens from that side in any writing direction. */
  .panel {
    position: absolute;
    bottom: 72px;
    right: 0;
    width: min(380px, calc(100vw - 2 * var(--sb-offset)));
    height: min(600px, calc(100vh - 120px));
    display: flex;
    flex-direction: column;
    background: var(--sb-bg);
    color: var(--sb-fg);
    border: 1px solid var(--sb-border);
    border-radius: var(--sb-radius);
    box-shadow: 0 12px 48px rgb(0 0 0 / 0.3);
    overflow: hidden;
  }
  :host([position='bottom-left']) .panel {
    right: auto;
    left: 0;
  }
  header {
    display: flex;
    align-items: center;
    gap: 12px;
    padding: 14px 16px;
    background: var(--sb-accent);
    color: var(--sb-on-accent);
  }
  header h2 {
    margin: 0;
    font-size: 16px;
  }
  header p {
    margin: 2px 0 0;
    font-size: 13px;
  }
  header .titles {
    flex: 1;
  }
  .icon-button {
    width: 36px;
    height: 36px;
    border: none;
    border-radius: 50%;
    background: transparent;
    color: inherit;
    cursor: pointer;
    font-size: 22px;
    line-height: 1;
  }
  .banner {
    padding: 8px 16px;
    font-size: 13px;
    background: #fef3c7;
    color: #78350f;
  }
  .log {
    flex: 1;
    overflow-y: auto;
    padding: 16px;
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .empty {
    color: var(--sb-muted);
    text-align: center;
    margin: auto 0;
  }
  .group-head {
    font-size: 12px;
    color: var(--sb-muted);
    margin-top: 10px;
  }
  .group-head.mine {
    text-align: end;
  }
  .bubble {
    max-width: 80%;
    padding: 8px 12px;
    border-radius: 14px;
    background: var(--sb-theirs);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    unicode-bidi: plaintext;
    align-self: flex-start;
  }
  .bubble.mine {
    align-self: flex-end;
    background: var(--sb-accent);
    color: var(--sb-on-accent);
  }
  .bubble a {
    color: inherit;
    text-decoration: underline;
  }
  .status {
    align-self: flex-end;
    font-size: 12px;
    color: var(--sb-muted);
    display: flex;
    gap: 8px;
    align-items: center;
  }
  .bubble .deleted {
    font-style: italic;
  }
  .bubble .edited {
    font-size: 12px;
    font-style: italic;
  }
  .status.failed {
    color: var(--sb-danger);
  }
  .link-button {
    border: none;
    background: none;
    padding: 0;
    text-decoration: underline;
    cursor: pointer;
    color: inherit;
  }
  .earlier {
    display: block;
    margin: 0 auto 8px;
    font-size: 13px;
  }
  .notice {
    font-size: 13px;
    color: var(--sb-muted);
    text-align: center;
    margin: 8px 0;
  }
  .rating {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: 4px;
    margin: 4px 0 8px;
  }
  .rating p {
    flex-basis: 100%;
    text-align: center;
    margin: 0 0 4px;
    font-size: 13px;
  }
  .rating button {
    min-width: 44px;
    min-height: 44px;
    border: 1px solid var(--sb-border);
    border-radius: 8px;
    background: transparent;
    color: inherit;
    cursor: pointer;
  }
  form.rating-comment {
    display: grid;
    gap: 6px;
    margin: 0 0 8px;
    font-size: 13px;
  }
  form.rating-comment textarea {
    padding: 8px 10px;
    border: 1px solid var(--sb-border);
    border-radius: 8px;
    background: var(--sb-bg);
    resize: vertical;
  }
  form.rating-comment button {
    justify-self: end;
    min-height: 44px;
    padding: 0 16px;
    border: 1px solid var(--sb-border);
    border-radius: 8px;
    background: transparent;
    color: inherit;
    cursor: pointer;
  }
  .typing {
    min-height: 20px;
    padding: 0 16px;
    font-size: 13px;
    color: var(--sb-muted);
  }
  form.composer {
    display: flex;
    gap: 8px;
    padding: 12px;
    border-top: 1px solid var(--sb-border);
    align-items: flex-end;
  }
  .composer textarea {
    flex: 1;
    resize: none;
    min-height: 40px;
    max-height: 140px;
    padding: 9px 12px;
    border: 1px solid var(--sb-border);
    border-radius: 12px;
    background: var(--sb-bg);
  }
  .composer textarea:disabled {
    opacity: 0.7;
  }
  .composer textarea[aria-invalid='true'] {
    border: 2px solid var(--sb-danger);
  }
  .send {
    border: none;
    border-radius: 12px;
    padding: 10px 14px;
    background: var(--sb-accent);
    color: var(--sb-on-accent);
    font-weight: 600;
    cursor: pointer;
  }
  .send:disabled {
    cursor: not-allowed;
    opacity: 0.7;
  }
  .counter {
    padding: 0 16px 6px;
    font-size: 12px;
    color: var(--sb-muted);
    text-align: end;
  }
  .counter.over {
    color: var(--sb-danger);
    font-weight: 600;
  }
  .details-stage {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    display: flex;
    flex-direction: column;
  }
  .details-stage .log {
    flex: 1 0 auto;
    overflow: visible;
  }
  form.details {
    padding: 16px;
    display: grid;
    gap: 10px;
    border-top: 1px solid var(--sb-border);
  }
  form.details label {
    display: grid;
    gap: 4px;
    font-size: 14px;
  }
  form.details input,
  form.details select,
  form.details textarea {
    padding: 8px 10px;
    border: 1px solid var(--sb-border);
    border-radius: 8px;
    background: var(--sb-bg);
  }
  form.details .actions {
    display: flex;
    gap: 8px;
    justify-content: flex-end;
  }
  .secondary {
    border: 1px solid var(--sb-border);
    border-radius: 12px;
    padding: 10px 14px;
    background: transparent;
    cursor: pointer;
  }
  div.continue {
    padding: 8px 16px;
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    font-size: 13px;
  }
  .continue p {
    margin: 0;
  }
  div.continue p {
    flex-basis: 100%;
  }
  .hint {
    font-size: 12px;
    color: var(--sb-muted);
  }
  .field-error {
    color: var(--sb-danger);
    font-size: 13px;
  }
  .attach {
    flex: none;
    display: grid;
    place-items: center;
    align-self: center;
  }
  .attach svg,
  .file-chip svg {
    width: 22px;
    height: 22px;
    fill: currentColor;
  }
  .attach:disabled {
    opacity: 0.5;
  }
  ul.chips {
    list-style: none;
    margin: 0;
    padding: 8px 12px 0;
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .chip {
    display: flex;
    align-items: center;
    gap: 6px;
    max-width: 100%;
    padding: 2px 2px 2px 10px;
    border: 1px solid var(--sb-border);
    border-radius: 10px;
    font-size: 13px;
  }
  .chip-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    max-width: 160px;
  }
  .chip .chip-size,
  .chip-status {
    color: var(--sb-muted);
  }
  .chip-remove {
    width: 28px;
    height: 28px;
    font-size: 18px;
  }
  .progress {
    width: 56px;
    height: 6px;
    border-radius: 3px;
    background:
      linear-gradient(var(--sb-accent), var(--sb-accent)) 0 / var(--sb-progress, 0%) 100% no-repeat,
      var(--sb-border);
  }
  .file-errors p {
    margin: 6px 16px 0;
  }
  .files {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    white-space: normal;
  }
  .bubble > .files:not(:first-child) {
    margin-top: 6px;
  }
  .file-image {
    display: block;
    color: inherit;
    max-width: 100%;
    padding: 0;
    border: none;
    border-radius: 8px;
    overflow: hidden;
    background: none;
    cursor: zoom-in;
  }
  .file-image img {
    display: block;
    max-width: 100%;
    max-height: 240px;
    height: auto;
    object-fit: contain;
  }
  .file-placeholder {
    display: block;
    padding: 8px;
    font-size: 13px;
  }
  .file-chip {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    max-width: 100%;
    padding: 6px 10px;
    border: 1px solid currentColor;
    border-radius: 10px;
    background: transparent;
    color: inherit;
    text-decoration: none;
    font-size: 13px;
    cursor: pointer;
  }
  .file-chip svg {
    width: 16px;
    height: 16px;
    flex: none;
  }
  .drop-zone {
    position: absolute;
    inset: 0;
    z-index: 1;
    display: grid;
    place-items: center;
    padding: 24px;
    text-align: center;
    font-weight: 600;
    background: var(--sb-bg);
    border: 3px dashed var(--sb-accent);
    border-radius: var(--sb-radius);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  @media (max-width: 480px) {
    :host([open]) .panel {
      position: fixed;
      inset: 0;
      width: 100vw;
      height: 100vh;
      border-radius: 0;
      border: none;
    }
    :host([open]) .launcher {
      display: none;
    }
  }
  @media (prefers-reduced-motion: no-preference) {
    .panel {
      animation: rise 160ms ease-out;
    }
    @keyframes rise {
      from {
        transform: translateY(8px);
      }
    }
  }
`;
