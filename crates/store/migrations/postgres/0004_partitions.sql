-- Statuses and the event log become partitioned by time (docs/adr/0009-partitions-by-month.md),
-- one partition per calendar month (UTC), so that each index stays the size of a month and an
-- old month can be detached without rewriting anything.
--
-- * `statuses` is partitioned by RANGE of `id`: ids are time-ordered (41 bits of milliseconds
--   since 2024-01-01 above 22 bits of node and sequence), so the ids of a month form one range,
--   and every lookup by id or page of ids prunes to the partitions it needs.
-- * `events` is partitioned by RANGE of `created_at` (milliseconds): its key becomes
--   `(seq, created_at)`, as a partitioned table's unique keys must hold the partition key; `seq`
--   alone stays unique because its identity never hands a number out twice.
--
-- Everything before the month this migration runs in goes to one `_history` partition; the
-- current month gets its own, and the store creates the following months ahead of time
-- (`partitions.rs`, at start-up and hourly). Partition names say their month: `statuses_p202611`.
--
-- A unique index on a partitioned table must contain the partition key, so "one reblog per
-- account and original" moves from a partial unique index on `statuses` to its own table.

CREATE FUNCTION pg_temp.month_start_ms(months_from_now INTEGER) RETURNS BIGINT AS $$
    SELECT (extract(epoch FROM date_trunc('month', now() AT TIME ZONE 'UTC')
            + make_interval(months => months_from_now)) * 1000)::BIGINT
$$ LANGUAGE SQL STABLE;

-- The smallest id generated at `ms` (crates/core/src/id.rs: `Id::floor_at`).
CREATE FUNCTION pg_temp.id_floor(ms BIGINT) RETURNS BIGINT AS $$
    SELECT greatest(ms - 1704067200000, 0) << 22
$$ LANGUAGE SQL IMMUTABLE;

CREATE FUNCTION pg_temp.month_name(months_from_now INTEGER) RETURNS TEXT AS $$
    SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_from_now), 'YYYYMM')
$$ LANGUAGE SQL STABLE;

-- ---- statuses --------------------------------------------------------------------------------

ALTER TABLE status_versions DROP CONSTRAINT status_versions_status_id_fkey;
ALTER TABLE mentions DROP CONSTRAINT mentions_status_id_fkey;
ALTER TABLE status_tags DROP CONSTRAINT status_tags_status_id_fkey;
ALTER TABLE favourites DROP CONSTRAINT favourites_status_id_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_status_id_fkey;
ALTER TABLE home_entries DROP CONSTRAINT home_entries_status_id_fkey;
ALTER TABLE home_merged DROP CONSTRAINT home_merged_status_id_fkey;
ALTER TABLE statuses DROP CONSTRAINT statuses_reblog_of_id_fkey;

ALTER TABLE statuses RENAME TO statuses_unpartitioned;
ALTER TABLE statuses_unpartitioned RENAME CONSTRAINT statuses_pkey TO statuses_unpartitioned_pkey;
DROP INDEX statuses_account, statuses_app, statuses_reblogs, statuses_one_reblog, statuses_replies,
    statuses_public, statuses_replies_to_account;

CREATE TABLE statuses (
    id                     BIGINT  NOT NULL,
    account_id             BIGINT  NOT NULL REFERENCES accounts (id),
    app_id                 BIGINT  REFERENCES apps (id),
    reblog_of_id           BIGINT,
    in_reply_to_id         BIGINT,
    in_reply_to_account_id BIGINT,
    text                   TEXT    NOT NULL DEFAULT '',
    content                TEXT    NOT NULL DEFAULT '',
    spoiler_text           TEXT    NOT NULL DEFAULT '',
    sensitive              BOOLEAN NOT NULL DEFAULT false,
    visibility             TEXT    NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
    language               TEXT,
    created_at             BIGINT  NOT NULL,
    edited_at              BIGINT,
    replies_count          BIGINT  NOT NULL DEFAULT 0,
    reblogs_count          BIGINT  NOT NULL DEFAULT 0,
    favourites_count       BIGINT  NOT NULL DEFAULT 0,
    CONSTRAINT statuses_pkey PRIMARY KEY (id)
) PARTITION BY RANGE (id);

DO $$
BEGIN
    EXECUTE format('CREATE TABLE statuses_history PARTITION OF statuses FOR VALUES FROM (MINVALUE) TO (%s)',
                   pg_temp.id_floor(pg_temp.month_start_ms(0)));
    EXECUTE format('CREATE TABLE %I PARTITION OF statuses FOR VALUES FROM (%s) TO (%s)',
                   'statuses_p' || pg_temp.month_name(0),
                   pg_temp.id_floor(pg_temp.month_start_ms(0)), pg_temp.id_floor(pg_temp.month_start_ms(1)));
END
$$;

INSERT INTO statuses SELECT * FROM statuses_unpartitioned;
DROP TABLE statuses_unpartitioned;

-- The same indexes as before (0001), now one per partition; the reblog rule is below.
ALTER TABLE statuses ADD CONSTRAINT statuses_reblog_of_id_fkey FOREIGN KEY (reblog_of_id) REFERENCES statuses (id);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_app ON statuses (app_id) WHERE app_id IS NOT NULL;
CREATE INDEX statuses_reblogs ON statuses (reblog_of_id, id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_replies ON statuses (in_reply_to_id, id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_public ON statuses (id) WHERE visibility = 'public' AND reblog_of_id IS NULL;
CREATE INDEX statuses_replies_to_account ON statuses (in_reply_to_account_id, account_id, id)
    WHERE in_reply_to_account_id IS NOT NULL;

ALTER TABLE status_versions ADD CONSTRAINT status_versions_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
ALTER TABLE mentions ADD CONSTRAINT mentions_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
ALTER TABLE status_tags ADD CONSTRAINT status_tags_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
ALTER TABLE favourites ADD CONSTRAINT favourites_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
ALTER TABLE home_entries ADD CONSTRAINT home_entries_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
ALTER TABLE home_merged ADD CONSTRAINT home_merged_status_id_fkey
    FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;

-- One reblog per account and original: the reblog claims its row here before its status is
-- written (the foreign key is checked at commit, when both exist), and goes with its status.
CREATE TABLE reblogs (
    reblog_of_id BIGINT NOT NULL,
    account_id   BIGINT NOT NULL,
    status_id    BIGINT NOT NULL UNIQUE
                 REFERENCES statuses (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (reblog_of_id, account_id)
);
INSERT INTO reblogs (reblog_of_id, account_id, status_id)
    SELECT reblog_of_id, account_id, id FROM statuses WHERE reblog_of_id IS NOT NULL;

-- ---- events ----------------------------------------------------------------------------------

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey;
DROP INDEX events_actor, events_subject;

CREATE TABLE events (
    seq            BIGINT  GENERATED ALWAYS AS IDENTITY,
    kind           TEXT    NOT NULL,
    actor_id       BIGINT,
    subject_id     BIGINT,
    schema_version INTEGER NOT NULL,
    payload        JSONB   NOT NULL,
    created_at     BIGINT  NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (seq, created_at)
) PARTITION BY RANGE (created_at);

DO $$
BEGIN
    EXECUTE format('CREATE TABLE events_history PARTITION OF events FOR VALUES FROM (MINVALUE) TO (%s)',
                   pg_temp.month_start_ms(0));
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)',
                   'events_p' || pg_temp.month_name(0), pg_temp.month_start_ms(0), pg_temp.month_start_ms(1));
END
$$;

INSERT INTO events (seq, kind, actor_id, subject_id, schema_version, payload, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT seq, kind, actor_id, subject_id, schema_version, payload, created_at FROM events_unpartitioned;
-- The log goes on from where it was: sequences are never reused.
SELECT setval(pg_get_serial_sequence('events', 'seq'),
              greatest((SELECT max(seq) FROM events_unpartitioned), 1),
              (SELECT max(seq) FROM events_unpartitioned) IS NOT NULL);
DROP TABLE events_unpartitioned;

CREATE INDEX events_actor ON events (actor_id, seq);
CREATE INDEX events_subject ON events (subject_id, seq);
