//! The append-only event log: appended to inside every write transaction, read in order by
//! consumers catching up.
//!
//! Consumers read the log by position (`seq > after`) and remember the last one they applied,
//! so a row must never become visible after a row with a higher `seq`. With concurrent writers
//! an identity column does not promise that: transaction A may draw 7, B draw 8 and commit
//! first, and a consumer reading right then would move past 7 before A commits. So every append
//! first takes one transaction-level advisory lock, [`LOG_LOCK`], held until commit or rollback:
//! whoever draws a number commits (or aborts) before anyone else draws the next, and sequence
//! order is commit order. The cost is that the tail of each write transaction (from its first
//! append to its commit) runs one at a time; the appends are the last statements of each
//! method for that reason.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event::{Event, EventKind, NewEvent, SCHEMA_VERSION};
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, page};

/// The advisory lock key that serialises appends to the log ("starlog" in ASCII). Advisory
/// locks are per database; nothing else in Starling takes this key.
const LOG_LOCK: i64 = 0x0073_7461_726c_6f67;

/// Appends `event` within the caller's transaction and returns its sequence number. Takes
/// [`LOG_LOCK`] (again, if this transaction already holds it: it is re-entrant) until the
/// transaction ends.
pub(crate) async fn append(c: &mut PgConnection, event: NewEvent) -> StoreResult<i64> {
    let payload = serde_json::to_string(&event.payload).map_err(|e| StoreError::Other(e.to_string()))?;
    lock(c).await?;
    sqlx::query_scalar(
        "INSERT INTO events (kind, actor_id, subject_id, schema_version, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING seq",
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

/// Takes [`LOG_LOCK`] until the transaction ends: no other transaction appends meanwhile.
pub(crate) async fn lock(c: &mut PgConnection) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOG_LOCK).execute(&mut *c).await.db()?;
    Ok(())
}

/// The columns `EventRow` reads, from `events e`.
macro_rules! event_columns {
    () => {
        "e.seq, e.kind, e.actor_id, e.subject_id, e.schema_version, e.payload::text AS payload, e.created_at"
    };
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

pub(crate) async fn after(c: &mut PgConnection, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
    const SQL: &str = concat!("SELECT ", event_columns!(), " FROM events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2");
    let rows: Vec<EventRow> = sqlx::query_as(SQL).bind(after).bind(i64::from(limit)).fetch_all(&mut *c).await.db()?;
    rows.into_iter().map(Event::try_from).collect()
}

/// The newest sequence number in the log, 0 when it is empty (read from the primary key's end).
pub(crate) async fn last_seq(c: &mut PgConnection) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events").fetch_one(&mut *c).await.db()
}

/// What `actor` did, newest first, paged by sequence number (walks `events_actor`).
pub(crate) async fn by_actor(c: &mut PgConnection, actor: Id, req: PageRequest) -> StoreResult<Page<Event>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(concat!("SELECT ", event_columns!(), " FROM events e WHERE e.actor_id = "));
    qb.push_bind(actor.0);
    page::push_bounds(&mut qb, "e.seq", &req);
    let rows: Vec<EventRow> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    let events = rows.into_iter().map(|r| Ok((Id(r.seq), Event::try_from(r)?))).collect::<StoreResult<_>>()?;
    Ok(Page::from_fetched(&req, events))
}
