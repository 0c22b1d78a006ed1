/**
 * The bridge's network entries for the test servers of this folder, one place for each: a test
 * passes `extra` to override or add fields (timeouts, modes, gateways, a wrong password).
 */
import { type KamailioServer, VISITOR_DOMAIN } from './kamailio.js';
import type { MailServer } from './mail.js';
import type { ProsodyServer } from './prosody.js';

type NetworkEntry = Record<string, unknown>;

/** XMPP in component mode: the bridge is the component `web.localhost` of this Prosody (or ejabberd). */
export function prosodyNetwork(prosody: Pick<ProsodyServer, 'componentPort' | 'componentDomain' | 'componentSecret'>, extra: NetworkEntry = {}): NetworkEntry {
  return { type: 'xmpp', service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: prosody.componentDomain, password: prosody.componentSecret, ...extra };
}

/** XMPP in client mode: the bridge logs in to this Prosody (or ejabberd) as one bot account (registered by the test). */
export function prosodyClientNetwork(
  prosody: Pick<ProsodyServer, 'c2sPort' | 'domain'>,
  account: { username: string; password: string },
  extra: NetworkEntry = {},
): NetworkEntry {
  return { type: 'xmpp', mode: 'client', service: `xmpp://127.0.0.1:${prosody.c2sPort}`, domain: prosody.domain, ...account, ...extra };
}

/** SIP/SIMPLE: the bridge registers on this Kamailio as `switchboard`, its visitors at VISITOR_DOMAIN. */
export function kamailioNetwork(kamailio: KamailioServer, extra: NetworkEntry = {}): NetworkEntry {
  return {
    type: 'sip',
    server: kamailio.wsUrl,
    domain: kamailio.domain,
    username: 'switchboard',
    password: 'bridgepw',
    visitorDomain: VISITOR_DOMAIN,
    ...extra,
  };
}

/** IRC network `test` on an ngircd (or on a tap in front of one: anything listening on a loopback port). */
export function ngircdNetwork(server: { port: number }, extra: NetworkEntry = {}): NetworkEntry {
  return { type: 'irc', id: 'test', server: `irc://127.0.0.1:${server.port}`, ...extra };
}

/** The team mailbox the email network reads on the mail server, and its password there. */
export const SUPPORT_MAILBOX = { address: 'support@example.test', password: 'supportpw' };

/**
 * Email: the bridge reads SUPPORT_MAILBOX (team `support`) over this Postfix + Dovecot's IMAP and
 * sends through its SMTP, both in plain text on loopback.
 */
export function emailNetwork(mail: MailServer, extra: NetworkEntry = {}): NetworkEntry {
  return {
    type: 'email',
    imap: { host: mail.host, port: mail.imapPort, secure: false, starttls: 'never', user: SUPPORT_MAILBOX.address, password: SUPPORT_MAILBOX.password },
    smtp: { host: mail.host, port: mail.smtpPort, secure: false, starttls: 'never' },
    messageIdDomain: 'bridge.example.test',
    teams: { [SUPPORT_MAILBOX.address]: 'support' },
    plusAddressSecret: 'a-test-secret-of-at-least-32-characters',
    // A mail a line, as soon as it is written, unless a test is about bursts.
    burstSeconds: 0,
    ...extra,
  };
}

/**
 * A bridge's configuration in gateway mode between XMPP and IRC only, for `site` (no teams): the
 * IRC network's bot is `gw`, its presence polled every second, with `irc` on top.
 */
export function xmppIrcGateway(
  site: string,
  prosody: Parameters<typeof prosodyNetwork>[0],
  ngircd: { port: number },
  irc: NetworkEntry = {},
): Record<string, unknown> {
  return {
    teams: [],
    gateway: {
      site,
      allow: [
        { from: 'xmpp', to: 'irc' },
        { from: 'irc', to: 'xmpp' },
      ],
    },
    networks: [{ type: 'web' }, prosodyNetwork(prosody), ngircdNetwork(ngircd, { nick: 'gw', presencePollSeconds: 1, ...irc })],
  };
}
