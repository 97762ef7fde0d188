-- When the account was deleted (NULL: it was not). A deleted account stays suspended for good
-- and keeps its username, so that nobody else can pass for it.
ALTER TABLE accounts ADD COLUMN deleted_at INTEGER;
