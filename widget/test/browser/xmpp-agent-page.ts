/**
 * The browser tier's XMPP agent on a real Prosody (xmpp-files-bridge.mjs), as test pages reach it:
 * the bridge it answers for, the visitor's JID there, and what the agent receives, says and refuses.
 */
import type { SwitchboardChat } from '../../dist/index.js';

export interface XmppFilesBridge {
  url: string;
  siteKey: string;
  /** The agent's address at the bridge (`xmpp:<bare JID>`). */
  agent: string;
  /** The bridge's component domain, where visitors have their JIDs. */
  visitorDomain: string;
}

export const xmppBridge = (await (await fetch('/__xmpp-files')).json()) as XmppFilesBridge;

/** The visitor's JID at the bridge's component: their web address's id. */
export const jidOf = (element: SwitchboardChat) => `${element.chat.session!.self.replace(/^web:/, '')}@${xmppBridge.visitorDomain}`;

/** The XMPP agent writes to `to` with stanza id `id`; with `replaces`, a correction of that stanza (XEP-0308). */
export async function agentSays(to: string, text: string, id: string, replaces?: string): Promise<void> {
  const query = new URLSearchParams({ to, text, id, ...(replaces ? { replaces } : {}) });
  const response = await fetch(`/__xmpp-files/agent/say?${query.toString()}`);
  if (response.status !== 200) throw new Error(`the agent could not write: ${response.status}`);
}

/** The XMPP agent takes back its message whose stanza id was `retracts` (XEP-0424). */
export async function agentRetracts(to: string, id: string, retracts: string): Promise<void> {
  const response = await fetch(`/__xmpp-files/agent/retract?${new URLSearchParams({ to, id, retracts }).toString()}`);
  if (response.status !== 200) throw new Error(`the agent could not retract: ${response.status}`);
}

/** The agent's client refuses the message from `from` with this body; false while it has not arrived. */
export async function agentRefuses(from: string, body: string, text: string): Promise<boolean> {
  const query = new URLSearchParams({ from, body, text });
  return ((await (await fetch(`/__xmpp-files/agent/refuse?${query.toString()}`)).json()) as { refused: boolean }).refused;
}

/** The bodies of the messages the agent received from `from`. */
export async function bodiesAtAgent(from: string): Promise<string[]> {
  const received = (await (await fetch(`/__xmpp-files/agent/received?from=${encodeURIComponent(from)}`)).json()) as { body: string }[];
  return received.map((message) => message.body);
}
