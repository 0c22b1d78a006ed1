/**
 * Network type -> factory (the bridge map). Adding a network is its folder plus one line here.
 * A network's code (and its protocol library) is loaded only when the configuration has it: the
 * schemas are small, the libraries are not, and a bridge that runs one network should not start
 * slower for the others.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import type { z } from 'zod';
import { ConfigError, issuePath } from '../config-error.js';
import { type EmailNetworkConfig, emailConfigProblems, emailNetworkConfigSchema } from './email/config.js';
import { type IrcNetworkConfig, ircNetworkConfigSchema } from './irc/config.js';
import type { HostingContext, Network, NetworkContext } from './network.js';
import { type SipNetworkConfig, sipNetworkConfigSchema } from './sip/config.js';
import { createWebNetwork, webNetworkConfigSchema } from './web/web-network.js';
import { type XmppNetworkConfig, gatewayNetworksOf, xmppNetworkConfigSchema } from './xmpp/config.js';

interface DefinitionBase<S extends z.ZodType> {
  /** Validates the network's entry of `networks` in the config. */
  schema: S;
  /**
   * The networks whose users this entry shows under addresses of its own (an XMPP gateway domain per
   * network), each with the field that names it: the registry checks that each has users with
   * addresses of their own.
   */
  mappedNetworks?(config: z.infer<S>): { path: readonly PropertyKey[]; network: string }[];
  /**
   * What the entry needs beyond its own fields (the desk's teams it names, secrets from the
   * environment), each problem as `field: message`: checked with the configuration, before the
   * bridge opens anything.
   */
  problems?(config: z.infer<S>, desk: DeskOfConfig): string[];
}

/** What of the whole configuration an entry's `problems` may look at. */
export interface DeskOfConfig {
  /** The teams, with the sites each serves (every site when it names none). */
  teams: readonly { id: string; sites?: readonly string[] | undefined }[];
  /** Every site's key. */
  siteKeys: readonly string[];
}

/** A network of remote parties, reached through its protocol. */
interface RemoteDefinition<S extends z.ZodType> extends DefinitionBase<S> {
  hostsParties?: false;
  create(context: NetworkContext<z.infer<S>>): Network | Promise<Network>;
}

/**
 * A network whose parties are the bridge's own (networks/network.ts `HostedParties`: website
 * visitors): they have no addresses of their own that another network could show as a gateway's
 * users, and only it is given their connections (the hub).
 */
interface HostingDefinition<S extends z.ZodType> extends DefinitionBase<S> {
  hostsParties: true;
  create(context: HostingContext<z.infer<S>>): Network | Promise<Network>;
}

export type NetworkDefinition<S extends z.ZodType = z.ZodType> = RemoteDefinition<S> | HostingDefinition<S>;

const createXmpp = async (context: NetworkContext<XmppNetworkConfig>) => (await import('./xmpp/xmpp-network.js')).createXmppNetwork(context);
const createIrc = async (context: NetworkContext<IrcNetworkConfig>) => (await import('./irc/irc-network.js')).createIrcNetwork(context);
const createSip = async (context: NetworkContext<SipNetworkConfig>) => (await import('./sip/sip-network.js')).createSipNetwork(context);
const createEmail = async (context: NetworkContext<EmailNetworkConfig>) => (await import('./email/email-network.js')).createEmailNetwork(context);

export const BUILTIN_NETWORKS: Record<string, NetworkDefinition> = {
  web: { schema: webNetworkConfigSchema, create: createWebNetwork, hostsParties: true },
  xmpp: { schema: xmppNetworkConfigSchema, create: createXmpp, mappedNetworks: gatewayNetworksOf },
  irc: { schema: ircNetworkConfigSchema, create: createIrc },
  sip: { schema: sipNetworkConfigSchema, create: createSip },
  email: { schema: emailNetworkConfigSchema, create: createEmail, problems: (config, desk) => emailConfigProblems(config as EmailNetworkConfig, desk) },
};

/** The networks running in one bridge, found by address scheme. */
export class NetworkRegistry {
  private readonly byScheme = new Map<string, Network>();

  add(network: Network): void {
    if (this.byScheme.has(network.scheme)) throw new Error(`two networks claim the address scheme "${network.scheme}"`);
    this.byScheme.set(network.scheme, network);
  }

  get(scheme: string): Network | undefined {
    return this.byScheme.get(scheme);
  }

  forAddress(address: Address): Network | undefined {
    return this.byScheme.get(networkOf(address));
  }

  /**
   * An address as its network writes it (`irc:Dave@libera` is `irc:dave@libera`): one party however
   * a user typed it; as it is when its network has no such form or does not take it.
   */
  canonical(address: Address): Address {
    return this.forAddress(address)?.normalizeAddress?.(address) ?? address;
  }

  all(): Network[] {
    return [...this.byScheme.values()];
  }
}

export interface ValidatedNetwork {
  type: string;
  definition: NetworkDefinition;
  config: unknown;
}

/**
 * Checks every `networks` entry against its type's schema, naming the field of a wrong one by the
 * user's own index. The web network is added when the config leaves it out: it is how the uniform
 * API's own clients are reached.
 */
export function validateNetworks(
  config: { networks: readonly { type: string }[]; teams?: DeskOfConfig['teams']; sites?: readonly { key: string }[] },
  definitions: Record<string, NetworkDefinition> = BUILTIN_NETWORKS,
  source = 'the configuration',
): ValidatedNetwork[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const entries: ValidatedNetwork[] = [];
  config.networks.forEach((entry, index) => {
    const definition = definitions[entry.type];
    if (!definition) {
      problems.push(`networks[${index}].type: unknown network type "${entry.type}" (known: ${Object.keys(definitions).join(', ')})`);
      return;
    }
    if (seen.has(entry.type)) problems.push(`networks[${index}].type: "${entry.type}" is already configured at networks[${seen.get(entry.type)}]`);
    seen.set(entry.type, index);
    const parsed = definition.schema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issuePath(issue.path);
        problems.push(`networks[${index}]${field ? `.${field}` : ''}: ${issue.message.replace(/^Invalid input: /, '')}`);
      }
      return;
    }
    for (const mapped of definition.mappedNetworks?.(parsed.data) ?? []) {
      if (definitions[mapped.network]?.hostsParties)
        problems.push(
          `networks[${index}].${issuePath(mapped.path)}: must be a network whose users have addresses of their own, not "${mapped.network}", whose parties the bridge hosts (they stay on the main domain)`,
        );
    }
    const desk = { teams: config.teams ?? [], siteKeys: (config.sites ?? []).map((site) => site.key) };
    for (const problem of definition.problems?.(parsed.data, desk) ?? []) problems.push(`networks[${index}].${problem}`);
    entries.push({ type: entry.type, definition, config: parsed.data });
  });
  if (problems.length > 0) throw new ConfigError(`Invalid configuration in ${source}:\n  ${problems.join('\n  ')}`);
  // The network of the bridge's own parties is how the uniform API's clients are reached: always there.
  for (const [type, definition] of Object.entries(definitions)) {
    if (definition.hostsParties && !seen.has(type)) entries.unshift({ type, definition, config: definition.schema.parse({ type }) });
  }
  return entries;
}
