/**
 * The list of completions under a text field (canned replies, desk commands): a listbox whose
 * options are `<prefix>-<i>` (the field's aria-activedescendant), taken with a click that leaves
 * the focus in the field.
 */
import { type TemplateResult, html } from 'lit';

export function completionList<T>(
  prefix: string,
  label: string,
  items: readonly T[],
  choice: number,
  take: (item: T) => void,
  show: (item: T) => TemplateResult | string,
): TemplateResult {
  return html`<ul class="completions" id="${prefix}-list" role="listbox" aria-label=${label}>
    ${items.map(
      (item, i) =>
        html`<li
          id="${prefix}-${i}"
          role="option"
          aria-selected=${i === choice ? 'true' : 'false'}
          @mousedown=${(e: Event) => {
            e.preventDefault();
            take(item);
          }}
        >
          ${show(item)}
        </li>`,
    )}
  </ul>`;
}
