/** The `irc` entry of `networks` (docs/networks/irc.md). */
import { z } from 'zod';

/** RFC 2812 section 2.3.1: nickname = ( letter / special ) *( letter / digit / special / "-" ). */
export const NICK_PATTERN = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;
/** RFC 2812 section 1.3: channels start with # or & and hold no space, comma, BEL or colon. */
export const CHANNEL_PATTERN = /^[#&][^\s,:\u0007\u0000]{1,49}$/;

export const ircNetworkConfigSchema = z.strictObject({
  type: z.literal('irc'),
  /** The network's id in addresses: `irc:alice@<id>`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and dashes (it appears in addresses: irc:nick@id)'),
  /** `irc://host:port` (plain) or `ircs://host:port` (TLS). */
  server: z.string().regex(/^ircs?:\/\/[^/:\s]+(:\d{1,5})?\/?$/, 'must be irc://host:port or ircs://host:port'),
  /** Check the server's TLS certificate (ircs only). */
  tlsVerify: z.boolean().default(true),
  /** Server password (PASS), when the server wants one. */
  password: z.string().min(1).optional(),
  /** SASL PLAIN for the bot's account (IRCv3). */
  sasl: z.strictObject({ account: z.string().min(1), password: z.string().min(1) }).optional(),
  /** The bot's nick; `_` and digits are appended while it is taken. */
  nick: z.string().regex(NICK_PATTERN, 'must be a valid IRC nick (RFC 2812)').default('switchboard'),
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,10}$/, 'must be 1-10 letters, digits, dots, dashes or underscores')
    .default('switchboard'),
  realname: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^\r\n\u0000]+$/, 'must be one line')
    .default('Switchboard bridge'),
  /**
   * Accept agents' messages and commands only from a nick logged in to the services account of
   * the same name (IRCv3 account-tag). Without it, whoever holds an agent's nick is taken for the
   * agent: use it on networks whose services do not enforce nicks.
   */
  requireAccount: z.boolean().default(false),
  /** `puppet`: each visitor is an IRC user of its own; `relay`: the bot relays `[name #ref] text`. */
  mode: z.enum(['puppet', 'relay']).default('puppet'),
  /** Most visitors connected as puppets at once (servers limit connections per IP); the others are relayed. */
  maxPuppets: z.number().int().min(0).default(3),
  /** A puppet quits after this long without a message either way. */
  puppetIdleMinutes: z.number().positive().default(30),
  /** Support channel the bot joins to announce new conversations, which agents claim there. */
  channel: z.string().regex(CHANNEL_PATTERN, 'must be a channel name such as #support').optional(),
  /**
   * The support channel's key (RFC 2812 section 3.2.1): the bot joins with it, and sets it on the
   * channel (`MODE +k`) where it may (it opened the channel): only who is told the key reads it.
   */
  channelKey: z
    .string()
    .regex(/^[\x21-\x2b\x2d-\x7e]{1,23}$/, 'must be 1 to 23 characters, without spaces or commas')
    .optional(),
  /** Most IRC lines one message may take; the rest is cut with a notice saying so. */
  maxLines: z.number().int().min(2).max(1000).default(15),
  /** Flood control, per connection (docs/networks/irc.md). */
  flood: z
    .strictObject({
      burst: z.number().int().min(1).default(5),
      linesPerSecond: z.number().positive().default(3),
      /** Lines the server has not yet confirmed (PING/PONG), at most. */
      window: z.number().int().min(1).default(5),
    })
    .default({ burst: 5, linesPerSecond: 3, window: 5 }),
  /**
   * How long messages for an agent who is off IRC wait for it to come back (IRC keeps nothing for
   * absent users); past it they fail, with the reason.
   */
  holdMinutes: z.number().positive().default(60),
  /** How often agents' presence is polled (ISON/WHO) where the server cannot push it. */
  presencePollSeconds: z.number().positive().default(30),
  connectTimeoutSeconds: z.number().positive().default(15),
  /**
   * How long a connection registered under another nick than its own (`switchboard_`: the nick
   * was held) waits before asking for it again (twice as long after each ask, up to 30 minutes),
   * besides the moment the holder is seen to leave it.
   */
  nickRetrySeconds: z.number().positive().default(60),
  /**
   * Customers writing to the bot in private (docs/customers.md): whoever is not an agent reaches
   * `team`, or another of `teams` they pick with `/team ID`. Without it, the bot answers them only
   * with what it is (and the gateway's commands).
   */
  customers: z
    .strictObject({
      /** The team a customer's private message reaches unless they pick another. */
      team: z.string().min(1),
      /** The other teams a customer may pick with `/team ID`. */
      teams: z.array(z.string().min(1)).optional(),
      /** The site of a customer's conversation with a team that serves several sites. */
      site: z.string().min(1).optional(),
    })
    .optional(),
});

export type IrcNetworkConfig = z.infer<typeof ircNetworkConfigSchema>;

/** Host, port and TLS from `server` (6667 plain and 6697 TLS by default). */
export function serverOf(config: IrcNetworkConfig): { host: string; port: number; tls: boolean } {
  const url = new URL(config.server);
  const tls = url.protocol === 'ircs:';
  return { host: url.hostname, port: url.port ? Number(url.port) : tls ? 6697 : 6667, tls };
}
