-- Materialised home timelines (docs/adr/0006-home-timelines-fan-out-in-the-write-transaction.md).
--
-- `home_entries` holds, for each account, the ids of the statuses its home timeline shows: its
-- own statuses and those of the accounts it follows, reblogs included (a reblog's entry is the
-- reblog's own id). The store writes them in the transaction that creates the status (fan-out
-- on write), and removes them when the status is deleted (the cascade) or the follow that put
-- them there ends. `author_id` is the account whose status it is (the reblogger for a reblog).
CREATE TABLE home_entries (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL,
    PRIMARY KEY (account_id, status_id)
) WITHOUT ROWID;
-- Without it, each deleted status would make the cascade scan every entry.
CREATE INDEX home_entries_status ON home_entries (status_id);

-- Statuses written while their author had more followers than the fan-out threshold: not copied
-- to each follower, but merged into the followers' home timelines when those are read. Recorded
-- per status, when it is written, so that crossing the threshold later (either way) or changing
-- it neither hides nor duplicates anything already written.
CREATE TABLE home_merged (
    status_id INTEGER PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL
);
CREATE INDEX home_merged_author ON home_merged (author_id, status_id);

-- Where a trimmed home timeline ends: entries at or below `status_id` were cut away, and the
-- timeline (merged statuses included) shows only what is above it. No row: never trimmed.
CREATE TABLE home_floors (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    status_id  INTEGER NOT NULL
);

-- Following someone brings the replies addressed to them by accounts one already follows into
-- one's home; this finds those replies per followed author.
CREATE INDEX statuses_replies_to_account ON statuses (in_reply_to_account_id, account_id, id)
    WHERE in_reply_to_account_id IS NOT NULL;

-- Backfill, so that an upgraded database is consistent: the same rules as the store's
-- (`crates/store/src/sqlite/home.rs`, `shown!` and `reaches!`), with the default threshold
-- (10,000 followers) and cap (800 entries per account, the rest below a floor).
INSERT INTO home_merged (status_id, author_id)
SELECT s.id, s.account_id FROM statuses s JOIN accounts a ON a.id = s.account_id
WHERE a.followers_count > 10000 AND s.visibility <> 'direct';

CREATE TEMP TABLE home_backfill AS
WITH candidates (account_id, status_id, author_id) AS (
    SELECT s.account_id, s.id, s.account_id FROM statuses s
    UNION ALL
    SELECT f.follower_id, s.id, s.account_id FROM follows f JOIN statuses s ON s.account_id = f.followee_id
    WHERE f.follower_id <> s.account_id AND NOT EXISTS (SELECT 1 FROM home_merged hm WHERE hm.status_id = s.id)
)
SELECT c.account_id, c.status_id, c.author_id,
       ROW_NUMBER() OVER (PARTITION BY c.account_id ORDER BY c.status_id DESC) AS rn
FROM candidates c JOIN statuses s ON s.id = c.status_id
WHERE s.visibility <> 'direct'
  AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id
       OR s.account_id = c.account_id OR s.in_reply_to_account_id = c.account_id
       OR EXISTS (SELECT 1 FROM follows rf WHERE rf.follower_id = c.account_id
                  AND rf.followee_id = s.in_reply_to_account_id))
  AND (s.reblog_of_id IS NULL OR EXISTS (
       SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id
       AND (o.visibility IN ('public', 'unlisted') OR o.account_id = c.account_id
            OR (o.visibility = 'private' AND EXISTS (SELECT 1 FROM follows vf WHERE vf.follower_id = c.account_id
                                                     AND vf.followee_id = o.account_id))
            OR EXISTS (SELECT 1 FROM mentions vm WHERE vm.status_id = o.id AND vm.account_id = c.account_id))));

INSERT INTO home_entries (account_id, status_id, author_id)
SELECT account_id, status_id, author_id FROM temp.home_backfill WHERE rn <= 800;
INSERT INTO home_floors (account_id, status_id)
SELECT account_id, status_id FROM temp.home_backfill WHERE rn = 801;
DROP TABLE temp.home_backfill;
