-- Leases: time-limited claims on work shared by the nodes of one deployment (a node id, a
-- worker such as the notifier). A row whose `expires_at` has passed is free for anyone to take.
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
