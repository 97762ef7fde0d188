-- Quote posts: the status a status quotes. No foreign key: a quoted status may be deleted, and
-- the quote then says so ("deleted") rather than going with it.
ALTER TABLE statuses ADD COLUMN quote_of_id BIGINT;
CREATE INDEX statuses_quote_of ON statuses (quote_of_id) WHERE quote_of_id IS NOT NULL;
