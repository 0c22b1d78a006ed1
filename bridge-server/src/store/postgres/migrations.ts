/**
 * Postgres schema migrations, versioned in code: each runs once, in order, in its own transaction,
 * recorded in `schema_migrations`, under an advisory lock so that nodes starting together migrate
 * once. Append new steps; never edit a released one.
 *
 * The schema is the SQLite engine's as it stands today (its migrations 1-7 folded into one step; a
 * Postgres database never held the older shapes). Times stay ISO-8601 text and identifiers and the
 * columns sorted on use the "C" collation, so comparisons and orderings are byte-wise, as in SQLite.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: meta, parties, conversations, messages, outbox, inbound dedupe, usage, gateway follows */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE parties (
    address TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C",
    role TEXT NOT NULL,
    name TEXT,
    email TEXT,
    verified BOOLEAN NOT NULL DEFAULT false,
    page_url TEXT,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX parties_idle ON parties (site_key, updated_at) WHERE role = 'visitor' AND NOT verified;
  CREATE TABLE conversations (
    id TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C" NOT NULL,
    team TEXT COLLATE "C",
    assignee TEXT COLLATE "C",
    state TEXT NOT NULL,
    opened_by TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    rating INTEGER,
    rating_comment TEXT
  );
  CREATE INDEX conversations_by_site ON conversations (site_key, updated_at);
  CREATE INDEX conversations_queue ON conversations (team, state, created_at) WHERE assignee IS NULL;
  CREATE INDEX conversations_by_opener ON conversations (opened_by, state);
  CREATE INDEX conversations_by_assignee ON conversations (assignee, state) WHERE assignee IS NOT NULL;
  CREATE TABLE participants (
    conversation_id TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    position INTEGER NOT NULL,
    read_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, address)
  );
  CREATE INDEX participants_by_address ON participants (address, conversation_id);
  CREATE TABLE messages (
    id TEXT COLLATE "C" PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL,
    seq INTEGER NOT NULL,
    sender TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C",
    text TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
  );
  CREATE UNIQUE INDEX messages_idempotency ON messages (sender, client_id) WHERE client_id IS NOT NULL;
  CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id TEXT COLLATE "C" NOT NULL,
    recipient TEXT COLLATE "C" NOT NULL,
    network TEXT COLLATE "C" NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    UNIQUE (message_id, recipient)
  );
  CREATE INDEX outbox_due ON outbox (network, id);
  CREATE TABLE inbound_ids (
    network TEXT COLLATE "C" NOT NULL,
    remote_id TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (network, remote_id)
  );
  CREATE TABLE usage (
    day TEXT COLLATE "C" NOT NULL,
    site_key TEXT COLLATE "C" NOT NULL,
    from_network TEXT COLLATE "C" NOT NULL,
    to_network TEXT COLLATE "C" NOT NULL,
    messages BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (site_key, day, from_network, to_network)
  );
  CREATE TABLE gateway_follows (
    watcher TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (watcher, target)
  );
  CREATE INDEX gateway_follows_by_target ON gateway_follows (target);
  `,
  /*
   * 2: state a crash must not lose (SQLite's step 8): webhook deliveries not yet made, what webhooks
   * last said of each conversation, offers and their deadlines. Idle visitors are found by
   * `parties_idle`, which step 1 already made (SQLite's step 7).
   */ `
  CREATE TABLE webhook_deliveries (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    hook TEXT COLLATE "C" NOT NULL,
    event TEXT NOT NULL,
    site_key TEXT COLLATE "C" NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (hook, seq);
  CREATE TABLE webhook_marks (
    conversation_id TEXT COLLATE "C" PRIMARY KEY,
    state TEXT NOT NULL,
    assignee TEXT COLLATE "C"
  );
  -- What exists now was told before this version (it kept the marks in memory).
  INSERT INTO webhook_marks (conversation_id, state, assignee) SELECT id, state, assignee FROM conversations;
  CREATE TABLE offers (
    conversation_id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    declined TEXT[] NOT NULL
  );
  `,
  /* 3: customers an agent blocked, per site, and whether they were told (SQLite's step 9) */ `
  CREATE TABLE blocks (
    site_key TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    blocked_by TEXT NOT NULL,
    blocked_at TEXT COLLATE "C" NOT NULL,
    told BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (site_key, address)
  );
  `,
  /* 4: customers subscribed to a team's address on their network (SQLite's step 10) */ `
  CREATE TABLE team_subscribers (
    team TEXT COLLATE "C" NOT NULL,
    subscriber TEXT COLLATE "C" NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (team, subscriber)
  );
  CREATE INDEX team_subscribers_by_subscriber ON team_subscribers (subscriber);
  `,
  /* 5: what networks keep across restarts, a conversation's thread on a network, its subject (SQLite's step 11) */ `
  CREATE TABLE network_state (
    network TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (network, key)
  );
  CREATE TABLE conversation_threads (
    conversation_id TEXT COLLATE "C" NOT NULL,
    network TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (conversation_id, network)
  );
  ALTER TABLE conversations ADD COLUMN subject TEXT;
  `,
  /* 6: contacts, their addresses with proofs, and the merges agents made (SQLite's step 12) */ `
  CREATE TABLE contacts (
    id TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C" NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE contact_addresses (
    site_key TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    contact_id TEXT COLLATE "C" NOT NULL,
    proof TEXT NOT NULL,
    proven_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (site_key, address)
  );
  CREATE INDEX contact_addresses_by_contact ON contact_addresses (contact_id);
  CREATE TABLE contact_merges (
    id TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C" NOT NULL,
    into_contact TEXT COLLATE "C" NOT NULL,
    from_contact TEXT COLLATE "C" NOT NULL,
    addresses TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    merged_at TEXT COLLATE "C" NOT NULL,
    undone_at TEXT
  );
  CREATE INDEX contact_merges_by_into ON contact_merges (into_contact);
  CREATE INDEX contact_merges_by_from ON contact_merges (from_contact);
  `,
  /* 7: conversations continued at a visitor's address on another network; the address a message came through (SQLite's step 13) */ `
  CREATE TABLE continuations (
    conversation_id TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C" NOT NULL,
    visitor TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    state TEXT NOT NULL,
    proof TEXT NOT NULL,
    code_hash TEXT,
    expires_at BIGINT,
    attempts_left INTEGER,
    proven_at TEXT,
    reason TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX continuations_by_address ON continuations (address, state);
  ALTER TABLE messages ADD COLUMN sent_from TEXT COLLATE "C";
  `,
  /* 8: files uploaded to conversations (their bytes in the blob store); the files a message carries (SQLite's step 14) */ `
  CREATE TABLE files (
    id TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C" NOT NULL,
    uploaded_by TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    width INTEGER,
    height INTEGER,
    created_at TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C",
    blob TEXT COLLATE "C" NOT NULL,
    thumbnail_blob TEXT COLLATE "C"
  );
  CREATE INDEX files_by_conversation ON files (conversation_id);
  CREATE INDEX files_by_uploader ON files (site_key, uploaded_by);
  CREATE INDEX files_by_blob ON files (blob);
  CREATE INDEX files_by_thumbnail ON files (thumbnail_blob) WHERE thumbnail_blob IS NOT NULL;
  CREATE INDEX files_unsent ON files (created_at) WHERE message_id IS NULL;
  ALTER TABLE messages ADD COLUMN attachments TEXT;
  `,
  /* 9: files' bytes in the database (files.storage "database"): one row per blob, its bytes in pieces (postgres-blobs.ts) */ `
  CREATE TABLE blobs (
    key TEXT COLLATE "C" PRIMARY KEY,
    size BIGINT NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    pending_at TIMESTAMPTZ
  );
  CREATE TABLE blob_chunks (
    key TEXT COLLATE "C" NOT NULL,
    n INTEGER NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (key, n)
  );
  `,
  /*
   * 10: named leases of a cluster's nodes (cluster/leases.ts): who runs each network, the fencing token
   * that grows at every change of holder, and when it runs out on the database's clock.
   */ `
  CREATE TABLE leases (
    name TEXT COLLATE "C" PRIMARY KEY,
    holder TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
  );
  `,
  /*
   * 11: state several nodes share (SQLite's step 15): round-robin turns of each team's agents (a
   * sequence, so turns taken at once on two nodes still differ); a webhook delivery's claim (the
   * node sending it, and until when), so two nodes never send one delivery; the hop marker an
   * inbound gateway message came with, for whichever node sends it on.
   */ `
  CREATE SEQUENCE offer_turn_seq;
  CREATE TABLE offer_turns (
    team TEXT COLLATE "C" NOT NULL,
    agent_id TEXT COLLATE "C" NOT NULL,
    turn BIGINT NOT NULL,
    PRIMARY KEY (team, agent_id)
  );
  ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT, ADD COLUMN claimed_until BIGINT;
  ALTER TABLE messages ADD COLUMN via TEXT;
  `,
  /*
   * 12: the agent inbox (SQLite's step 16): every agent's read cursor of a conversation (participant
   * or not); the desk's private notes (never a seq, never an outbox item). Search reads the tables
   * themselves (ILIKE), so there is no index to keep or to erase from.
   */ `
  CREATE TABLE read_cursors (
    conversation_id TEXT COLLATE "C" NOT NULL,
    reader TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, reader)
  );
  CREATE INDEX read_cursors_by_reader ON read_cursors (reader);
  CREATE TABLE notes (
    id TEXT COLLATE "C" PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL,
    after_seq BIGINT NOT NULL,
    author TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C",
    text TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX notes_by_conversation ON notes (conversation_id, created_at);
  CREATE INDEX notes_by_author ON notes (author);
  CREATE UNIQUE INDEX notes_idempotency ON notes (author, client_id) WHERE client_id IS NOT NULL;
  INSERT INTO read_cursors (conversation_id, reader, seq) SELECT conversation_id, address, read_seq FROM participants WHERE read_seq > 0;
  `,
  /*
   * 13: the agent console (SQLite's step 17): its sign-in sessions, shared by every node (only a
   * hash of each id), and per conversation when it closed, its customer's first message and the
   * first agent response (reports)
   */ `
  CREATE TABLE agent_sessions (
    id_hash TEXT COLLATE "C" PRIMARY KEY,
    site_key TEXT COLLATE "C" NOT NULL,
    agent TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX agent_sessions_by_expiry ON agent_sessions (expires_at);
  ALTER TABLE conversations ADD COLUMN closed_at TEXT COLLATE "C", ADD COLUMN first_customer_at TEXT COLLATE "C", ADD COLUMN first_response_at TEXT COLLATE "C";
  CREATE INDEX conversations_by_site_created ON conversations (site_key, created_at);
  `,
  /*
   * 14 (SQLite's step 18): a console session keeps a fingerprint of its account's password hash: a
   * changed password ends the sessions made with the old one
   */ `
  ALTER TABLE agent_sessions ADD COLUMN password_fingerprint TEXT COLLATE "C";
  `,
  /* 15 (SQLite's step 20): the inbox's views and counts read a site's open conversations, not all it ever had */ `
  CREATE INDEX conversations_by_site_state ON conversations (site_key, state);
  `,
  /*
   * 16: parties joining a conversation on an outbox network, between their assignment and their
   * handover's catch-up, seen by every node's appends; and a count of the changes to each conversation's participants and joining parties
   * (an append reads them before it holds the conversation's row, then checks the count there)
   */ `
  ALTER TABLE conversations ADD COLUMN roster INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE joining (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    party TEXT COLLATE "C" NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, party)
  );
  `,
  /*
   * 17 (SQLite's step 21): how far each party that left a conversation (an assignee transferred
   * away) had it: a catch-up when it comes back queues only what was said after
   */ `
  CREATE TABLE departures (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    party TEXT COLLATE "C" NOT NULL,
    through_seq INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, party)
  );
  `,
  /*
   * 18 (SQLite's step 22): a joining mark now holds its party back until a catch-up removes it or
   * its handover is finished by another node; marks older than 30 s were left by handovers that
   * never ended, and their parties have been sent messages directly since, so they go. And the
   * departures of a party found at once (an erasure).
   */ `
  DELETE FROM joining WHERE since <= (extract(epoch from clock_timestamp()) * 1000)::bigint - 30000;
  CREATE INDEX departures_by_party ON departures (party);
  `,
  /*
   * 19 (SQLite's step 23): when each conversation's customer started waiting for an answer, kept
   * on its row as messages are appended: the inbox read it from the messages since the last
   * answer, for every open conversation of a view (inbox-sql.ts)
   */ `
  ALTER TABLE conversations ADD COLUMN awaiting_answer_since TEXT COLLATE "C";
  UPDATE conversations SET awaiting_answer_since = (SELECT m.sent_at FROM messages m
    WHERE m.conversation_id = conversations.id AND m.sender = conversations.opened_by
      AND m.seq > coalesce((SELECT d.seq FROM messages d
        WHERE d.conversation_id = conversations.id AND d.sender <> conversations.opened_by AND d.sender NOT LIKE 'team:%' ORDER BY d.seq DESC LIMIT 1), 0)
    ORDER BY m.seq LIMIT 1);
  `,
  /*
   * 20 (SQLite's step 24): what a retention sweep or an erasure deletes with each conversation is
   * found by index: inbound ids by their message, a site's contacts by their site; and a site's open
   * conversations come by when they changed
   */ `
  CREATE INDEX inbound_ids_by_message ON inbound_ids (message_id);
  CREATE INDEX contacts_by_site ON contacts (site_key);
  DROP INDEX conversations_by_site_state;
  CREATE INDEX conversations_by_site_state ON conversations (site_key, state, updated_at);
  `,
  /*
   * 21 (SQLite's step 25): whether each participant's conversation is open, beside the participant:
   * a party's open conversations come by index, not by reading every conversation the party ever
   * took part in
   */ `
  ALTER TABLE participants ADD COLUMN conversation_open BOOLEAN NOT NULL DEFAULT true;
  UPDATE participants SET conversation_open = false WHERE conversation_id IN (SELECT id FROM conversations WHERE state <> 'open');
  DROP INDEX participants_by_address;
  CREATE INDEX participants_by_address ON participants (address, conversation_open, conversation_id);
  `,
  /*
   * 22 (SQLite's step 26): whether a joining party's context line went out: a node that finishes a
   * handover another left unfinished sends it only if it did not
   */ `
  ALTER TABLE joining ADD COLUMN introduced BOOLEAN NOT NULL DEFAULT false;
  `,
  /*
   * 23 (SQLite's step 27): the conversation each webhook delivery is about, indexed: the deliveries
   * of a conversation that goes are found by it, not by reading every waiting body
   */ `
  ALTER TABLE webhook_deliveries ADD COLUMN conversation_id TEXT COLLATE "C";
  -- Row by row: a body jsonb cannot read (not JSON, or an escaped NUL in it) stays without one, found
  -- by its body as before, and does not stop the upgrade.
  DO $$
  DECLARE
    delivery record;
    data jsonb;
  BEGIN
    FOR delivery IN SELECT seq, body FROM webhook_deliveries LOOP
      BEGIN
        data := delivery.body::jsonb -> 'data';
        UPDATE webhook_deliveries SET conversation_id = coalesce(data ->> 'conversationId', data #>> '{conversation,id}') WHERE seq = delivery.seq;
      EXCEPTION WHEN others THEN
        NULL;
      END;
    END LOOP;
  END
  $$;
  CREATE INDEX webhook_deliveries_by_conversation ON webhook_deliveries (conversation_id);
  `,
  /* 24: each offer's seq, the conversation's last when it was made (SQLite's step 28) */ `
  ALTER TABLE offers ADD COLUMN seq BIGINT;
  `,
  /* 25: the earlier message of the same sender a message corrects (SQLite's step 29) */ `
  ALTER TABLE messages ADD COLUMN corrects TEXT;
  `,
  /* 26: the team a continuation began with (SQLite's step 30) */ `
  ALTER TABLE continuations ADD COLUMN team TEXT;
  `,
  /* 27: the charset of a text file's bytes (SQLite's step 31) */ `
  ALTER TABLE files ADD COLUMN charset TEXT;
  `,
];
