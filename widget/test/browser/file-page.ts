/** What the widget's files tests share: images to attach, attaching them as a visitor does, and the links the widget opens. */
import type { SwitchboardChat } from '../../dist/index.js';
import { $, shadow } from './widget-page.js';

/** A PNG drawn on a canvas: `width` x `height`, one colour. */
export async function png(name: string, width: number, height: number, colour: string): Promise<File> {
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d')!;
  context.fillStyle = colour;
  context.fillRect(0, 0, width, height);
  const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
  return new File([blob], name, { type: 'image/png' });
}

export const transfer = (...files: File[]) => {
  const data = new DataTransfer();
  for (const file of files) data.items.add(file);
  return data;
};

/** Drags files over the panel (the widget then shows its drop zone). */
export async function dragOver(element: SwitchboardChat, data: DataTransfer): Promise<void> {
  $(element, '.panel')!.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, composed: true, cancelable: true }));
  await element.updateComplete;
}

/** Drops files on the drop zone shown by dragOver. */
export async function drop(element: SwitchboardChat, data: DataTransfer): Promise<void> {
  $(element, '.drop-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, composed: true, cancelable: true }));
  await element.updateComplete;
}

/** Pastes files into the composer; resolves with the event (the widget cancels it when it takes files). */
export async function paste(element: SwitchboardChat, ...files: File[]): Promise<ClipboardEvent> {
  const event = new ClipboardEvent('paste', { clipboardData: transfer(...files), bubbles: true, composed: true, cancelable: true });
  $<HTMLTextAreaElement>(element, 'textarea.input')!.dispatchEvent(event);
  await element.updateComplete;
  return event;
}

/** The names on the chips of the files waiting to be sent. */
export const chips = (element: SwitchboardChat) =>
  [...shadow(element).querySelectorAll('ul.chips li')].map((li) => li.querySelector('.chip-name')?.textContent);

/** Every chosen file uploaded: the message may go. */
export const uploadsDone = (element: SwitchboardChat) =>
  chips(element).length > 0 && !$(element, '[role="progressbar"]') && !$<HTMLButtonElement>(element, 'button.send')!.disabled;
