//! Media attachments: recorded at upload, attached by the write that creates their owner (a
//! status, a story or a chat message), read with their owners in one query per batch.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, PgConnection};
use starling_core::media::{Media, MediaUpdate, NewMedia};
use starling_core::model::Timestamp;
use starling_core::{Id, StoreError, StoreResult};

use super::Db;
use crate::extensions::{Owner, media_by_owner};
use crate::rows::{MediaRow, media_columns};

pub(crate) async fn create(c: &mut PgConnection, m: NewMedia) -> StoreResult<Media> {
    sqlx::query(
        "INSERT INTO media_attachments (id, account_id, content_type, file_key, preview_content_type, preview_key, \
         description, focus_x, focus_y, width, height, preview_width, preview_height, bytes, blurhash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(m.id.0)
    .bind(m.account_id.0)
    .bind(&m.content_type)
    .bind(&m.file_key)
    .bind(&m.preview_content_type)
    .bind(&m.preview_key)
    .bind(&m.description)
    .bind(m.focus.x)
    .bind(m.focus.y)
    .bind(m.meta.width)
    .bind(m.meta.height)
    .bind(m.meta.preview_width)
    .bind(m.meta.preview_height)
    .bind(m.meta.bytes)
    .bind(&m.blurhash)
    .bind(m.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    get(c, m.id).await
}

pub(crate) async fn get(c: &mut PgConnection, id: Id) -> StoreResult<Media> {
    const SQL: &str = concat!("SELECT ", media_columns!(), " FROM media_attachments m WHERE m.id = $1");
    let row: Option<MediaRow> = sqlx::query_as(SQL).bind(id.0).fetch_optional(&mut *c).await.db()?;
    row.map(Media::from).ok_or(StoreError::NotFound)
}

pub(crate) async fn update(c: &mut PgConnection, id: Id, account: Id, u: MediaUpdate) -> StoreResult<Media> {
    let current = get(c, id).await?;
    if current.account_id != account {
        return Err(StoreError::NotFound);
    }
    if current.attached {
        return Err(StoreError::Conflict("media".into()));
    }
    let description = u.description.unwrap_or(current.description);
    let focus = u.focus.unwrap_or(current.focus);
    // Only while still unattached: an attach committed since the read above wins.
    let changed = sqlx::query(
        "UPDATE media_attachments SET description = $1, focus_x = $2, focus_y = $3 WHERE id = $4 \
         AND status_id IS NULL AND story_id IS NULL AND chat_message_id IS NULL",
    )
    .bind(&description)
    .bind(focus.x)
    .bind(focus.y)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict("media".into()));
    }
    get(c, id).await
}

/// Attaches `ids`, in order, to the owner. Each must be `account`'s and unattached, or the
/// whole write fails with `NotFound`.
pub(crate) async fn attach(
    c: &mut PgConnection,
    owner: Owner,
    owner_id: Id,
    account: Id,
    ids: &[Id],
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE media_attachments SET {} = $1, position = $2 WHERE id = $3 AND account_id = $4 \
         AND status_id IS NULL AND story_id IS NULL AND chat_message_id IS NULL",
        owner.column()
    );
    for (position, id) in ids.iter().enumerate() {
        let changed = sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(owner_id.0)
            .bind(position as i64)
            .bind(id.0)
            .bind(account.0)
            .execute(&mut *c)
            .await
            .db()?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::NotFound);
        }
    }
    if owner == Owner::Status && !ids.is_empty() {
        sqlx::query("UPDATE statuses SET has_media = TRUE WHERE id = $1")
            .bind(owner_id.0)
            .execute(&mut *c)
            .await
            .db()?;
    }
    Ok(())
}

/// Takes the owner's media off it, so that they may be attached again (delete and redraft).
pub(crate) async fn detach(c: &mut PgConnection, owner: Owner, owner_id: Id) -> StoreResult<()> {
    let column = owner.column();
    sqlx::query(AssertSqlSafe(format!("UPDATE media_attachments SET {column} = NULL WHERE {column} = $1")))
        .bind(owner_id.0)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// The media of each of `owners`, in position order.
pub(crate) async fn of(c: &mut PgConnection, owner: Owner, owners: &[i64]) -> StoreResult<HashMap<i64, Vec<Media>>> {
    if owners.is_empty() {
        return Ok(HashMap::new());
    }
    let column = owner.column();
    let sql = format!(
        concat!(
            "SELECT ",
            media_columns!(),
            " FROM media_attachments m WHERE m.{column} = ANY($1) ORDER BY m.{column}, m.position"
        ),
        column = column
    );
    let rows: Vec<MediaRow> = sqlx::query_as(AssertSqlSafe(sql)).bind(owners).fetch_all(&mut *c).await.db()?;
    Ok(media_by_owner(rows, owner))
}

pub(crate) async fn purge_unattached(c: &mut PgConnection, before: Timestamp, limit: u32) -> StoreResult<Vec<Media>> {
    const SQL: &str = concat!(
        "DELETE FROM media_attachments AS m WHERE m.id IN (SELECT id FROM media_attachments WHERE created_at < $1 \
         AND status_id IS NULL AND story_id IS NULL AND chat_message_id IS NULL LIMIT $2) RETURNING ",
        media_columns!()
    );
    let rows: Vec<MediaRow> =
        sqlx::query_as(SQL).bind(before.0).bind(i64::from(limit)).fetch_all(&mut *c).await.db()?;
    Ok(rows.into_iter().map(Media::from).collect())
}
