// Browser tier: a bridge whose team's agent is an XMPP user on a real Prosody with HTTP File Upload
// (mod_http_file_share, XEP-0363), the bridge its component, started the first time a test page
// asks (/__xmpp-files) so the other files pay nothing for it. A page cannot speak XMPP: it reads
// the files the agent received (each link fetched here, its bytes hashed) and makes the agent
// answer with a file through /__xmpp-files/agent/... (widget/test/browser/files-xmpp.test.ts), or
// refuse a message as a client or server does, with an error stanza (failed-xmpp.test.ts), or
// write, correct and take back a message (corrections-xmpp.test.ts).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { connectClients, lazyBridgePlugin, startXmppBridge } from './xmpp-bridge.mjs';

const SECRET = 'browser-xmpp-files-secret-0123456789';
const AGENT = { user: 'ann', password: 'annpw', jid: 'ann@localhost' };
const OOB = 'jabber:x:oob';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The request's body, whole. */
async function bodyOf(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** What fetching a link gives: its status, and the SHA-256 and size of its bytes. */
async function fetched(url) {
  const response = await fetch(url);
  const content = Buffer.from(await response.arrayBuffer());
  return { status: response.status, size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}

async function start(origins) {
  const { fileMessage, retraction, uploadFile, xml } = await tsImport('../../../bridge-server/test/xmpp-agent.ts', import.meta.url);
  const started = await startXmppBridge({
    prosodyOptions: { users: [[AGENT.user, AGENT.password]], fileShare: {} },
    config: (xmpp, dir) => ({
      server: { host: '127.0.0.1', port: 0, drainSeconds: 1 },
      store: { type: 'sqlite', path: join(dir, 'bridge.db') },
      sites: [{ key: 'xmpp-files-site', origins, identitySecret: SECRET, files: { types: ['image/*'], maxFileBytes: 256 * 1024 } }],
      teams: [{ id: 'support', members: [`xmpp:${AGENT.jid}`], capacity: 1000 }],
      networks: [{ type: 'web', presenceGraceMs: 100 }, xmpp],
      limits: { ratePerSecond: 1000, burst: 1000 },
      log: { level: 'silent' },
    }),
    name: 'web-test-runner xmpp files',
  });
  const agent = (await connectClients(started, [[AGENT.user, AGENT.password]])).get(AGENT.user);
  /** Each link's fetch, once (the page polls). */
  const fetches = new Map();

  /** The messages with a body the agent received from `from` (a bare JID), each out-of-band link fetched here. */
  const received = (from) =>
    Promise.all(
      agent.stanzas
        .filter((stanza) => stanza.is('message') && stanza.attrs.from?.split('/')[0] === from && stanza.getChildText('body') !== null)
        .map(async (stanza) => {
          const oob = stanza.getChild('x', OOB);
          const link = oob?.getChildText('url');
          if (link && !fetches.has(link)) fetches.set(link, fetched(link));
          return {
            id: stanza.attrs.id,
            body: stanza.getChildText('body'),
            ...(oob ? { oob: { url: link, desc: oob.getChildText('desc'), fetched: await fetches.get(link) } } : {}),
          };
        }),
    );

  /** The agent uploads a file to Prosody (XEP-0363) and sends its link to `to` (XEP-0066). */
  const sendFile = async (to, file) => {
    const link = await uploadFile(agent, started.prosody.upload.domain, file);
    await agent.send(fileMessage(to, link, `wtr-${Date.now()}`));
    return link;
  };

  /**
   * The agent's client answers the message from `from` whose body is `body` with an error for good
   * (RFC 6120 section 8.3: type `cancel`, `not-acceptable`, with a text), as a client refusing it does.
   */
  const refuse = async (from, body, text) => {
    const stanza = agent.stanzas.find((s) => s.is('message') && s.attrs.from?.split('/')[0] === from && s.getChildText('body') === body);
    if (!stanza) return false;
    await agent.send(
      xml(
        'message',
        { type: 'error', to: stanza.attrs.from, id: stanza.attrs.id },
        xml('error', { type: 'cancel' }, xml('not-acceptable', { xmlns: STANZAS }), xml('text', { xmlns: STANZAS }, text)),
      ),
    );
    return true;
  };

  return {
    info: { url: started.url, siteKey: 'xmpp-files-site', agent: `xmpp:${AGENT.jid}`, visitorDomain: started.prosody.componentDomain },
    async serve(context, json) {
      if (context.path === '/__xmpp-files/agent/received') return json(await received(String(context.query.from)));
      // POST, the file's bytes as the body.
      if (context.path === '/__xmpp-files/agent/send-file') {
        const { to, name, type } = context.query;
        const content = await bodyOf(context.req);
        return json({ link: await sendFile(String(to), { name: String(name), type: String(type), content }) });
      }
      // The agent writes `text` to `to` with stanza id `id`, correcting `replaces` when given (XEP-0308).
      if (context.path === '/__xmpp-files/agent/say') {
        const { to, text, id, replaces } = context.query;
        await agent.send(
          xml(
            'message',
            { type: 'chat', to: String(to), id: String(id) },
            xml('body', {}, String(text)),
            replaces ? xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: String(replaces) }) : null,
          ),
        );
        return json({ sent: true });
      }
      // The agent takes back its message with stanza id `retracts` (XEP-0424).
      if (context.path === '/__xmpp-files/agent/retract') {
        const { to, id, retracts } = context.query;
        await agent.send(retraction(String(to), String(id), String(retracts)));
        return json({ sent: true });
      }
      if (context.path === '/__xmpp-files/agent/refuse') {
        const { from, body, text } = context.query;
        return json({ refused: await refuse(String(from), String(body), String(text)) });
      }
      return undefined;
    },
    stop: started.stop,
  };
}

export const xmppFilesBridgePlugin = () => lazyBridgePlugin('switchboard-xmpp-files-bridge', '/__xmpp-files', start);
