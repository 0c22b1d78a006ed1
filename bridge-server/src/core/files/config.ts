/** The configuration of files (docs/configuration.md, `files` and `sites[].files`). */
import { LIMITS } from '@switchboard/protocol';
import { z } from 'zod';
import { TYPE_PATTERN } from './types-policy.js';

const MIB = 1024 * 1024;

export const FILES_DEFAULTS = {
  maxFileBytes: 10 * MIB,
  maxMessageBytes: 25 * MIB,
  linkTtlSeconds: 86_400,
  unsentHours: 24,
  uploadsPerMinute: 30,
};

export const filesConfigSchema = z.strictObject({
  /**
   * Where the files' bytes are kept: a folder on this machine, or the Postgres store's database
   * (where every bridge node on that database finds them). Filled at parse time: `database` with
   * `cluster`, else `folder`.
   */
  storage: z.enum(['folder', 'database']).optional(),
  /** The folder, with `storage: "folder"`; see `filesFolder` in config.ts for the default. */
  folder: z.string().min(1).optional(),
  /** Largest file, in bytes (a site may lower it). */
  maxFileBytes: z.number().int().min(1).max(LIMITS.maxFileBytes).default(FILES_DEFAULTS.maxFileBytes),
  /** Largest total of one message's files, in bytes. */
  maxMessageBytes: z.number().int().min(1).max(LIMITS.maxMessageFileBytes).default(FILES_DEFAULTS.maxMessageBytes),
  /** How long links made for networks' recipients stay valid. */
  linkTtlSeconds: z.number().int().min(60).default(FILES_DEFAULTS.linkTtlSeconds),
  /** Files never sent with a message are deleted after this many hours. */
  unsentHours: z.number().positive().default(FILES_DEFAULTS.unsentHours),
  /** Uploads one party may make per minute (as many at once, then at that rate). */
  uploadsPerMinute: z.number().positive().default(FILES_DEFAULTS.uploadsPerMinute),
});

export const siteFilesSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** Types the site takes (`image/*`, `application/pdf`); DEFAULT_FILE_TYPES when left out. */
    types: z.array(z.string().regex(TYPE_PATTERN, 'must be a media type such as application/pdf, or a pattern such as image/*')).optional(),
    /** Lowers the bridge's `files.maxFileBytes` for this site. */
    maxFileBytes: z.number().int().min(1).max(LIMITS.maxFileBytes).optional(),
    /** All the site's stored files together, in bytes. */
    quotaBytes: z.number().int().min(1).optional(),
  }),
]);

export type FilesConfig = z.infer<typeof filesConfigSchema>;
export type SiteFilesConfig = z.infer<typeof siteFilesSchema>;
