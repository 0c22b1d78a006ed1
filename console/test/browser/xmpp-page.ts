/**
 * The bridge with a real Prosody (widget/test/browser/continuation-bridge.mjs): its site lets
 * visitors continue on XMPP and agents reach out to XMPP users; the users' XMPP clients are read,
 * and made to write, through the test server (a page cannot speak XMPP).
 */
import { type SwitchboardClient, createClient } from '@switchboard/sdk';
import { clients } from './console-page.js';

export interface XmppBridge {
  url: string;
  siteKey: string;
  /** The team's JID, which the desk's messages come from. */
  team: string;
  agent: { userId: string; name: string; role: 'agent'; hash: string };
}

export const bridge = (await (await fetch('/__continuation')).json()) as XmppBridge;

/** What a user's XMPP client received: each chat message's sender (bare JID) and body. */
export const received = async (user: string) => (await (await fetch(`/__continuation/xmpp/messages?user=${user}`)).json()) as { from: string; body: string }[];

/** The user writes to the team's JID from their XMPP client. */
export const writeFromXmpp = (user: string, text: string) => fetch(`/__continuation/xmpp/send?user=${user}&text=${encodeURIComponent(text)}`);

/** A client of that bridge's site (its agent with `agent`), connected; disconnected after the test. */
export async function bridgeClient(agent = false): Promise<SwitchboardClient> {
  const client = createClient({ url: bridge.url, siteKey: bridge.siteKey, storage: null, ...(agent ? { identity: bridge.agent } : {}) });
  clients.push(client);
  await client.ready();
  return client;
}
