// The demo's web agent console, on the headless SDK with the agent role. The demo server vouches
// for the demo agents (a real site signs its agents' identity after its own login).
import { LIMITS, createClient } from '/sdk.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const user = params.get('agent') ?? 'alice';
$('agent').value = user;
$('agent').addEventListener('change', () => (location.search = `?agent=${$('agent').value}`));

const login = await (await fetch(`/demo/agent-identity?user=${encodeURIComponent(user)}`)).json();
const client = createClient({ url: location.origin, siteKey: login.siteKey, identity: login.identity });
const unread = new Map(); // conversation id -> messages from others not seen yet
const details = new Map(); // visitor address -> party details
const shown = new Set(); // message ids on screen: history and live events may both bring one
let current;

const visitorOf = (conversation) => conversation.participants.find((p) => !p.startsWith('web:a_')) ?? conversation.participants[0];
const nameOf = (address) => details.get(address)?.name ?? address.replace(/^[a-z][a-z0-9-]*:/, '');
// The customer's network and address: `XMPP · carol@example.com` for one who wrote (or was written to) there.
const NETWORKS = { web: 'Web', xmpp: 'XMPP', sip: 'SIP', irc: 'IRC' };
const whereOf = (address) => {
  const scheme = address.slice(0, address.indexOf(':'));
  return `${NETWORKS[scheme] ?? scheme.toUpperCase()} · ${address.slice(scheme.length + 1)}`;
};

async function loadDetails(address) {
  if (details.has(address)) return details.get(address);
  const party = await client.getParty(address).catch(() => null);
  if (party) details.set(address, party);
  return party;
}

function renderList() {
  const items = client.conversations.map((c) => {
    const button = document.createElement('button');
    const visitor = visitorOf(c);
    const count = unread.get(c.id) ?? 0;
    button.textContent = `${nameOf(visitor)} · ${whereOf(visitor).split(' · ')[0]} · ${c.state}${c.assignee ? '' : ' · queued'}`;
    button.title = whereOf(visitor);
    if (count > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(count);
      badge.setAttribute('aria-label', `${count} unread`);
      button.append(' ', badge);
    }
    button.setAttribute('aria-current', String(c.id === current));
    button.addEventListener('click', () => select(c.id));
    return button;
  });
  $('list').replaceChildren(...items);
  if (items.length === 0) $('list').textContent = 'No conversations yet: open the shop page and say hello.';
}

function renderMessage(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  const node = document.createElement('div');
  const mine = message.from === client.session?.self;
  node.className = mine ? 'msg mine' : 'msg';
  node.textContent = message.text; // text is text: never innerHTML
  if (message.attachments?.length) node.append(renderFiles(message.attachments));
  const meta = document.createElement('small');
  // A visitor writing from the IM client they continue on: still theirs, and where it came from.
  const via = message.sentFrom ? ` · sent from ${message.sentFrom}` : '';
  meta.textContent = `${mine ? 'You' : nameOf(message.from)} · ${new Date(message.sentAt).toLocaleTimeString()}${via}`;
  node.append(meta);
  node.dataset.seq = String(message.seq);
  const after = [...$('log').children].find((child) => Number(child.dataset.seq) > message.seq);
  $('log').insertBefore(node, after ?? null);
  $('log').scrollTop = $('log').scrollHeight;
}

async function renderDetails(conversation) {
  const party = await loadDetails(visitorOf(conversation));
  const rows = [
    ['Visitor', party?.name ?? visitorOf(conversation)],
    ['Network', whereOf(visitorOf(conversation))],
    ['Email', party?.email ?? '—'],
    ['Page', party?.pageUrl ?? '—'],
    ['Identity', party?.verified ? 'verified by the site' : 'not verified'],
  ];
  $('details').replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  $('details').hidden = false;
}

async function select(id) {
  current = id;
  const conversation = client.conversations.find((c) => c.id === id);
  $('title').textContent = nameOf(visitorOf(conversation));
  $('text').disabled = false;
  $('attach').disabled = false;
  clearFiles();
  $('close').disabled = conversation.state === 'closed';
  updateDesk(conversation);
  $('log').replaceChildren();
  $('typing').textContent = '';
  shown.clear();
  unread.set(id, 0);
  renderList();
  await renderDetails(conversation);
  renderContinuation(client.continuation(id));
  $('invite').disabled = conversation.state === 'closed' || !visitorOf(conversation).startsWith('web:');
  void loadContact(conversation);
  $('title').textContent = nameOf(visitorOf(conversation));
  const { messages } = await client.history(id, { limit: 100 });
  messages.forEach(renderMessage);
  const last = messages.at(-1);
  if (last && last.from !== client.session?.self) client.markRead(id, last.seq).catch(() => {});
  $('text').focus();
}

client.on('state', (state, reason) => ($('state').textContent = state === 'online' ? '● online' : `(${state}${reason ? `: ${reason}` : ''})`));
client.on('conversation', async (conversation) => {
  await loadDetails(visitorOf(conversation));
  renderList();
  if (conversation.id === current) {
    $('close').disabled = conversation.state === 'closed';
    updateDesk(conversation);
  }
});
client.on('message', (message) => {
  const mine = message.from === client.session?.self;
  if (message.conversationId === current) {
    renderMessage(message);
    $('typing').textContent = '';
    if (!mine && document.visibilityState === 'visible') client.markRead(current, message.seq).catch(() => {});
  } else if (!mine) {
    unread.set(message.conversationId, (unread.get(message.conversationId) ?? 0) + 1);
  }
  renderList();
});
client.on('continuation', (continuation) => {
  if (continuation.conversationId === current) renderContinuation(continuation);
});
client.on('typing', (t) => {
  if (t.conversationId === current) $('typing').textContent = t.state === 'composing' ? `${nameOf(t.from)} is typing…` : '';
});

await client.ready();
await client.listConversations();
await Promise.all(client.conversations.map((c) => loadDetails(visitorOf(c))));
renderList();

let typingTimer;
$('text').addEventListener('input', () => {
  if (!current) return;
  client.typing(current, 'composing');
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => client.typing(current, 'paused'), 3000);
});
$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value;
  const files = chosen.flatMap((entry) => (entry.uploaded ? [entry.uploaded] : []));
  if (!current || (!text.trim() && files.length === 0) || chosen.some((entry) => !entry.uploaded)) return;
  $('text').value = '';
  clearFiles();
  clearTimeout(typingTimer);
  client.typing(current, 'paused');
  client.send(current, text, { attachments: files }).catch((error) => alert(error.message));
});

// Files (docs/protocol.md, "Files"): what visitors send shows as an image preview or a file to
// download; the agent answers with files uploaded into the conversation, then sent with the reply.
const sizeOf = (bytes) => (bytes < 1000 ? `${bytes} B` : bytes < 1e6 ? `${(bytes / 1e3).toFixed(0)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);
/** A link is asked again when it has less than this left (links last an hour): one opened now still works. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * A real link to the file in a new tab: its signed link is asked ahead and renewed when a pointer
 * or the focus reaches it near its expiry. A `window.open` after an awaited round trip would be
 * taken for a popup and blocked (Safari, iOS).
 */
function fileLink(file, label) {
  const anchor = Object.assign(document.createElement('a'), { className: 'file', target: '_blank', rel: 'noopener noreferrer', tabIndex: 0 });
  anchor.setAttribute('aria-label', label);
  let expires = 0;
  let asking = false;
  const renew = () => {
    if (asking || expires - RENEW_BEFORE_MS > Date.now()) return;
    asking = true;
    client
      .fileLink(file.id)
      .then(
        ({ url, expiresAt }) => {
          anchor.href = url;
          expires = Date.parse(expiresAt);
        },
        (error) => ($('answer').textContent = error.message),
      )
      .finally(() => (asking = false));
  };
  renew();
  anchor.addEventListener('pointerdown', renew);
  anchor.addEventListener('focus', renew);
  // Not there yet, or expired (a console left open for hours): ask a new one rather than open a dead link.
  anchor.addEventListener('click', (event) => {
    if (expires > Date.now()) return;
    event.preventDefault();
    renew();
  });
  return anchor;
}

function renderFiles(files) {
  const list = document.createElement('div');
  list.className = 'files';
  for (const file of files) {
    const size = sizeOf(file.size);
    if (file.width) {
      const link = fileLink(file, `Open image ${file.name} (${size})`);
      const img = Object.assign(document.createElement('img'), { alt: file.name });
      link.append(img);
      client.fileLink(file.id, 'thumbnail').then(
        ({ url }) => (img.src = url),
        () => link.replaceChildren(`${file.name} (${size})`),
      );
      list.append(link);
    } else {
      const link = fileLink(file, `Download ${file.name} (${size})`);
      link.textContent = `${file.name} (${size})`;
      list.append(link);
    }
  }
  return list;
}

// Files chosen for the reply: each uploads at once into the conversation shown; leaving it (or
// removing the file) stops the upload, and only the conversation still shown hears of a refusal.
let chosen = []; // { file, conversationId, abort, uploaded?, progress }
function clearFiles() {
  for (const entry of chosen) entry.abort.abort();
  chosen = [];
  $('files').replaceChildren();
  $('file-error').textContent = '';
}
function renderChosen() {
  $('files').replaceChildren(
    ...chosen.map((entry) => {
      const li = item(`${entry.file.name} (${sizeOf(entry.file.size)}) `);
      if (!entry.uploaded) {
        entry.progress.setAttribute('aria-label', `Uploading ${entry.file.name}`);
        li.append(entry.progress);
      }
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: '×' });
      remove.setAttribute('aria-label', `Remove ${entry.file.name}`);
      remove.addEventListener('click', () => {
        entry.abort.abort();
        chosen = chosen.filter((other) => other !== entry);
        renderChosen();
        $('text').focus();
      });
      li.append(remove);
      return li;
    }),
  );
}
function upload(entry) {
  client
    .uploadFile(entry.conversationId, entry.file, {
      signal: entry.abort.signal,
      onProgress: (sent, total) => (entry.progress.value = total ? (sent / total) * 100 : 0),
    })
    .then((uploaded) => (entry.uploaded = uploaded))
    .catch((error) => {
      if (!chosen.includes(entry)) return; // removed, sent or left meanwhile
      chosen = chosen.filter((other) => other !== entry);
      $('file-error').textContent = `Could not attach ${entry.file.name}: ${error.message}`;
    })
    .finally(() => chosen.includes(entry) && renderChosen());
}
$('attach').addEventListener('click', () => $('file-input').click());
$('file-input').addEventListener('change', () => {
  $('file-error').textContent = '';
  for (const file of $('file-input').files ?? []) {
    if (chosen.length >= LIMITS.maxMessageAttachments) {
      $('file-error').textContent = `You can send at most ${LIMITS.maxMessageAttachments} files at once.`;
      break;
    }
    const entry = {
      file,
      conversationId: current,
      abort: new AbortController(),
      progress: Object.assign(document.createElement('progress'), { max: 100, value: 0 }),
    };
    chosen.push(entry);
    upload(entry);
  }
  $('file-input').value = '';
  renderChosen();
});
$('close').addEventListener('click', () => current && client.closeConversation(current).then(renderList));

// Desk actions: the same commands agents send from XMPP, IRC or SIP (docs/support-desk.md).
const refOf = (id) => id.slice(-5).toLowerCase();
async function run(command) {
  try {
    $('answer').textContent = await client.command(command);
  } catch (error) {
    $('answer').textContent = error.message;
  }
}
function updateDesk(conversation) {
  const open = conversation.state === 'open';
  $('claim').disabled = !open || conversation.assignee !== undefined;
  $('transfer').disabled = !open;
  $('canned').disabled = $('send-canned').disabled = !open || $('canned').options.length <= 1;
}
$('claim').addEventListener('click', () => current && run(`/claim ${refOf(current)}`));
$('transfer').addEventListener('click', () => current && $('transfer-to').value.trim() && run(`/transfer ${refOf(current)} ${$('transfer-to').value.trim()}`));
$('send-canned').addEventListener('click', () => current && $('canned').value && run(`/canned ${$('canned').value} ${refOf(current)}`));
$('command-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const command = $('command').value.trim();
  if (command) run(command.startsWith('/') ? command : `/${command}`);
});
$('away').addEventListener('click', async () => {
  const away = $('away').getAttribute('aria-pressed') !== 'true';
  await run(away ? '/away' : '/back');
  $('away').setAttribute('aria-pressed', String(away));
  $('away').textContent = away ? 'Come back' : 'Go away';
});
// The canned replies the agent's teams have (the answer to /canned lists them).
client
  .command('/canned')
  .then((answer) => {
    const names = /^Canned replies: (.*)$/.exec(answer)?.[1]?.split(', ') ?? [];
    $('canned').append(...names.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })));
  })
  .catch(() => {});

// Outreach: start a conversation of a team with a customer on their network (docs/customers.md, "Outreach").
$('outreach').addEventListener('submit', async (event) => {
  event.preventDefault();
  const to = $('outreach-to').value.trim();
  const team = $('outreach-team').value.trim();
  const text = $('outreach-text').value.trim();
  if (!to || !team) return;
  try {
    const conversation = await client.reachOut({ to, team, ...(text ? { text } : {}) });
    $('outreach-text').value = '';
    $('answer').textContent = `Started with ${whereOf(conversation.participants[0])}.`;
    await loadDetails(conversation.participants[0]);
    await select(conversation.id);
  } catch (error) {
    $('answer').textContent = error.message;
  }
});

// The customer across networks (docs/customers.md, "Contacts"): the visitor's proven addresses,
// their past conversations from any of them, merges and their undo; and where the visitor continues.
let contact;
const item = (text, ...children) => {
  const li = document.createElement('li');
  li.append(text, ...children);
  return li;
};
const when = (iso) => new Date(iso).toLocaleString();
const PROOFS = {
  session: 'this widget session',
  identity: "the site's signed identity",
  code: 'a code sent there',
  reply: 'a reply from there',
  network: 'the network vouches for it',
  wrote: 'wrote from it (unverified)',
  merge: 'merged by an agent',
};

function renderContact(shownContact) {
  contact = shownContact;
  $('contact-title').textContent = contact.name ? `Contact ${contact.name} (${contact.id})` : `Contact ${contact.id}`;
  $('contact-addresses').replaceChildren(...contact.addresses.map((a) => item(`${whereOf(a.address)} · ${PROOFS[a.proof] ?? a.proof} · ${when(a.provenAt)}`)));
  $('contact-conversations').replaceChildren(
    ...contact.conversations.map((c) => {
      const label = `${refOf(c.id)} · ${whereOf(c.address).split(' · ')[0]} · ${c.state} · ${when(c.createdAt)}${c.subject ? ` · ${c.subject}` : ''}`;
      if (c.id === current || !client.conversations.some((known) => known.id === c.id)) return item(label);
      const open = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Open' });
      open.addEventListener('click', () => select(c.id));
      return item(`${label} `, open);
    }),
  );
  $('contact-merges').replaceChildren(
    ...contact.merges.map((merge) => {
      const undo = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Undo merge' });
      undo.addEventListener('click', () => unmerge(merge.id));
      return item(`Merged ${merge.addresses.join(', ')} (${nameOf(merge.by)}, ${when(merge.at)}) `, undo);
    }),
  );
  $('contact').hidden = false;
}

async function loadContact(conversation) {
  contact = undefined;
  for (const list of ['contact-addresses', 'contact-conversations', 'contact-merges']) $(list).replaceChildren();
  $('contact-title').textContent = 'Contact';
  $('contact').hidden = false;
  try {
    const shownContact = await client.getContact({ address: visitorOf(conversation) });
    if (conversation.id === current) renderContact(shownContact);
  } catch (error) {
    if (conversation.id === current) $('contact-title').textContent = `Contact: ${error.message}`;
  }
}

function renderContinuation(continuation) {
  const text = {
    pending: (c) => `Visitor asked to continue on ${c.address}: waiting for the ${c.proof === 'code' ? 'code' : 'reply'}.`,
    active: (c) => `Visitor continues on ${c.address} (proven ${when(c.provenAt)}): your replies reach it too.`,
    stopped: (c) => `Visitor no longer continues on ${c.address} (${c.reason ?? 'stopped'}).`,
  };
  $('continuation').textContent = continuation ? text[continuation.state](continuation) : '';
}

$('merge').addEventListener('submit', async (event) => {
  event.preventDefault();
  const other = $('merge-from').value.trim();
  if (!contact || !other) return;
  try {
    const from = other.includes(':') ? (await client.getContact({ address: other })).id : other;
    const { contact: merged, mergeId } = await client.mergeContacts(from, contact.id);
    $('merge-from').value = '';
    renderContact(merged);
    $('answer').textContent = `Merged (merge ${mergeId}): Undo merge puts it back.`;
  } catch (error) {
    $('answer').textContent = error.message;
  }
});

async function unmerge(mergeId) {
  try {
    const contacts = await client.unmergeContacts(mergeId);
    renderContact(contacts.find((c) => c.id === contact.id) ?? contacts[0]);
    $('answer').textContent = `Merge undone: ${contacts.map((c) => c.id).join(' and ')} are apart again.`;
  } catch (error) {
    $('answer').textContent = error.message;
  }
}

$('invite').addEventListener('click', async () => {
  if (!current) return;
  try {
    const offer = await client.inviteToContinue(current, $('invite-network').value);
    $('answer').textContent = `Invited the visitor to continue on ${offer.network}.`;
  } catch (error) {
    $('answer').textContent = error.message;
  }
});
