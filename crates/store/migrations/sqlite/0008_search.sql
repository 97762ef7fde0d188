-- Full-text search over what authors wrote (reblogs have no text of their own). The index is an
-- FTS5 table over `statuses.text`, kept by triggers in each write's transaction, so a status is
-- searchable the moment it is committed. No stemming and no folding of accents, as PostgreSQL's
-- `simple` configuration: words match as written, whatever their case.
CREATE VIRTUAL TABLE statuses_fts USING fts5(
    text,
    content = 'statuses',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO statuses_fts (rowid, text) SELECT id, text FROM statuses WHERE reblog_of_id IS NULL;

CREATE TRIGGER statuses_fts_insert AFTER INSERT ON statuses WHEN new.reblog_of_id IS NULL BEGIN
    INSERT INTO statuses_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER statuses_fts_delete AFTER DELETE ON statuses WHEN old.reblog_of_id IS NULL BEGIN
    INSERT INTO statuses_fts (statuses_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER statuses_fts_update AFTER UPDATE OF text ON statuses WHEN old.reblog_of_id IS NULL BEGIN
    INSERT INTO statuses_fts (statuses_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO statuses_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Display names are searched by prefix, case-insensitively.
CREATE INDEX accounts_display_name ON accounts (display_name COLLATE NOCASE);
