-- When an operator suspended the account (NULL: it is not suspended).
ALTER TABLE accounts ADD COLUMN suspended_at INTEGER;
