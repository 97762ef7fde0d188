-- Followed hashtags (`POST /api/v1/tags/:name/follow`): public statuses carrying a tag an account
-- follows reach that account's home timeline. Tags are stored lower-cased, as in status_tags;
-- `id` orders the list of followed tags.
CREATE TABLE tag_follows (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    tag        TEXT    NOT NULL,
    id         INTEGER NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, tag)
) WITHOUT ROWID;
CREATE INDEX tag_follows_tag ON tag_follows (tag, account_id);
CREATE INDEX tag_follows_page ON tag_follows (account_id, id);
