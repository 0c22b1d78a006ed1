/**
 * What the widget keeps on the device for a site, under `switchboard:<site>:<name>`: in
 * localStorage (read positions, each team's shown conversation) or in the tab's sessionStorage (the
 * kept copy of a conversation). Storage may be blocked, full or corrupt: reads then find nothing,
 * writes keep nothing, and the page goes on from memory.
 */

/** Where a site's record is kept (none without a site). */
export const siteRecordKey = (siteKey: string | undefined, name: string): string | null => (siteKey ? `switchboard:${siteKey}:${name}` : null);

/** The value kept under a site's record, parsed; undefined when none, or storage is blocked or corrupt. */
export function readStored(siteKey: string | undefined, name: string, storage: () => Storage = () => localStorage): unknown {
  const key = siteRecordKey(siteKey, name);
  if (!key) return undefined;
  try {
    const text = storage().getItem(key);
    return text === null ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** Keeps a value under a site's record; nothing when storage refuses it (quota, privacy mode). */
export function writeStored(siteKey: string | undefined, name: string, value: unknown, storage: () => Storage = () => localStorage): void {
  const key = siteRecordKey(siteKey, name);
  if (!key) return;
  try {
    storage().setItem(key, JSON.stringify(value));
  } catch {
    // This page goes on from memory.
  }
}

/** A record kept by key for a site's widget (read positions by conversation, shown conversations by team); empty when none. */
export function readSiteRecord<T>(siteKey: string | undefined, name: string): Record<string, T> {
  const value = readStored(siteKey, name);
  return typeof value === 'object' && value !== null ? (value as Record<string, T>) : {};
}

export function writeSiteRecord(siteKey: string | undefined, name: string, record: Record<string, unknown>): void {
  writeStored(siteKey, name, record);
}
