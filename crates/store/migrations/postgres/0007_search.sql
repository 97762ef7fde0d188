-- Full-text search over what authors wrote, with the `simple` configuration: no stemming, so
-- words match as written, in any language. The index is on the expression the search uses;
-- on the partitioned table it is made on every partition, present and future.
CREATE INDEX statuses_text_search ON statuses USING GIN (to_tsvector('simple', text));

-- Usernames and display names are searched by prefix, case-insensitively.
CREATE INDEX accounts_username_prefix ON accounts (lower(username) text_pattern_ops);
CREATE INDEX accounts_display_name_prefix ON accounts (lower(display_name) text_pattern_ops);
CREATE INDEX status_tags_tag_prefix ON status_tags (tag text_pattern_ops);
