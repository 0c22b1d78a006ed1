/**
 * File names as the bridge keeps and shows them (docs/protocol.md, "Files"): no folders, no
 * control or direction-changing characters (`gpj.exe` shown as `exe.jpg`), at most
 * `LIMITS.maxFileNameLength` code points, cut before the extension, no trailing dots; `file` when
 * nothing is left.
 */
import { LIMITS } from '@switchboard/protocol';

/** C0 and C1 controls, DEL, and the bidirectional formatting characters. */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
/** An extension worth keeping when the name is cut: short, letters and digits. */
const EXTENSION = /\.[\p{L}\p{N}]{1,16}$/u;

/**
 * Extensions that name the same type as the one file-type (or the bridge) gives: a name ending in
 * one of these is left as it is. Text has many honest names; none of them runs when opened.
 */
const SAME_TYPE: Record<string, readonly string[]> = {
  jpg: ['jpg', 'jpeg', 'jpe', 'jfif'],
  tif: ['tif', 'tiff'],
  html: ['html', 'htm'],
  txt: ['txt', 'text', 'log', 'md', 'markdown', 'csv', 'tsv', 'json', 'yaml', 'yml', 'ini', 'cfg', 'conf', 'pem', 'diff', 'patch'],
  mp4: ['mp4', 'm4v'],
  m4a: ['m4a', 'm4b'],
  gz: ['gz', 'tgz'],
};

/**
 * The name a file of this type is kept and downloaded under: its own when its extension names the
 * type found in the content, else with that type's extension added (`invoice.pdf.hta` holding
 * text is `invoice.pdf.hta.txt`), so a saved file never opens as something it is not.
 */
export function nameForType(name: string, extension: string): string {
  const own = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  const accepted = SAME_TYPE[extension] ?? [extension];
  if (own !== undefined && accepted.includes(own)) return name;
  return cleanName(`${name}.${extension}`);
}

export function cleanName(raw: string, max: number = LIMITS.maxFileNameLength): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  // Trailing dots go as Windows drops them on saving (`x.txt.` is `x.txt`, not a name without extension).
  const name = base
    .replace(UNSAFE, '')
    .trim()
    .replace(/[.\s]+$/u, '');
  // `.` and `..` name folders, not the file.
  if (name === '') return 'file';
  return cut(name, max);
}

/** The name in at most `max` code points, keeping its extension. */
function cut(name: string, max: number): string {
  const points = [...name];
  if (points.length <= max) return name;
  const extension = EXTENSION.exec(name)?.[0] ?? '';
  const kept = [...extension].length;
  return (
    points
      .slice(0, max - kept)
      .join('')
      .trimEnd() + extension
  );
}
