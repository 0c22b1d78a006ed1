/**
 * File names as the bridge keeps and shows them (docs/protocol.md, "Files"): no folders, no
 * control or direction-changing characters (`gpj.exe` shown as `exe.jpg`), at most
 * `LIMITS.maxFileNameLength` code points, cut before the extension; `file` when nothing is left.
 */
import { LIMITS } from '@switchboard/protocol';

/** C0 and C1 controls, DEL, and the bidirectional formatting characters. */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
/** An extension worth keeping when the name is cut: short, letters and digits. */
const EXTENSION = /\.[\p{L}\p{N}]{1,16}$/u;

export function cleanName(raw: string, max: number = LIMITS.maxFileNameLength): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const name = base.replace(UNSAFE, '').trim();
  // `.` and `..` name folders, not the file.
  if (/^\.*$/.test(name)) return 'file';
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
