/** Reads a stream to its end (null for no stream: a blob that is gone). */
import type { Readable } from 'node:stream';

export async function readAll(stream: Readable | null): Promise<Buffer | null> {
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
