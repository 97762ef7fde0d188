//! The append-only event log: appended to inside every write transaction, read in order by
//! consumers catching up.

use sqlx::SqliteConnection;
use starling_core::event::{Event, EventKind, NewEvent, SCHEMA_VERSION};
use starling_core::model::Timestamp;
use starling_core::{Id, StoreError, StoreResult};

use super::Db;

/// Appends `event` within the caller's transaction and returns its sequence number.
pub(crate) async fn append(c: &mut SqliteConnection, event: NewEvent) -> StoreResult<i64> {
    let payload = serde_json::to_string(&event.payload).map_err(|e| StoreError::Other(e.to_string()))?;
    sqlx::query_scalar(
        "INSERT INTO events (kind, actor_id, subject_id, schema_version, payload, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(event.kind.as_str())
    .bind(event.actor_id.map(|id| id.0))
    .bind(event.subject_id.map(|id| id.0))
    .bind(SCHEMA_VERSION)
    .bind(payload)
    .bind(event.created_at.0)
    .fetch_one(&mut *c)
    .await
    .db()
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    kind: String,
    actor_id: Option<i64>,
    subject_id: Option<i64>,
    schema_version: i32,
    payload: String,
    created_at: i64,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> StoreResult<Event> {
        let kind = EventKind::parse(&r.kind)
            .ok_or_else(|| StoreError::Other(format!("event {} has an unknown kind {:?}", r.seq, r.kind)))?;
        let payload = serde_json::from_str(&r.payload)
            .map_err(|e| StoreError::Other(format!("event {} has a corrupt payload: {e}", r.seq)))?;
        Ok(Event {
            seq: r.seq,
            kind,
            actor_id: r.actor_id.map(Id),
            subject_id: r.subject_id.map(Id),
            schema_version: r.schema_version,
            payload,
            created_at: Timestamp(r.created_at),
        })
    }
}

pub(crate) async fn after(c: &mut SqliteConnection, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT seq, kind, actor_id, subject_id, schema_version, payload, created_at \
         FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.into_iter().map(Event::try_from).collect()
}
