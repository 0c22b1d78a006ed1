import { createClient } from '/sdk.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const user = params.get('agent') ?? 'alice';
$('agent').value = user;
$('agent').addEventListener('change', () => (location.search = `?agent=${$('agent').value}`));

const login = await (await fetch(`/demo/agent-identity?user=${encodeURIComponent(user)}`)).json();
const client = createClient({ url: location.origin, siteKey: login.siteKey, identity: login.identity });
let current;
const shown = new Set(); // message ids on screen: history and live events may both bring one

function renderList() {
  $('list').replaceChildren(
    ...client.conversations.map((c) => {
      const button = document.createElement('button');
      const visitor = c.participants.find((p) => p !== client.session?.self) ?? c.participants[0];
      button.textContent = `${visitor} · ${c.state}${c.assignee ? '' : ' · queued'} · ${c.lastSeq} msgs`;
      button.setAttribute('aria-current', String(c.id === current));
      button.addEventListener('click', () => select(c.id));
      return button;
    }),
  );
}

function renderMessage(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  const node = document.createElement('div');
  node.className = message.from === client.session?.self ? 'msg mine' : 'msg';
  node.textContent = message.text;
  const meta = document.createElement('small');
  meta.textContent = `${message.from} · ${new Date(message.sentAt).toLocaleTimeString()}`;
  node.append(meta);
  $('log').append(node);
  $('log').scrollTop = $('log').scrollHeight;
}

async function select(id) {
  current = id;
  $('title').textContent = id;
  $('text').disabled = false;
  $('log').replaceChildren();
  shown.clear();
  const { messages } = await client.history(id, { limit: 100 });
  messages.forEach(renderMessage);
  const last = messages.at(-1);
  if (last) client.markRead(id, last.seq).catch(() => {});
  renderList();
}

client.on('state', (state, reason) => ($('state').textContent = state === 'online' ? '' : `(${state}${reason ? `: ${reason}` : ''})`));
client.on('conversation', renderList);
client.on('message', (message) => {
  renderList();
  if (message.conversationId !== current) return;
  renderMessage(message);
  if (message.from !== client.session?.self) client.markRead(current, message.seq).catch(() => {});
});
client.on('typing', (t) => t.conversationId === current && ($('typing').textContent = t.state === 'composing' ? `${t.from} is typing…` : ''));

await client.ready();
await client.listConversations();
renderList();

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value;
  if (!current || !text.trim()) return;
  $('text').value = '';
  client.send(current, text).catch((error) => alert(error.message));
});
$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});
$('close').addEventListener('click', () => current && client.closeConversation(current).then(renderList));
