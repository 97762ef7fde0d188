-- The answers of requests sent with an Idempotency-Key, replayed to their retries for a day.
-- A row without a status is a claim whose request is still running (or died with its node:
-- it is taken over once stale). Statuses keep their own keys too (idempotency_keys), written
-- with the status itself, so that not even a crash between the two writes duplicates a post.
CREATE TABLE idempotent_requests (
    scope        TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    fingerprint  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         BYTEA,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotent_requests_created ON idempotent_requests (created_at);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
