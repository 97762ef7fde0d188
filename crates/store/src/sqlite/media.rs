//! Media attachments: recorded at upload, attached by the write that creates their owner (a
//! status, a story or a chat message), read with their owners in one query per batch.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use starling_core::media::{Media, MediaUpdate, NewMedia};
use starling_core::model::Timestamp;
use starling_core::{Id, StoreError, StoreResult};

use super::{Sql, id_list};
use crate::extensions::{Owner, media_by_owner};
use crate::rows::{MediaRow, media_columns};

pub(crate) fn create(c: &Connection, m: NewMedia) -> StoreResult<Media> {
    c.run(
        "INSERT INTO media_attachments (id, account_id, content_type, file_key, preview_content_type, preview_key, \
         description, focus_x, focus_y, width, height, preview_width, preview_height, bytes, blurhash, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            m.id.0,
            m.account_id.0,
            m.content_type,
            m.file_key,
            m.preview_content_type,
            m.preview_key,
            m.description,
            m.focus.x,
            m.focus.y,
            m.meta.width,
            m.meta.height,
            m.meta.preview_width,
            m.meta.preview_height,
            m.meta.bytes,
            m.blurhash,
            m.created_at.0
        ],
    )?;
    get(c, m.id)
}

pub(crate) fn get(c: &Connection, id: Id) -> StoreResult<Media> {
    const SQL: &str = concat!("SELECT ", media_columns!(), " FROM media_attachments m WHERE m.id = ?");
    c.one::<MediaRow>(SQL, params![id.0]).map(Media::from)
}

pub(crate) fn update(c: &Connection, id: Id, account: Id, u: MediaUpdate) -> StoreResult<Media> {
    let current = get(c, id)?;
    if current.account_id != account {
        return Err(StoreError::NotFound);
    }
    if current.attached {
        return Err(StoreError::Conflict("media".into()));
    }
    let description = u.description.unwrap_or(current.description);
    let focus = u.focus.unwrap_or(current.focus);
    c.run(
        "UPDATE media_attachments SET description = ?, focus_x = ?, focus_y = ? WHERE id = ?",
        params![description, focus.x, focus.y, id.0],
    )?;
    get(c, id)
}

/// Attaches `ids`, in order, to the owner. Each must be `account`'s and unattached, or the
/// whole write fails with `NotFound`.
pub(crate) fn attach(c: &Connection, owner: Owner, owner_id: Id, account: Id, ids: &[Id]) -> StoreResult<()> {
    let sql = format!(
        "UPDATE media_attachments SET {} = ?, position = ? WHERE id = ? AND account_id = ? \
         AND status_id IS NULL AND story_id IS NULL AND chat_message_id IS NULL",
        owner.column()
    );
    for (position, id) in ids.iter().enumerate() {
        if c.run(&sql, params![owner_id.0, position as i64, id.0, account.0])? != 1 {
            return Err(StoreError::NotFound);
        }
    }
    if owner == Owner::Status && !ids.is_empty() {
        c.run("UPDATE statuses SET has_media = TRUE WHERE id = ?", params![owner_id.0])?;
    }
    Ok(())
}

/// Takes the owner's media off it, so that they may be attached again (delete and redraft).
pub(crate) fn detach(c: &Connection, owner: Owner, owner_id: Id) -> StoreResult<()> {
    let column = owner.column();
    c.run(&format!("UPDATE media_attachments SET {column} = NULL WHERE {column} = ?"), params![owner_id.0])?;
    Ok(())
}

/// The media of each of `owners`, in position order.
pub(crate) fn of(c: &Connection, owner: Owner, owners: &[i64]) -> StoreResult<HashMap<i64, Vec<Media>>> {
    if owners.is_empty() {
        return Ok(HashMap::new());
    }
    let column = owner.column();
    let rows: Vec<MediaRow> = c.all(
        &format!(
            concat!(
                "SELECT ",
                media_columns!(),
                " FROM media_attachments m WHERE m.{column} IN (SELECT value FROM json_each(?)) \
                 ORDER BY m.{column}, m.position"
            ),
            column = column
        ),
        params![id_list(owners.iter().copied())],
    )?;
    Ok(media_by_owner(rows, owner))
}

pub(crate) fn purge_unattached(c: &Connection, before: Timestamp, limit: u32) -> StoreResult<Vec<Media>> {
    // Read, then delete: the writer is alone, so nothing is attached in between.
    const SQL: &str = concat!(
        "SELECT ",
        media_columns!(),
        " FROM media_attachments m WHERE m.created_at < ? AND m.status_id IS NULL AND m.story_id IS NULL \
         AND m.chat_message_id IS NULL LIMIT ?"
    );
    let rows: Vec<MediaRow> = c.all(SQL, params![before.0, i64::from(limit)])?;
    c.run(
        "DELETE FROM media_attachments WHERE id IN (SELECT value FROM json_each(?))",
        params![id_list(rows.iter().map(|r| r.id))],
    )?;
    Ok(rows.into_iter().map(Media::from).collect())
}
