/**
 * The console's one stylesheet, adopted by the document (constructed, so the bridge's CSP needs
 * no inline style): light and dark themes as custom properties (the system's choice unless the
 * agent picked one: `data-theme` on <html>), and a single column under 700px.
 */
import { css } from 'lit';

/** The dark theme's colours: chosen by the agent, or by the system unless the agent chose light. */
const dark = css`
  color-scheme: dark;
  --bg: #16181c;
  --panel: #1f2228;
  --text: #eceef1;
  --muted: #b2b8c1;
  --line: #3b4048;
  --accent: #8cb4ff;
  --accent-text: #0b1220;
  --mine: #223453;
  --note: #3d3410;
  --note-line: #f2d56b;
  --danger: #ff8a80;
  --focus: #8cb4ff;
`;

const sheet = css`
  :root {
    color-scheme: light;
    --bg: #ffffff;
    --panel: #f4f5f7;
    --text: #1b1d21;
    --muted: #50565f;
    --line: #d3d7dd;
    --accent: #1d5fd1;
    --accent-text: #ffffff;
    --mine: #e3ecfb;
    --note: #fff4c4;
    --note-line: #8a6d00;
    --danger: #b3261e;
    --focus: #1d5fd1;
    font-family: system-ui, sans-serif;
    font-size: 15px;
  }
  :root[data-theme='dark'] {
    ${dark}
  }
  @media (prefers-color-scheme: dark) {
    :root:not([data-theme='light']) {
      ${dark}
    }
  }
  body {
    margin: 0;
    background: var(--bg);
    color: var(--text);
  }
  sb-console {
    display: block;
    min-height: 100vh;
    background: var(--bg);
    color: var(--text);
  }
  sb-console button,
  sb-console input,
  sb-console select,
  sb-console textarea {
    font: inherit;
    color: inherit;
    background: var(--bg);
    border: 1px solid var(--line);
    border-radius: 6px;
    padding: 0.3rem 0.6rem;
  }
  sb-console button {
    cursor: pointer;
  }
  /* A button that does nothing now (Claim on a conversation someone has) reads as such. */
  sb-console button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  sb-console button.primary {
    background: var(--accent);
    color: var(--accent-text);
    border-color: var(--accent);
  }
  sb-console :focus-visible {
    outline: 2px solid var(--focus);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute !important;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .muted {
    color: var(--muted);
  }
  .error {
    color: var(--danger);
  }
  /* A desk command's answer, line by line as the bridge wrote it. */
  .answer {
    white-space: pre-wrap;
    font: inherit;
    max-height: 40vh;
    overflow: auto;
  }
  .topbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem;
    align-items: center;
    padding: 0.5rem 1rem;
    border-bottom: 1px solid var(--line);
    background: var(--panel);
  }
  .topbar h1 {
    font-size: 1.05rem;
    margin: 0 auto 0 0;
  }
  .workspace {
    display: grid;
    grid-template-columns: minmax(260px, 22rem) 1fr minmax(220px, 18rem);
    height: calc(100vh - 3.2rem);
  }
  .workspace > * {
    overflow: auto;
    border-inline-end: 1px solid var(--line);
    min-width: 0;
  }
  sb-inbox,
  sb-customer-panel,
  sb-reports {
    display: block;
    padding: 0.6rem;
  }
  .tabs {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    margin: 0.4rem 0;
  }
  .tabs button[aria-pressed='true'] {
    background: var(--accent);
    color: var(--accent-text);
  }
  .items {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .items button {
    display: grid;
    grid-template-columns: 1fr auto;
    gap: 0.15rem 0.5rem;
    width: 100%;
    text-align: start;
    margin: 0.2rem 0;
    background: var(--panel);
  }
  .items button[aria-current='true'] {
    border-color: var(--accent);
    box-shadow: inset 3px 0 0 var(--accent);
  }
  .items .subject {
    grid-column: 1 / -1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .conversation-head .subject {
    flex-basis: 100%;
    margin: 0;
    font-weight: 600;
  }
  .items .last {
    grid-column: 1 / -1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    color: var(--muted);
  }
  .badge {
    background: var(--accent);
    color: var(--accent-text);
    border-radius: 999px;
    padding: 0 0.45rem;
    font-size: 0.8rem;
    font-weight: 600;
    justify-self: end;
  }
  .workspace > main {
    display: flex;
    flex-direction: column;
  }
  sb-conversation {
    display: flex;
    flex-direction: column;
    flex: 1;
    min-height: 0;
  }
  sb-conversation .back {
    display: none;
  }
  .party {
    display: grid;
    grid-template-columns: max-content minmax(0, 1fr);
    gap: 0.2rem 0.6rem;
  }
  /* Its term is for screen readers only and takes no cell: the value spans the row. */
  .party .verified {
    grid-column: 1 / -1;
  }
  .party dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  /* A dot beside the customer's presence: filled while they are there, hollow once they left. */
  .party .presence::before {
    content: '';
    display: inline-block;
    width: 0.6em;
    height: 0.6em;
    margin-inline-end: 0.4em;
    border-radius: 50%;
    border: 1px solid currentColor;
  }
  .party .presence[data-status='available']::before {
    background: currentColor;
  }
  .party .presence[data-status='away']::before,
  .party .presence[data-status='busy']::before {
    background: linear-gradient(90deg, currentColor 50%, transparent 50%);
  }
  .conversation-head {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    align-items: center;
    padding: 0.5rem 0.8rem;
    border-bottom: 1px solid var(--line);
  }
  form.outreach {
    display: grid;
    gap: 0.3rem;
    margin-bottom: 0.5rem;
  }
  form.invite {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    align-items: center;
    padding: 0.3rem 0.8rem;
    border-bottom: 1px solid var(--line);
  }
  .conversation-head h2 {
    font-size: 1rem;
    margin: 0 auto 0 0;
  }
  sb-message-log {
    display: block;
    flex: 1;
    overflow: auto;
    padding: 0.6rem 0.8rem;
  }
  .entry {
    margin: 0.35rem 0;
    max-width: 75%;
    padding: 0.4rem 0.6rem;
    border-radius: 8px;
    background: var(--panel);
    overflow-wrap: anywhere;
  }
  .entry .text {
    white-space: pre-wrap;
  }
  .entry.mine {
    margin-inline-start: auto;
    background: var(--mine);
  }
  .entry.note {
    margin-inline: auto;
    background: var(--note);
    border: 1px dashed var(--note-line);
  }
  .entry.found {
    outline: 2px solid var(--focus);
  }
  .entry .meta {
    display: block;
    font-size: 0.8rem;
    color: var(--muted);
  }
  .entry .deleted,
  .entry .edited {
    font-size: 0.8rem;
    font-style: italic;
  }
  .attachments,
  sb-composer .files {
    list-style: none;
    margin: 0.2rem 0;
    padding: 0;
  }
  button.thumbnail {
    display: block;
    padding: 2px;
    line-height: 0;
  }
  button.thumbnail img,
  .thumbnail-space {
    display: block;
    max-width: 100%;
    height: auto;
    border-radius: 4px;
  }
  .day {
    text-align: center;
    color: var(--muted);
    font-size: 0.85rem;
    margin: 0.8rem 0;
  }
  .placeholder,
  .closed-note {
    padding: 0 0.8rem;
  }
  .typing-line {
    min-height: 1.3rem;
    padding: 0 0.8rem;
    color: var(--muted);
  }
  sb-composer {
    display: block;
    border-top: 1px solid var(--line);
    padding: 0.5rem 0.8rem;
  }
  sb-composer.note-mode textarea {
    background: var(--note);
  }
  sb-composer textarea {
    width: 100%;
    box-sizing: border-box;
    resize: vertical;
  }
  sb-offer-countdown {
    font-variant-numeric: tabular-nums;
    color: var(--danger);
  }
  .items sb-offer-countdown {
    grid-column: 1 / -1;
  }
  sb-composer .count {
    margin: 0.25rem 0 0;
    color: var(--muted);
    font-size: 0.875em;
  }
  sb-composer .count.over {
    color: var(--danger);
    font-weight: 600;
  }
  .composer-actions {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    justify-content: flex-end;
    margin-top: 0.3rem;
  }
  .completions {
    list-style: none;
    margin: 0 0 0.3rem;
    padding: 0;
    border: 1px solid var(--line);
    border-radius: 6px;
  }
  .completions li {
    padding: 0.25rem 0.5rem;
  }
  .completions li[aria-selected='true'] {
    background: var(--accent);
    color: var(--accent-text);
  }
  dialog {
    background: var(--bg);
    color: var(--text);
    border: 1px solid var(--line);
    border-radius: 8px;
    max-width: min(32rem, 92vw);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.4);
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    border-bottom: 1px solid var(--line);
    padding: 0.3rem 0.4rem;
    text-align: start;
  }
  /* Each key beside what it does, the keys in one column. */
  .shortcut-list > div {
    display: grid;
    grid-template-columns: 4rem 1fr;
    align-items: baseline;
    gap: 0.6rem;
    margin: 0.25rem 0;
  }
  .shortcut-list dd {
    margin: 0;
  }
  kbd {
    border: 1px solid var(--line);
    border-radius: 4px;
    padding: 0 0.3rem;
    font-family: ui-monospace, monospace;
  }
  .sign-in {
    max-width: 24rem;
    margin: 10vh auto;
    padding: 1.5rem;
    border: 1px solid var(--line);
    border-radius: 10px;
    background: var(--panel);
  }
  .sign-in h1 {
    font-size: 1.4rem;
  }
  .sign-in label {
    display: block;
    margin: 0.6rem 0 0.2rem;
  }
  .sign-in input {
    width: 100%;
    box-sizing: border-box;
  }
  .demo {
    margin-top: 1rem;
    padding: 0.6rem;
    border: 2px dashed var(--note-line);
    border-radius: 8px;
  }
  @media (max-width: 699px) {
    .workspace {
      display: block;
      height: auto;
    }
    .workspace > * {
      border: 0;
    }
    .workspace[data-pane='list'] > :not(sb-inbox),
    .workspace[data-pane='conversation'] > sb-inbox {
      display: none;
    }
    sb-conversation {
      min-height: 75vh;
    }
    sb-conversation .back {
      display: inline-block;
    }
    .entry {
      max-width: 90%;
    }
  }
`;

const adopted = new WeakSet<Document>();

/** Adds the stylesheet to a document once. */
export function adoptConsoleStyles(document: Document): void {
  if (adopted.has(document) || !sheet.styleSheet) return;
  adopted.add(document);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet.styleSheet];
}
