-- Keyword filters: each account's own, with the contexts they apply in (a comma-separated list
-- of `home`, `notifications`, `public`, `thread`, `account`) and their keywords.
CREATE TABLE filters (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    title      TEXT    NOT NULL,
    context    TEXT    NOT NULL,
    action     TEXT    NOT NULL CHECK (action IN ('warn', 'hide')),
    expires_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX filters_account ON filters (account_id, id);
CREATE TABLE filter_keywords (
    id         INTEGER PRIMARY KEY,
    filter_id  INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword    TEXT    NOT NULL,
    whole_word INTEGER NOT NULL
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);
