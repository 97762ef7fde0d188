-- Blocks and mutes between accounts. A block hides its two accounts from each other, so it is
-- looked up from either side; a mute only from the muter's.
CREATE TABLE blocks (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    target_id  INTEGER NOT NULL REFERENCES accounts (id),
    id         INTEGER NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, target_id)
) WITHOUT ROWID;
CREATE INDEX blocks_account ON blocks (account_id, id);
CREATE INDEX blocks_target ON blocks (target_id, account_id);
CREATE TABLE mutes (
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    target_id     INTEGER NOT NULL REFERENCES accounts (id),
    id            INTEGER NOT NULL UNIQUE,
    notifications INTEGER NOT NULL,
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, target_id)
) WITHOUT ROWID;
CREATE INDEX mutes_account ON mutes (account_id, id);
