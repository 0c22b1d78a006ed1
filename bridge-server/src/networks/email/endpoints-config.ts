/**
 * The mail server endpoints of the `email` entry of `networks` (docs/networks/email.md, "Connecting
 * to the mail server"): the IMAP mailbox the bridge reads and the SMTP submission server it sends
 * through, each with its TLS settings and credentials (given in the file, or named environment
 * variables so secrets stay out of it). `resolveImapEndpoint`/`resolveSmtpEndpoint` turn a parsed
 * entry into what the transport modules take, reading the secrets and the CA file once, at start.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { ConfigError } from '../../config-error.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const tlsSchema = z
  .strictObject({
    /** Check the server's certificate chain and name; turn off only for a test server. */
    rejectUnauthorized: z.boolean().default(true),
    /** A PEM file of the CA (or the self-signed certificate) to trust, beside the system's. */
    caFile: z.string().min(1).optional(),
    /** The name the certificate must carry (and SNI), when `host` is an IP address or an alias. */
    servername: z.string().min(1).optional(),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  })
  .default({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });

const connectionFields = {
  host: z.string().min(1),
  /** Default: the protocol's port for the chosen TLS (IMAP 993 or 143, SMTP 465 or 587). */
  port: z.number().int().min(1).max(65535).optional(),
  /** Implicit TLS from the first byte (IMAPS, SMTPS); otherwise STARTTLS as `starttls` says. */
  secure: z.boolean().default(true),
  /**
   * Without `secure`: `required` (the default) upgrades with STARTTLS or fails, so credentials
   * never cross in clear; `if-offered` upgrades when the server offers it; `never` stays plain
   * (a server on loopback).
   */
  starttls: z.enum(['required', 'if-offered', 'never']).default('required'),
  tls: tlsSchema,
  connectTimeoutSeconds: z.number().positive().default(15),
};

const passwordFields = {
  password: z.string().min(1).optional(),
  /** The environment variable holding the password (instead of `password`). */
  passwordEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
};

const onePassword = (entry: { password?: string | undefined; passwordEnv?: string | undefined }) => !(entry.password && entry.passwordEnv);
const ONE_PASSWORD = { message: 'give either password or passwordEnv, not both' };

export const imapEndpointSchema = z
  .strictObject({
    ...connectionFields,
    user: z.string().min(1),
    ...passwordFields,
    /** The folder the bridge reads. */
    folder: z.string().min(1).default('INBOX'),
    /** A folder to move each handled message to; without it, handled messages are flagged \Seen and stay. */
    moveTo: z.string().min(1).optional(),
  })
  .refine(onePassword, ONE_PASSWORD)
  .refine((entry) => entry.password !== undefined || entry.passwordEnv !== undefined, { message: 'give the mailbox password (password or passwordEnv)' });

export const smtpEndpointSchema = z
  .strictObject({
    ...connectionFields,
    /** Authenticate as this user (SMTP AUTH), when the server wants it. */
    user: z.string().min(1).optional(),
    ...passwordFields,
    /** The name the bridge gives in EHLO (default: the machine's host name). */
    clientName: z.string().min(1).optional(),
  })
  .refine(onePassword, ONE_PASSWORD)
  .refine((entry) => (entry.user === undefined) === (entry.password === undefined && entry.passwordEnv === undefined), {
    message: 'user and a password (password or passwordEnv) go together',
  });

export type ImapEndpointConfig = z.infer<typeof imapEndpointSchema>;
export type SmtpEndpointConfig = z.infer<typeof smtpEndpointSchema>;

/** How a connection is secured: implicit TLS, or STARTTLS as required, as offered, or never. */
export interface TlsMode {
  secure: boolean;
  starttls: 'required' | 'if-offered' | 'never';
  /** node:tls options: the CA read from `caFile`, certificate checking, SNI, the minimum version. */
  tls: ConnectionOptions;
}

export interface ImapEndpoint extends TlsMode {
  host: string;
  port: number;
  user: string;
  password: string;
  folder: string;
  moveTo?: string;
  connectTimeoutMs: number;
}

export interface SmtpEndpoint extends TlsMode {
  host: string;
  port: number;
  auth?: { user: string; password: string };
  clientName?: string;
  connectTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function secret(where: string, entry: { password?: string | undefined; passwordEnv?: string | undefined }, env: Env): string | undefined {
  if (entry.password !== undefined) return entry.password;
  if (entry.passwordEnv === undefined) return undefined;
  const value = env[entry.passwordEnv];
  if (!value) throw new ConfigError(`${where}.passwordEnv: the environment variable ${entry.passwordEnv} is not set`);
  return value;
}

function tlsMode(where: string, entry: Pick<ImapEndpointConfig, 'secure' | 'starttls' | 'tls'>): TlsMode {
  const { rejectUnauthorized, caFile, servername, minVersion } = entry.tls;
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile);
    } catch (error) {
      throw new ConfigError(`${where}.tls.caFile: cannot read ${caFile}: ${(error as Error).message}`);
    }
  }
  return {
    secure: entry.secure,
    starttls: entry.starttls,
    tls: { rejectUnauthorized, minVersion, ...(ca ? { ca } : {}), ...(servername ? { servername } : {}) },
  };
}

/** `where` names the entry in errors (`networks[2].imap`). */
export function resolveImapEndpoint(config: ImapEndpointConfig, env: Env = process.env, where = 'imap'): ImapEndpoint {
  return {
    ...tlsMode(where, config),
    host: config.host,
    port: config.port ?? (config.secure ? 993 : 143),
    user: config.user,
    password: secret(where, config, env) ?? '',
    folder: config.folder,
    ...(config.moveTo !== undefined ? { moveTo: config.moveTo } : {}),
    connectTimeoutMs: config.connectTimeoutSeconds * 1000,
  };
}

export function resolveSmtpEndpoint(config: SmtpEndpointConfig, env: Env = process.env, where = 'smtp'): SmtpEndpoint {
  const password = secret(where, config, env);
  return {
    ...tlsMode(where, config),
    host: config.host,
    port: config.port ?? (config.secure ? 465 : 587),
    ...(config.user !== undefined && password !== undefined ? { auth: { user: config.user, password } } : {}),
    ...(config.clientName !== undefined ? { clientName: config.clientName } : {}),
    connectTimeoutMs: config.connectTimeoutSeconds * 1000,
  };
}
