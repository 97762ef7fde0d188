-- Reports of accounts (and some of their statuses) to the operators. The status ids are a JSON
-- array: a report keeps naming what it was about, even after a status is deleted.
CREATE TABLE reports (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts (id),
    target_account_id INTEGER NOT NULL REFERENCES accounts (id),
    status_ids        TEXT    NOT NULL,
    comment           TEXT    NOT NULL,
    category          TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    resolved_at       INTEGER
);
CREATE INDEX reports_open ON reports (resolved_at, id);
