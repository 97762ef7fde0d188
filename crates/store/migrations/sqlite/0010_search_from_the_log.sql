-- The full-text index is kept from the event log, in batches, instead of by triggers in every
-- write: indexing each status inside its transaction cost the single writer a quarter of its
-- throughput (docs/benchmarks.md). The index no longer stores the text (`content = ''`), and
-- `contentless_delete` lets it forget a deleted status without being told its old text.
DROP TRIGGER statuses_fts_insert;
DROP TRIGGER statuses_fts_delete;
DROP TRIGGER statuses_fts_update;
DROP TABLE statuses_fts;
CREATE VIRTUAL TABLE statuses_fts USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO statuses_fts (rowid, text) SELECT id, text FROM statuses WHERE reblog_of_id IS NULL;
-- Everything logged so far is in the index now.
INSERT OR REPLACE INTO consumer_offsets (consumer, seq) SELECT 'search', COALESCE(MAX(seq), 0) FROM events;
