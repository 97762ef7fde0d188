-- Blocks and mutes between accounts. A block hides its two accounts from each other, so it is
-- looked up from either side; a mute only from the muter's.
CREATE TABLE blocks (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    target_id  BIGINT NOT NULL REFERENCES accounts (id),
    id         BIGINT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_id)
);
CREATE INDEX blocks_account ON blocks (account_id, id);
CREATE INDEX blocks_target ON blocks (target_id, account_id);
CREATE TABLE mutes (
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    target_id     BIGINT NOT NULL REFERENCES accounts (id),
    id            BIGINT NOT NULL UNIQUE,
    notifications BOOLEAN NOT NULL,
    expires_at    BIGINT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_id)
);
CREATE INDEX mutes_account ON mutes (account_id, id);
