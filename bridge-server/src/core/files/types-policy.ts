/**
 * Which types of files a site takes (docs/configuration.md, `sites[].files.types`): patterns such as
 * `image/*` (a whole family), `application/vnd.*` (a prefix) or `application/pdf` (exactly one),
 * matched against the type the bridge found in the content.
 */

/** What a site takes when it lists no types: media, documents and archives; no programs. */
export const DEFAULT_FILE_TYPES: readonly string[] = [
  'image/*',
  'audio/*',
  'video/*',
  'text/*',
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-7z-compressed',
  'application/x-tar',
  'application/json',
  'application/rtf',
  'application/msword',
  // Office and OpenDocument documents by name: macro-enabled ones, installers (APK, CAB) and
  // compiled help (CHM) are `application/vnd.*` too, and run code.
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
];

/** A media type, or one ending in `*` (`image/*`, `application/vnd.*`). */
export const TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*\*?)$/;

/** Whether `type` (lowercase, no parameters) matches one of `patterns`. */
export function typeAllowed(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}
