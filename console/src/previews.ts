/**
 * Which attachments the log previews: the images the bridge makes thumbnails of, and only those it
 * could read (they have dimensions). One it could not read (a damaged PNG) has no thumbnail, and
 * shows as a file to download (docs/security.md, "Files").
 */
import type { Attachment } from '@switchboard/sdk';

/** The image types the bridge makes thumbnails of. */
const PREVIEWED = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const hasThumbnail = (file: Pick<Attachment, 'type' | 'width'>): boolean => PREVIEWED.has(file.type) && file.width !== undefined;
