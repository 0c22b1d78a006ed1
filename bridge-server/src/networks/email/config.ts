/**
 * The `email` entry of `networks` (docs/networks/email.md): the IMAP mailbox the bridge reads, the
 * SMTP submission server it sends through, and the mail settings (the teams' addresses, the
 * Message-ID domain, the plus-address secret).
 */
import { z } from 'zod';
import { imapEndpointSchema, smtpEndpointSchema } from './endpoints-config.js';
import { checkMailSettings, mailSettingsShape } from './mail-config.js';

export const emailNetworkConfigSchema = z
  .strictObject({
    type: z.literal('email'),
    imap: imapEndpointSchema,
    smtp: smtpEndpointSchema,
    ...mailSettingsShape,
    /**
     * Mail an agent's reply to a website visitor who gave an email address and left, once it
     * waited `afterSeconds` unread (docs/networks/email.md, "Visitors who left"); off when left out.
     */
    visitorFallback: z.strictObject({ afterSeconds: z.number().positive().default(300) }).optional(),
    /**
     * How long agents by mail stay available once the mailbox is lost (docs/networks/email.md,
     * "Agents by email"): a short drop of the IMAP connection does not take them all off routing.
     */
    agentGraceSeconds: z.number().min(0).default(60),
  })
  .superRefine((config, context) => checkMailSettings(config, context));

export type EmailNetworkConfig = z.infer<typeof emailNetworkConfigSchema>;
