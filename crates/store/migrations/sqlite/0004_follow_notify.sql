-- Followers may ask to be notified of every new post of an account (`notify` on follow), which
-- adds the `status` kind of notification. SQLite cannot change a CHECK constraint in place, so the
-- notifications table is rebuilt with its rows and indexes.
ALTER TABLE follows ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
CREATE INDEX follows_notify ON follows (followee_id) WHERE notify = 1;

CREATE TABLE notifications_new (
    id              INTEGER PRIMARY KEY,
    recipient_id    INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('mention', 'reblog', 'follow', 'favourite', 'update', 'status')),
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
