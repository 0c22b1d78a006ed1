import { createClient } from '/sdk.js';

const $ = (id) => document.getElementById(id);
const client = createClient({ url: location.origin, siteKey: 'demo-site' });
const rendered = new Map();
let conversation;

function render(message) {
  const key = message.id ?? `pending:${message.clientId}`;
  let node = rendered.get(key);
  if (!node) {
    node = document.createElement('div');
    rendered.set(key, node);
    $('log').append(node);
  }
  const mine = message.from === client.session?.self || !message.id;
  node.className = mine ? 'msg mine' : 'msg';
  node.textContent = message.text; // text is text: never innerHTML
  const meta = document.createElement('small');
  meta.textContent = message.id ? `${new Date(message.sentAt).toLocaleTimeString()}${mine ? ` · ${message.status ?? ''}` : ''}` : message.state;
  node.append(meta);
  $('log').scrollTop = $('log').scrollHeight;
}

client.on('state', (state, reason) => ($('state').textContent = state === 'online' ? '' : `(${state}${reason ? `: ${reason}` : ''})`));
client.on('team:availability', (a) => ($('availability').textContent = a.available ? "· We're online" : "· We'll reply later"));
client.on('message', (message) => {
  if (message.conversationId !== conversation?.id) return;
  if (message.clientId) {
    rendered.get(`pending:${message.clientId}`)?.remove();
    rendered.delete(`pending:${message.clientId}`);
  }
  render(message);
  if (message.from !== client.session?.self && document.visibilityState === 'visible') client.markRead(message.conversationId, message.seq).catch(() => {});
});
client.on('message:status', (status) => {
  const message = client.messages(status.conversationId).find((m) => m.id === status.id);
  if (message) render({ ...message, status: status.status });
});
client.on('outbox', (entries) => entries.forEach((entry) => render(entry)));
client.on('typing', (t) => ($('typing').textContent = t.state === 'composing' ? 'Support is typing…' : ''));

await client.ready();
const { available } = await client.subscribePresence({ team: 'support' });
$('availability').textContent = available ? "· We're online" : "· We'll reply later";
conversation = await client.openConversation({ team: 'support' });
for (const message of client.messages(conversation.id)) render(message);
for (const entry of client.pending(conversation.id)) render(entry);

let typingTimer;
$('text').addEventListener('input', () => {
  client.typing(conversation.id, 'composing');
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => client.typing(conversation.id, 'paused'), 3000);
});
$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value;
  if (!text.trim()) return;
  $('text').value = '';
  client.typing(conversation.id, 'paused');
  client.send(conversation.id, text).catch((error) => console.warn('not sent:', error.message));
});
