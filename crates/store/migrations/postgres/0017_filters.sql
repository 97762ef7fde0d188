-- Keyword filters: each account's own, with the contexts they apply in (a comma-separated list
-- of `home`, `notifications`, `public`, `thread`, `account`) and their keywords.
CREATE TABLE filters (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    title      TEXT   NOT NULL,
    context    TEXT   NOT NULL,
    action     TEXT   NOT NULL CHECK (action IN ('warn', 'hide')),
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX filters_account ON filters (account_id, id);
CREATE TABLE filter_keywords (
    id         BIGINT PRIMARY KEY,
    filter_id  BIGINT  NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword    TEXT    NOT NULL,
    whole_word BOOLEAN NOT NULL
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);
