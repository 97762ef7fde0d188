-- Bookmarks (private to the account) and statuses pinned to their author's profile. Both go
-- with their status.
CREATE TABLE bookmarks (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, status_id)
) WITHOUT ROWID;
CREATE INDEX bookmarks_account ON bookmarks (account_id, id);
CREATE INDEX bookmarks_status ON bookmarks (status_id);
CREATE TABLE pins (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, status_id)
) WITHOUT ROWID;
CREATE INDEX pins_status ON pins (status_id);
