/**
 * What the bridge reads of images (PNG, JPEG, GIF, WebP): their size in pixels and a small WebP
 * preview (at most 320 pixels on the longer side). Decoding is bounded (`limitInputPixels`): an
 * image claiming billions of pixels is not decoded. An image that cannot be read is still a file,
 * only without dimensions or preview.
 */
import type { Sharp, SharpOptions } from 'sharp';

/** sharp (a native library) is loaded when the first image comes, not at start-up. */
async function decode(input: string | Buffer, options: SharpOptions): Promise<Sharp> {
  const { default: sharp } = await import('sharp');
  return sharp(input, options);
}

/** Types whose pixels the bridge reads (and browsers show inline). */
export const READABLE_IMAGES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const THUMBNAIL_PIXELS = 320;
/** Largest image decoded: 50 megapixels (a 7000 x 7000 photo). */
const MAX_INPUT_PIXELS = 50_000_000;

export interface ImageFacts {
  width: number;
  height: number;
}

/** An image's size in pixels (as shown, EXIF rotation applied); null when it cannot be read. */
export async function imageFacts(input: string | Buffer): Promise<ImageFacts | null> {
  try {
    const meta = await (await decode(input, { limitInputPixels: MAX_INPUT_PIXELS })).metadata();
    if (!meta.width || !meta.height) return null;
    // Orientations 5-8 turn the image a quarter.
    const turned = (meta.orientation ?? 1) >= 5;
    return turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch {
    return null;
  }
}

/** The preview: WebP, at most THUMBNAIL_PIXELS on its longer side, never enlarged; null when the image cannot be read. */
export async function thumbnail(input: string | Buffer): Promise<Buffer | null> {
  try {
    return await (
      await decode(input, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
    )
      .rotate()
      .resize(THUMBNAIL_PIXELS, THUMBNAIL_PIXELS, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
  } catch {
    return null;
  }
}
