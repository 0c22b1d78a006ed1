/**
 * Schema migrations, versioned in code: each runs once, in order, in a transaction, and the
 * version is kept in SQLite's `user_version`. Append new steps; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: parties, conversations, messages, outbox, inbound dedupe */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE parties (
    address TEXT PRIMARY KEY,
    site_key TEXT,
    role TEXT NOT NULL,
    name TEXT,
    email TEXT,
    verified INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    site_key TEXT NOT NULL,
    team TEXT,
    assignee TEXT,
    state TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX conversations_by_site ON conversations (site_key, updated_at);
  CREATE INDEX conversations_queue ON conversations (team, state, created_at) WHERE assignee IS NULL;
  CREATE INDEX conversations_by_opener ON conversations (opened_by, state);
  CREATE TABLE participants (
    conversation_id TEXT NOT NULL,
    address TEXT NOT NULL,
    position INTEGER NOT NULL,
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, address)
  ) WITHOUT ROWID;
  CREATE INDEX participants_by_address ON participants (address, conversation_id);
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sender TEXT NOT NULL,
    client_id TEXT,
    text TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX messages_idempotency ON messages (sender, client_id) WHERE client_id IS NOT NULL;
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    network TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    UNIQUE (message_id, recipient)
  );
  CREATE INDEX outbox_due ON outbox (network, id);
  CREATE TABLE inbound_ids (
    network TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (network, remote_id)
  ) WITHOUT ROWID;
  `,
  /* 2: the page a visitor is on */ `
  ALTER TABLE parties ADD COLUMN page_url TEXT;
  `,
  /* 3: agents' open conversations, counted for routing by load and capacity */ `
  CREATE INDEX conversations_by_assignee ON conversations (assignee, state) WHERE assignee IS NOT NULL;
  `,
  /* 4: the visitor's satisfaction rating */ `
  ALTER TABLE conversations ADD COLUMN rating INTEGER;
  ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
  `,
  /* 5: interconnect usage, per day, site and boundary (from network, to network) */ `
  CREATE TABLE usage (
    day TEXT NOT NULL,
    site_key TEXT NOT NULL,
    from_network TEXT NOT NULL,
    to_network TEXT NOT NULL,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (site_key, day, from_network, to_network)
  ) WITHOUT ROWID;
  `,
  /* 6: gateway presence subscriptions: a user of one network follows a user of another */ `
  CREATE TABLE gateway_follows (
    watcher TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (watcher, target)
  ) WITHOUT ROWID;
  CREATE INDEX gateway_follows_by_target ON gateway_follows (target);
  `,
  /* 7: web identities a site vouches for carry their site (web:a_alice -> web:a_alice@shop), so two sites' alices are two parties */ `
  UPDATE participants SET address = address || '@' || (SELECT site_key FROM conversations c WHERE c.id = participants.conversation_id)
    WHERE address GLOB 'web:[uai]_*';
  UPDATE messages SET sender = sender || '@' || (SELECT site_key FROM conversations c WHERE c.id = messages.conversation_id)
    WHERE sender GLOB 'web:[uai]_*';
  UPDATE outbox SET recipient = recipient || '@' || (SELECT c.site_key FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = outbox.message_id)
    WHERE recipient GLOB 'web:[uai]_*';
  UPDATE conversations SET opened_by = opened_by || '@' || site_key WHERE opened_by GLOB 'web:[uai]_*';
  UPDATE conversations SET assignee = assignee || '@' || site_key WHERE assignee GLOB 'web:[uai]_*';
  UPDATE parties SET address = address || '@' || site_key WHERE address GLOB 'web:[uai]_*' AND site_key IS NOT NULL;
  CREATE INDEX parties_idle ON parties (site_key, updated_at) WHERE role = 'visitor' AND verified = 0;
  `,
  /* 8: state a crash must not lose: webhook deliveries not yet made, what webhooks last said of each conversation, offers and their deadlines */ `
  CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    hook TEXT NOT NULL,
    event TEXT NOT NULL,
    site_key TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (hook, seq);
  CREATE TABLE webhook_marks (
    conversation_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    assignee TEXT
  ) WITHOUT ROWID;
  -- What exists now was told before this version (it kept the marks in memory).
  INSERT INTO webhook_marks (conversation_id, state, assignee) SELECT id, state, assignee FROM conversations;
  CREATE TABLE offers (
    conversation_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    declined TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 9: customers an agent blocked, per site (whether they were told, so that they are told once) */ `
  CREATE TABLE blocks (
    site_key TEXT NOT NULL,
    address TEXT NOT NULL,
    blocked_by TEXT NOT NULL,
    blocked_at TEXT NOT NULL,
    told INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_key, address)
  ) WITHOUT ROWID;
  `,
  /* 10: customers subscribed to a team's address on their network (its availability pushed to them after a restart too) */ `
  CREATE TABLE team_subscribers (
    team TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (team, subscriber)
  ) WITHOUT ROWID;
  CREATE INDEX team_subscribers_by_subscriber ON team_subscribers (subscriber);
  `,
  /* 11: what networks keep across restarts (a mailbox's UIDVALIDITY and last UID), a conversation's thread on a network, its subject */ `
  CREATE TABLE network_state (
    network TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (network, key)
  ) WITHOUT ROWID;
  CREATE TABLE conversation_threads (
    conversation_id TEXT NOT NULL,
    network TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (conversation_id, network)
  ) WITHOUT ROWID;
  ALTER TABLE conversations ADD COLUMN subject TEXT;
  `,
  /* 12: contacts: one customer of a site across networks, each address with how and when it was proven, and the merges agents made (to undo them) */ `
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    site_key TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE contact_addresses (
    site_key TEXT NOT NULL,
    address TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    proof TEXT NOT NULL,
    proven_at TEXT NOT NULL,
    PRIMARY KEY (site_key, address)
  ) WITHOUT ROWID;
  CREATE INDEX contact_addresses_by_contact ON contact_addresses (contact_id);
  CREATE TABLE contact_merges (
    id TEXT PRIMARY KEY,
    site_key TEXT NOT NULL,
    into_contact TEXT NOT NULL,
    from_contact TEXT NOT NULL,
    addresses TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    undone_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX contact_merges_by_into ON contact_merges (into_contact);
  CREATE INDEX contact_merges_by_from ON contact_merges (from_contact);
  `,
  /* 13: conversations continued at a visitor's address on another network; the address a message came through */ `
  CREATE TABLE continuations (
    conversation_id TEXT PRIMARY KEY,
    site_key TEXT NOT NULL,
    visitor TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    proof TEXT NOT NULL,
    code_hash TEXT,
    expires_at INTEGER,
    attempts_left INTEGER,
    proven_at TEXT,
    reason TEXT,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX continuations_by_address ON continuations (address, state);
  ALTER TABLE messages ADD COLUMN sent_from TEXT;
  `,
  /* 14: files uploaded to conversations (their bytes in the blob store); the files a message carries */ `
  CREATE TABLE files (
    id TEXT PRIMARY KEY,
    site_key TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    created_at TEXT NOT NULL,
    message_id TEXT,
    blob TEXT NOT NULL,
    thumbnail_blob TEXT
  ) WITHOUT ROWID;
  CREATE INDEX files_by_conversation ON files (conversation_id);
  CREATE INDEX files_by_uploader ON files (site_key, uploaded_by);
  CREATE INDEX files_by_blob ON files (blob);
  CREATE INDEX files_by_thumbnail ON files (thumbnail_blob) WHERE thumbnail_blob IS NOT NULL;
  CREATE INDEX files_unsent ON files (created_at) WHERE message_id IS NULL;
  ALTER TABLE messages ADD COLUMN attachments TEXT;
  `,
  /*
   * 15: round-robin turns of each team's agents (kept across restarts); a webhook delivery's claim
   * (unused by this single-node engine, kept alike with Postgres); the hop marker an inbound gateway
   * message came with
   */ `
  CREATE TABLE offer_turns (
    team TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    PRIMARY KEY (team, agent_id)
  ) WITHOUT ROWID;
  ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
  ALTER TABLE webhook_deliveries ADD COLUMN claimed_until INTEGER;
  ALTER TABLE messages ADD COLUMN via TEXT;
  `,
  /*
   * 16: the agent inbox: every agent's read cursor of a conversation (participant or not); the desk's
   * private notes (never a seq, never an outbox item); the search index of messages, notes and
   * customers, kept by triggers (FTS5 over search_docs, with secure-delete so an erased text does
   * not linger in the index). https://www.sqlite.org/fts5.html#external_content_tables
   */ `
  CREATE TABLE read_cursors (
    conversation_id TEXT NOT NULL,
    reader TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, reader)
  ) WITHOUT ROWID;
  CREATE INDEX read_cursors_by_reader ON read_cursors (reader);
  CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    after_seq INTEGER NOT NULL,
    author TEXT NOT NULL,
    client_id TEXT,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX notes_by_conversation ON notes (conversation_id, created_at);
  CREATE INDEX notes_by_author ON notes (author);
  CREATE UNIQUE INDEX notes_idempotency ON notes (author, client_id) WHERE client_id IS NOT NULL;
  CREATE TABLE search_docs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    site_key TEXT NOT NULL,
    conversation_id TEXT,
    body TEXT NOT NULL,
    UNIQUE (kind, ref)
  );
  CREATE VIRTUAL TABLE search_fts USING fts5(body, content = 'search_docs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
  INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);
  CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
  END;
  CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
  END;
  CREATE TRIGGER messages_search_ai AFTER INSERT ON messages WHEN new.text <> '' BEGIN
    INSERT INTO search_docs (kind, ref, site_key, conversation_id, body)
      SELECT 'message', new.id, c.site_key, new.conversation_id, new.text FROM conversations c WHERE c.id = new.conversation_id;
  END;
  CREATE TRIGGER messages_search_ad AFTER DELETE ON messages BEGIN
    DELETE FROM search_docs WHERE kind = 'message' AND ref = old.id;
  END;
  CREATE TRIGGER notes_search_ai AFTER INSERT ON notes BEGIN
    INSERT INTO search_docs (kind, ref, site_key, conversation_id, body)
      SELECT 'note', new.id, c.site_key, new.conversation_id, new.text FROM conversations c WHERE c.id = new.conversation_id;
  END;
  CREATE TRIGGER notes_search_ad AFTER DELETE ON notes BEGIN
    DELETE FROM search_docs WHERE kind = 'note' AND ref = old.id;
  END;
  CREATE TRIGGER parties_search_ai AFTER INSERT ON parties WHEN new.role = 'visitor' AND new.site_key IS NOT NULL BEGIN
    INSERT INTO search_docs (kind, ref, site_key, body)
      VALUES ('customer', new.address, new.site_key, trim(coalesce(new.name, '') || ' ' || coalesce(new.email, '') || ' ' || new.address));
  END;
  CREATE TRIGGER parties_search_au AFTER UPDATE OF name, email, role, site_key ON parties BEGIN
    DELETE FROM search_docs WHERE kind = 'customer' AND ref = old.address;
    INSERT INTO search_docs (kind, ref, site_key, body)
      SELECT 'customer', new.address, new.site_key, trim(coalesce(new.name, '') || ' ' || coalesce(new.email, '') || ' ' || new.address)
      WHERE new.role = 'visitor' AND new.site_key IS NOT NULL;
  END;
  CREATE TRIGGER parties_search_ad AFTER DELETE ON parties BEGIN
    DELETE FROM search_docs WHERE kind = 'customer' AND ref = old.address;
  END;
  INSERT INTO search_docs (kind, ref, site_key, conversation_id, body)
    SELECT 'message', m.id, c.site_key, m.conversation_id, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.text <> '';
  INSERT INTO search_docs (kind, ref, site_key, body)
    SELECT 'customer', address, site_key, trim(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || address) FROM parties
    WHERE role = 'visitor' AND site_key IS NOT NULL;
  INSERT INTO read_cursors (conversation_id, reader, seq) SELECT conversation_id, address, read_seq FROM participants WHERE read_seq > 0;
  `,
  /*
   * 17: the agent console: its sign-in sessions (only a hash of each id), and per conversation when
   * it closed, its customer's first message and the first agent response (reports)
   */ `
  CREATE TABLE agent_sessions (
    id_hash TEXT PRIMARY KEY,
    site_key TEXT NOT NULL,
    agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX agent_sessions_by_expiry ON agent_sessions (expires_at);
  ALTER TABLE conversations ADD COLUMN closed_at TEXT;
  ALTER TABLE conversations ADD COLUMN first_customer_at TEXT;
  ALTER TABLE conversations ADD COLUMN first_response_at TEXT;
  CREATE INDEX conversations_by_site_created ON conversations (site_key, created_at);
  `,
  /*
   * 18: a console session keeps a fingerprint of its account's password hash: a changed password
   * ends the sessions made with the old one
   */ `
  ALTER TABLE agent_sessions ADD COLUMN password_fingerprint TEXT;
  `,
  /*
   * 19: messages enter the search index in batches (search-indexer.ts), not by a trigger in each
   * message's own commit: FTS5's cost is per transaction (a new segment each), not per row. The
   * indexer reads the messages after the last one it indexed (ids sort in the order they are made);
   * a message deleted before it is indexed has nothing to remove.
   */ `
  DROP TRIGGER messages_search_ai;
  CREATE TABLE search_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_message TEXT NOT NULL
  );
  INSERT INTO search_progress (id, last_message) SELECT 1, coalesce(max(id), '') FROM messages;
  `,
  /* 20: the inbox's views and counts read a site's open conversations, not all it ever had */ `
  CREATE INDEX conversations_by_site_state ON conversations (site_key, state);
  `,
  /*
   * 21: how far each party that left a conversation (an assignee transferred away) had it: a
   * catch-up when it comes back queues only what was said after (its client has the rest)
   */ `
  CREATE TABLE departures (
    conversation_id TEXT NOT NULL,
    party TEXT NOT NULL,
    through_seq INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, party)
  ) WITHOUT ROWID;
  `,
  /*
   * 22: parties joining a conversation on an outbox network, between their assignment and their
   * handover's catch-up: a handover a crash cut short is finished at the next start; and the
   * departures of a party found at once (an erasure)
   */ `
  CREATE TABLE joining (
    conversation_id TEXT NOT NULL,
    party TEXT NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, party)
  ) WITHOUT ROWID;
  CREATE INDEX departures_by_party ON departures (party);
  `,
  /*
   * 23: when each conversation's customer started waiting for an answer, kept on its row as
   * messages are appended: the inbox read it from the messages since the last answer, for every
   * open conversation of a view (inbox-sql.ts)
   */ `
  ALTER TABLE conversations ADD COLUMN awaiting_answer_since TEXT;
  UPDATE conversations SET awaiting_answer_since = (SELECT m.sent_at FROM messages m
    WHERE m.conversation_id = conversations.id AND m.sender = conversations.opened_by
      AND m.seq > coalesce((SELECT d.seq FROM messages d
        WHERE d.conversation_id = conversations.id AND d.sender <> conversations.opened_by AND d.sender NOT LIKE 'team:%' ORDER BY d.seq DESC LIMIT 1), 0)
    ORDER BY m.seq LIMIT 1);
  `,
  /*
   * 24: what a retention sweep or an erasure deletes with each conversation is found by index:
   * inbound ids by their message (a sweep read the whole table for each conversation), a site's
   * contacts by their site; and a site's open conversations come by when they changed, so a list
   * of them needs neither the site's whole history nor a sort
   */ `
  CREATE INDEX inbound_ids_by_message ON inbound_ids (message_id);
  CREATE INDEX contacts_by_site ON contacts (site_key);
  DROP INDEX conversations_by_site_state;
  CREATE INDEX conversations_by_site_state ON conversations (site_key, state, updated_at);
  `,
  /*
   * 25: whether each participant's conversation is open, beside the participant: a party's open
   * conversations (an agent's, and the one two parties share) come by index, not by reading every
   * conversation the party ever took part in
   */ `
  ALTER TABLE participants ADD COLUMN conversation_open INTEGER NOT NULL DEFAULT 1;
  UPDATE participants SET conversation_open = 0 WHERE conversation_id IN (SELECT id FROM conversations WHERE state <> 'open');
  DROP INDEX participants_by_address;
  CREATE INDEX participants_by_address ON participants (address, conversation_open, conversation_id);
  `,
  /*
   * 26: whether a joining party's context line went out: a node that finishes a handover another
   * left unfinished sends it only if it did not (desk/unfinished-handovers.ts)
   */ `
  ALTER TABLE joining ADD COLUMN introduced INTEGER NOT NULL DEFAULT 0;
  `,
  /*
   * 27: the conversation each webhook delivery is about, indexed: the deliveries of a conversation
   * that goes (a retention sweep, an erasure) are found by it, not by reading every waiting body
   */ `
  ALTER TABLE webhook_deliveries ADD COLUMN conversation_id TEXT;
  UPDATE webhook_deliveries SET conversation_id = coalesce(json_extract(body, '$.data.conversationId'), json_extract(body, '$.data.conversation.id'))
    WHERE json_valid(body);
  CREATE INDEX webhook_deliveries_by_conversation ON webhook_deliveries (conversation_id);
  `,
  /*
   * 28: each offer's seq, the conversation's last when it was made: what the agent writes after it
   * answers the offer, even if its expiry is claimed before the desk took the answer up
   */ `
  ALTER TABLE offers ADD COLUMN seq INTEGER;
  `,
  /* 29: the earlier message of the same sender a message corrects (XEP-0308), `Message.corrects` */ `
  ALTER TABLE messages ADD COLUMN corrects TEXT;
  `,
  /* 30: the team a continuation began with, whose address the visitor's own address knows */ `
  ALTER TABLE continuations ADD COLUMN team TEXT;
  `,
  /* 31: the charset of a text file's bytes, found over the whole file (util/text-charset.ts); unset: UTF-8 */ `
  ALTER TABLE files ADD COLUMN charset TEXT;
  `,
  /*
   * 32: the outbox as one tree in each network's queue order (its primary key), its ids given by the
   * store: an item queued, then sent, writes the pages of that tree and of its (message, recipient)
   * index, no longer those of a queue index and of AUTOINCREMENT's counter besides
   */ `
  CREATE TABLE outbox_by_network (
    network TEXT NOT NULL,
    id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    PRIMARY KEY (network, id),
    UNIQUE (message_id, recipient)
  ) WITHOUT ROWID;
  INSERT INTO outbox_by_network (network, id, message_id, recipient, attempts, next_attempt_at, last_error)
    SELECT network, id, message_id, recipient, attempts, next_attempt_at, last_error FROM outbox;
  DROP TABLE outbox;
  ALTER TABLE outbox_by_network RENAME TO outbox;
  `,
  /*
   * 33: no index of a site's conversations by updated_at alone: each message moved the
   * conversation's entry in it, one more page written per message. A site's conversations in every
   * state are read from (site, state, updated_at), state by state (sqlite-store.ts).
   */ `
  DROP INDEX conversations_by_site;
  `,
];
