/**
 * The `email` entry of `networks` (docs/networks/email.md): the IMAP mailbox the bridge reads, the
 * SMTP submission server it sends through, and the mail settings (the teams' addresses, the
 * Message-ID domain, the plus-address secret).
 */
import { z } from 'zod';
import { imapEndpointSchema, resolveImapEndpoint, resolveSmtpEndpoint, smtpEndpointSchema } from './endpoints-config.js';
import { checkMailSettings, mailSettingsShape, plusAddressSecretOf } from './mail-config.js';

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
    /**
     * How long an answer to a customer waits after its first line before it is mailed, with every
     * line the same sender wrote in the conversation meanwhile (docs/networks/email.md, "One mail
     * for a burst of lines"): an agent chatting from IRC or XMPP writes line by line. 0: a mail a line.
     */
    burstSeconds: z.number().min(0).max(600).default(20),
  })
  .superRefine((config, context) => checkMailSettings(config, context));

export type EmailNetworkConfig = z.infer<typeof emailNetworkConfigSchema>;

/** The desk as the checks read it: the teams with the sites each serves (every site when it names none), and every site's key. */
interface DeskSites {
  teams: readonly { id: string; sites?: readonly string[] | undefined }[];
  siteKeys: readonly string[];
}

/**
 * Each team mailbox whose team is none of the desk's (its mail would open conversations of no
 * team), or serves several sites without `site` naming one of them, as `field: message`.
 */
export function teamProblems(config: Pick<EmailNetworkConfig, 'teams' | 'site'>, desk: DeskSites): string[] {
  const problems: string[] = [];
  for (const [address, id] of Object.entries(config.teams)) {
    const team = desk.teams.find((candidate) => candidate.id === id);
    if (!team) {
      problems.push(`teams.${address}: "${id}" is no team of the configuration`);
      continue;
    }
    // A team serving several sites files its customers' mail under `site`: without it, every mail
    // to the team's mailbox would open nothing (docs/networks/email.md).
    const sites = team.sites ?? desk.siteKeys;
    if (sites.length > 1 && (config.site === undefined || !sites.includes(config.site)))
      problems.push(`site: team "${id}" (teams.${address}) serves several sites (${sites.join(', ')}); set site to the one its mail is filed under`);
  }
  return problems;
}

/**
 * What an email entry needs beyond its own fields, as `field: message`: each team mailbox's team is
 * one of the desk's (else its mail would open conversations of no team), and the passwords and the
 * plus-address secret it reads from the environment are there.
 */
export function emailConfigProblems(config: EmailNetworkConfig, desk: DeskSites, env: NodeJS.ProcessEnv = process.env): string[] {
  const problems = teamProblems(config, desk);
  const checks = [
    () => resolveImapEndpoint(config.imap, env, 'imap'),
    () => resolveSmtpEndpoint(config.smtp, env, 'smtp'),
    () => plusAddressSecretOf(config, env),
  ];
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}
