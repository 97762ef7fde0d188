-- Limits a moderator puts on an account short of suspending it: silenced (out of others' public
-- timelines) and disabled (refused sign-in). Suspended and silenced accounts are looked up on
-- every read of a timeline, so each has an index of the few there are.
ALTER TABLE accounts ADD COLUMN silenced_at INTEGER;
ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
CREATE INDEX accounts_suspended ON accounts (id) WHERE suspended_at IS NOT NULL;
CREATE INDEX accounts_silenced ON accounts (id) WHERE silenced_at IS NOT NULL;
