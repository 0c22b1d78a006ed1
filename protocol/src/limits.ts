/** Limits every party of the v1 API can rely on. The bridge may be configured lower, never higher. */
export const LIMITS = {
  /** Longest message text, in Unicode code points. */
  maxTextLength: 10_000,
  /** Largest single socket.io packet the bridge accepts (socket.io `maxHttpBufferSize`), in bytes. */
  maxPayloadBytes: 128 * 1024,
  /** Most messages one `history:get` returns. */
  maxHistoryLimit: 100,
  /** Default page size of `history:get`. */
  defaultHistoryLimit: 50,
  /** Most addresses one `presence:subscribe` may name. */
  maxPresenceAddresses: 100,
  /** Most conversations one `sync` may name. */
  maxSyncConversations: 1000,
  /** Most of the caller's own messages one `sync` may ask the status of. */
  maxSyncStatuses: 200,
  /** Longest `clientId`. */
  maxClientIdLength: 128,
  /** Longest id (conversation, message, team) accepted in a payload. */
  maxIdLength: 128,
  /** Longest address accepted in a payload. */
  maxAddressLength: 512,
  /** Longest comment on a rating (`conversation:rate`), in Unicode code points. */
  maxRatingCommentLength: 1000,
  /** Longest conversation `subject`, in Unicode code points (the bridge cuts longer ones). */
  maxSubjectLength: 300,
  /** Most past conversations a `Contact` lists. */
  maxContactConversations: 50,
  /** Length of a continuation proof code (digits). */
  continuationCodeLength: 6,
  /** Largest file one upload may carry, in bytes (25 MiB). */
  maxFileBytes: 25 * 1024 * 1024,
  /** Most files one message may carry. */
  maxMessageAttachments: 10,
  /** Largest total of the files of one message, in bytes (25 MiB). */
  maxMessageFileBytes: 25 * 1024 * 1024,
  /** Longest file name, in Unicode code points (the bridge cuts longer ones, keeping the extension). */
  maxFileNameLength: 255,
  /**
   * Most unread messages an inbox item counts (`InboxItem.unread`): a conversation with more reads
   * this number, a console shows "99+".
   */
  maxUnreadCount: 100,
} as const;

/**
 * The message of the `too_large` refusal of a `text` longer than `max` code points (docs/protocol.md,
 * "message:send"): the bridge answers it, and a client refusing such a text itself says the same.
 */
export const textTooLong = (max: number): string => `text: is longer than ${max} characters`;
