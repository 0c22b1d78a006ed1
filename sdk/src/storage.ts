/**
 * Where the client keeps what must survive a page reload: the visitor token, the last seq seen of
 * each conversation, and unacknowledged sends. Any Web Storage-like object works.
 */
import type { OutboxEntry } from './outbox-entry.js';

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Storage that lasts as long as the process (the default where no localStorage exists). */
export function memoryStorage(): KeyValueStorage {
  const data = new Map<string, string>();
  return {
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  };
}

/** The browser's localStorage when it is there and usable (not in some private modes), else null. */
export function defaultStorage(): KeyValueStorage | null {
  try {
    const storage = (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    if (!storage) return null;
    const probe = '__switchboard_probe__';
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}

/** The client's persisted state under one key prefix, tolerant of corrupt or foreign values. */
export class PersistedState {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly prefix: string,
  ) {}

  private read<T>(name: string, valid: (value: unknown) => value is T, fallback: T): T {
    try {
      const raw = this.storage.getItem(this.prefix + name);
      if (raw === null) return fallback;
      const value: unknown = JSON.parse(raw);
      return valid(value) ? value : fallback;
    } catch {
      return fallback;
    }
  }

  private write(name: string, value: unknown): void {
    try {
      if (value === undefined) this.storage.removeItem(this.prefix + name);
      else this.storage.setItem(this.prefix + name, JSON.stringify(value));
    } catch {
      // Quota exceeded or storage gone: the client keeps working from memory.
    }
  }

  get token(): string | undefined {
    return this.read('token', (v): v is string | undefined => typeof v === 'string', undefined);
  }

  set token(value: string | undefined) {
    this.write('token', value);
  }

  get cursors(): Record<string, number> {
    return this.read(
      'cursors',
      (v): v is Record<string, number> => typeof v === 'object' && v !== null && Object.values(v).every((n) => Number.isInteger(n) && n >= 0),
      {},
    );
  }

  set cursors(value: Record<string, number>) {
    this.write('cursors', value);
  }

  get outbox(): OutboxEntry[] {
    return this.read(
      'outbox',
      (v): v is OutboxEntry[] =>
        Array.isArray(v) &&
        v.every((e: unknown) => isRecord(e) && typeof e.clientId === 'string' && typeof e.conversationId === 'string' && typeof e.text === 'string'),
      [],
    );
  }

  set outbox(value: OutboxEntry[]) {
    this.write('outbox', value.length ? value : undefined);
  }

  /** The clientIds of sends a tab discarded lately: another tab that still holds one drops it too. */
  get discarded(): string[] {
    return this.read('discarded', (v): v is string[] => Array.isArray(v) && v.every((id) => typeof id === 'string'), []);
  }

  set discarded(value: string[]) {
    this.write('discarded', value.length ? value : undefined);
  }

  /** The party (`Session.self`) the rest was kept for. */
  get self(): string | undefined {
    return this.read('self', (v): v is string | undefined => typeof v === 'string', undefined);
  }

  set self(value: string | undefined) {
    this.write('self', value);
  }

  clear(): void {
    for (const name of ['token', 'cursors', 'outbox', 'discarded', 'self']) this.write(name, undefined);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
