-- Stories: short-lived posts with their viewers and emoji reactions.
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    views_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX stories_by_account ON stories (account_id, expires_at);
CREATE INDEX stories_by_expiry ON stories (expires_at);

-- One row per viewer other than the author; `id` orders the viewers list.
CREATE TABLE story_views (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    viewed_at INTEGER NOT NULL,
    UNIQUE (story_id, account_id)
);
CREATE INDEX story_views_by_account ON story_views (account_id, story_id);

CREATE TABLE story_reactions (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (story_id, account_id, emoji)
);

-- Chats. `pair_key` ("<lower id>:<higher id>") makes a chat of two unique per pair, even
-- when both ask for it at once; group chats have none.
CREATE TABLE chats (
    id INTEGER PRIMARY KEY,
    created_by INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    is_group BOOLEAN NOT NULL,
    pair_key TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    last_activity_id INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_message_id INTEGER
);

CREATE TABLE chat_members (
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_read_id INTEGER,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, account_id)
);
CREATE INDEX chat_members_by_account ON chat_members (account_id, chat_id);

CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    content TEXT NOT NULL,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX chat_messages_by_chat ON chat_messages (chat_id, id);
CREATE UNIQUE INDEX chat_messages_idempotency ON chat_messages (chat_id, account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
