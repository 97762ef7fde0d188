-- Whether a status carries media, so that reading statuses asks for media only where there are
-- some: most statuses have none, and every page of a timeline would otherwise ask.
ALTER TABLE statuses ADD COLUMN has_media BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE statuses SET has_media = TRUE
    WHERE id IN (SELECT status_id FROM media_attachments WHERE status_id IS NOT NULL);
