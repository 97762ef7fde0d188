-- Requests to follow a locked account, until it approves (a follow) or rejects them.
CREATE TABLE follow_requests (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    target_id  INTEGER NOT NULL REFERENCES accounts (id),
    id         INTEGER NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, target_id)
) WITHOUT ROWID;
CREATE INDEX follow_requests_target ON follow_requests (target_id, id);

-- A request notifies its target (`follow_request`). SQLite cannot change a CHECK constraint in
-- place, so the notifications table is rebuilt with its rows and indexes.
CREATE TABLE notifications_new (
    id              INTEGER PRIMARY KEY,
    recipient_id    INTEGER NOT NULL,
    kind            TEXT    NOT NULL
                    CHECK (kind IN ('mention', 'reblog', 'follow', 'favourite', 'update', 'status', 'follow_request')),
    from_account_id INTEGER NOT NULL,
    status_id       INTEGER,
    event_seq       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (recipient_id, event_seq)
);
INSERT INTO notifications_new SELECT id, recipient_id, kind, from_account_id, status_id, event_seq, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
CREATE INDEX notifications_status ON notifications (status_id) WHERE status_id IS NOT NULL;
CREATE INDEX notifications_from ON notifications (from_account_id, kind);
