-- Media attachments. A row is made at upload, unattached; a status, a story or a chat message
-- takes it (one of the three owner columns is set, with its position among the owner's).
-- Deleting the owner detaches it, so that delete-and-redraft can attach it again.
CREATE TABLE media_attachments (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id INTEGER,
    story_id INTEGER,
    chat_message_id INTEGER,
    position INTEGER NOT NULL DEFAULT 0,
    content_type TEXT NOT NULL,
    file_key TEXT NOT NULL,
    preview_content_type TEXT NOT NULL,
    preview_key TEXT NOT NULL,
    description TEXT NOT NULL,
    focus_x DOUBLE PRECISION NOT NULL,
    focus_y DOUBLE PRECISION NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    preview_width INTEGER NOT NULL,
    preview_height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    blurhash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX media_by_status ON media_attachments (status_id, position) WHERE status_id IS NOT NULL;
CREATE INDEX media_by_story ON media_attachments (story_id, position) WHERE story_id IS NOT NULL;
CREATE INDEX media_by_chat_message ON media_attachments (chat_message_id, position)
    WHERE chat_message_id IS NOT NULL;
