/** The `webhooks` entries of the configuration, and the events and bodies they receive (docs/support-desk.md, "Webhooks"). */
import { z } from 'zod';

export const WEBHOOK_EVENTS = [
  'conversation.opened',
  'conversation.assigned',
  'conversation.unassigned',
  'conversation.message',
  'conversation.closed',
  'conversation.reopened',
  'conversation.rated',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const webhookConfigSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    // fetch refuses URLs with user:password@; the signature is what authenticates the request.
    .refine(hasNoCredentials, 'must not contain a user name or password'),
  /** Signs every request; the receiver holds the same secret. */
  secret: z.string().min(16, 'webhook secrets must be at least 16 characters'),
  /** Events to send; all when omitted. */
  events: z.array(z.enum(WEBHOOK_EVENTS)).default([...WEBHOOK_EVENTS]),
  /** Site keys whose events to send; all sites when omitted. */
  sites: z.array(z.string()).optional(),
  /**
   * How long after its event a failing delivery is still retried: a receiver down for a deploy or an
   * outage gets what happened meanwhile once it is back, in order.
   */
  retryHours: z.number().positive().max(168).default(24),
  /** Attempts per delivery (the first included) before it is dropped, whatever `retryHours` says; none by default. */
  maxAttempts: z.number().int().min(1).max(10_000).optional(),
  /** How long one attempt may take, response included (at most 5 minutes: a receiver answers, or the attempt fails and is retried). */
  timeoutSeconds: z.number().positive().max(300).default(10),
});

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export interface WebhookDelivery {
  id: string;
  event: WebhookEvent;
  siteKey: string;
  createdAt: string;
  data: unknown;
}

/** zod runs this even when the URL check failed, so an unparsable URL must not throw here. */
function hasNoCredentials(url: string): boolean {
  try {
    const { username, password } = new URL(url);
    return !username && !password;
  } catch {
    return true;
  }
}
