import type { ErrorBody } from '@switchboard/protocol';

/** A send not yet acknowledged by the bridge (or refused by it, awaiting a retry or discard). */
export interface OutboxEntry {
  clientId: string;
  conversationId: string;
  text: string;
  /** Ids of files uploaded with `uploadFile()`, sent with the text (docs/protocol.md, "Files"). */
  attachments?: string[];
  /** ISO-8601, when the app called send(). */
  createdAt: string;
  state: 'pending' | 'failed';
  error?: ErrorBody;
  /** Written by the anonymous visitor this party was before signing in on this device (`Outbox.adopt`). */
  adopted?: true;
}
