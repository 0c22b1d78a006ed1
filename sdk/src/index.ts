export {
  type ClientEvents,
  type ClientOptions,
  type ConnectionState,
  type Identity,
  type SendOptions,
  SwitchboardClient,
  type UploadOptions,
  createClient,
} from './client.js';
export { SwitchboardError } from './errors.js';
export type { OutboxEntry } from './outbox.js';
export { type KeyValueStorage, memoryStorage } from './storage.js';
export type {
  Address,
  Attachment,
  Contact,
  ContactAddress,
  ContactConversation,
  ContactMerge,
  Continuation,
  ContinuationOffer,
  ContinuationState,
  ContinuationStopReason,
  Conversation,
  ErrorBody,
  ErrorCode,
  Message,
  MessageStatus,
  MessageStatusEvent,
  PartyInfo,
  Presence,
  PresenceStatus,
  Proof,
  Role,
  Session,
  TeamAvailability,
  TypingEvent,
  TypingState,
} from '@switchboard/protocol';
export { LIMITS } from '@switchboard/protocol';
