//! The append-only event log: appended to inside every write transaction, read in order by
//! consumers catching up.

use rusqlite::{Connection, params};
use starling_core::event::{Event, EventKind, NewEvent, SCHEMA_VERSION};
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError, StoreResult};

use super::{QueryBuilder, Sql, page};

/// Appends `event` within the caller's transaction and returns its sequence number.
pub(crate) fn append(c: &Connection, event: NewEvent) -> StoreResult<i64> {
    let payload = serde_json::to_string(&event.payload).map_err(|e| StoreError::Other(e.to_string()))?;
    c.one(
        "INSERT INTO events (kind, actor_id, subject_id, schema_version, payload, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        params![
            event.kind.as_str(),
            event.actor_id.map(|id| id.0),
            event.subject_id.map(|id| id.0),
            SCHEMA_VERSION,
            payload,
            event.created_at.0
        ],
    )
}

/// The columns `EventRow` reads, from `events e`.
macro_rules! event_columns {
    () => {
        "e.seq, e.kind, e.actor_id, e.subject_id, e.schema_version, e.payload, e.created_at"
    };
}

crate::rows::row! {
    pub(crate) struct EventRow {
        pub seq: i64,
        pub kind: String,
        pub actor_id: Option<i64>,
        pub subject_id: Option<i64>,
        pub schema_version: i32,
        pub payload: String,
        pub created_at: i64,
    }
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

pub(crate) fn after(c: &Connection, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
    const SQL: &str = concat!("SELECT ", event_columns!(), " FROM events e WHERE e.seq > ? ORDER BY e.seq LIMIT ?");
    let rows: Vec<EventRow> = c.all(SQL, params![after, i64::from(limit)])?;
    rows.into_iter().map(Event::try_from).collect()
}

/// The newest sequence number in the log, 0 when it is empty. Events are never deleted, so the
/// newest row holds the highest number ever handed out.
pub(crate) fn last_seq(c: &Connection) -> StoreResult<i64> {
    c.one("SELECT COALESCE(MAX(seq), 0) FROM events", params![])
}

/// What `actor` did, newest first, paged by sequence number (walks `events_actor`).
pub(crate) fn by_actor(c: &Connection, actor: Id, req: PageRequest) -> StoreResult<Page<Event>> {
    let mut qb = QueryBuilder::new(concat!("SELECT ", event_columns!(), " FROM events e WHERE e.actor_id = "));
    qb.push_bind(actor.0);
    page::push_bounds(&mut qb, "e.seq", &req);
    let rows: Vec<EventRow> = qb.all(c)?;
    let events = rows.into_iter().map(|r| Ok((Id(r.seq), Event::try_from(r)?))).collect::<StoreResult<_>>()?;
    Ok(Page::from_fetched(&req, events))
}
