-- Requests to follow a locked account, until it approves (a follow) or rejects them.
CREATE TABLE follow_requests (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    target_id  BIGINT NOT NULL REFERENCES accounts (id),
    id         BIGINT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_id)
);
CREATE INDEX follow_requests_target ON follow_requests (target_id, id);

-- A request notifies its target (`follow_request`).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'reblog', 'follow', 'favourite', 'update', 'status', 'follow_request'));
