//! Notifications: a projection of the event log that the notifier keeps up to date through
//! `apply`, and the reads, dismissals and clears of their recipients.
//!
//! A dismissal or a clear deletes rows at once and appends an event whose retraction deletes
//! them again when the notifier applies it. That second delete is what makes the projection
//! rebuildable: a replay of the log inserts the rows, then retracts them at the same point.

use rusqlite::{Connection, params};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::notify::{Derived, NewNotification, Notification, NotificationKind, Retraction};
use starling_core::page::{Page, PageRequest};
use starling_core::store::NotificationFilter;
use starling_core::{Id, StoreError, StoreResult};

use super::hydrate::{self, GoneStatus};
use super::{QueryBuilder, Sql, events, id_list, page, safety, text_list};
use crate::rows::{NotificationRow, notification_columns};

pub(crate) fn consumer_offset(c: &Connection, consumer: &str) -> StoreResult<i64> {
    let seq: Option<i64> = c.optional("SELECT seq FROM consumer_offsets WHERE consumer = ?", params![consumer])?;
    Ok(seq.unwrap_or(0))
}

fn retract(c: &Connection, retraction: &Retraction) -> StoreResult<()> {
    match retraction {
        // `IS` rather than `=`: a notification about no status matches a retraction about none.
        Retraction::Of { kind, from_account, status_id } => c.run(
            "DELETE FROM notifications WHERE from_account_id = ? AND kind = ? AND status_id IS ?",
            params![from_account.0, kind.as_str(), status_id.map(|id| id.0)],
        ),
        // The unary `+` keeps the planner off the recipient's index, which would read every
        // notification the recipient ever had, and on `(from_account_id, kind)`.
        Retraction::Between { kind, from_account, recipient } => c.run(
            "DELETE FROM notifications WHERE from_account_id = ? AND kind = ? AND +recipient_id = ?",
            params![from_account.0, kind.as_str(), recipient.0],
        ),
        Retraction::AboutStatus(status) => c.run("DELETE FROM notifications WHERE status_id = ?", params![status.0]),
        Retraction::Dismissed { recipient, event_seq } => {
            c.run("DELETE FROM notifications WHERE recipient_id = ? AND event_seq = ?", params![recipient.0, event_seq])
        }
        Retraction::Cleared { recipient, upto_seq } => {
            c.run("DELETE FROM notifications WHERE recipient_id = ? AND event_seq <= ?", params![recipient.0, upto_seq])
        }
    }?;
    Ok(())
}

/// Inserts `n` as notification `id` unless its event already notified its recipient; says
/// whether it did.
fn insert(c: &Connection, id: Id, n: &NewNotification) -> StoreResult<bool> {
    let inserted = c.run(
        "INSERT INTO notifications (id, recipient_id, kind, from_account_id, status_id, event_seq, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (recipient_id, event_seq) DO NOTHING",
        params![
            id.0,
            n.recipient.0,
            n.kind.as_str(),
            n.from_account.0,
            n.status_id.map(|id| id.0),
            n.event_seq,
            n.created_at.0
        ],
    )?;
    Ok(inserted == 1)
}

/// Applies `derived` in order (each one's retractions, then its notifications) and moves the
/// consumer's offset to `upto`. `ids` holds one fresh id per notification in `derived`, in order.
pub(crate) fn apply(
    c: &Connection,
    consumer: &str,
    upto: i64,
    derived: Vec<Derived>,
    ids: Vec<Id>,
) -> StoreResult<Vec<Notification>> {
    let mut ids = ids.into_iter();
    let mut inserted: Vec<i64> = Vec::new();
    for d in &derived {
        for retraction in &d.retractions {
            retract(c, retraction)?;
        }
        for n in &d.notifications {
            let id = ids.next().ok_or_else(|| StoreError::Other("too few notification ids".into()))?;
            if insert(c, id, n)? {
                inserted.push(id.0);
            }
        }
    }
    c.run(
        "INSERT INTO consumer_offsets (consumer, seq) VALUES (?, ?) \
         ON CONFLICT (consumer) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        params![consumer, upto],
    )?;

    // Read back rather than returning what was inserted: a later event of the same batch may
    // have retracted a row already (a status deleted, notifications cleared), and a
    // notification that no longer exists must not be pushed to anyone.
    const SQL: &str = concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications n WHERE n.id IN (SELECT value FROM json_each(?)) ORDER BY n.id"
    );
    let rows: Vec<NotificationRow> = c.all(SQL, params![id_list(inserted)])?;
    hydrate::notifications(c, rows, GoneStatus::ShowWithout)
}

fn kind_list(kinds: &[NotificationKind]) -> StoreResult<String> {
    text_list(&kinds.iter().map(|k| k.as_str().to_string()).collect::<Vec<_>>())
}

pub(crate) fn list(
    c: &Connection,
    recipient: Id,
    filter: &NotificationFilter,
    req: PageRequest,
) -> StoreResult<Page<Notification>> {
    let mut qb =
        QueryBuilder::new(concat!("SELECT ", notification_columns!(), " FROM notifications n WHERE n.recipient_id = "));
    qb.push_bind(recipient.0);
    if !filter.types.is_empty() {
        qb.push(" AND n.kind IN (SELECT value FROM json_each(").push_bind(kind_list(&filter.types)?).push("))");
    }
    if !filter.exclude_types.is_empty() {
        qb.push(" AND n.kind NOT IN (SELECT value FROM json_each(")
            .push_bind(kind_list(&filter.exclude_types)?)
            .push("))");
    }
    safety::push_not_hidden(&mut qb, Timestamp::now());
    page::push_bounds(&mut qb, "n.id", &req);
    let rows: Vec<NotificationRow> = qb.all(c)?;
    let found = hydrate::notifications(c, rows, GoneStatus::Skip)?;
    Ok(Page::from_fetched(&req, found.into_iter().map(|n| (n.id, n)).collect()))
}

pub(crate) fn one(c: &Connection, recipient: Id, id: Id) -> StoreResult<Notification> {
    const SQL: &str =
        concat!("SELECT ", notification_columns!(), " FROM notifications n WHERE n.id = ? AND n.recipient_id = ?");
    let row: Option<NotificationRow> = c.optional(SQL, params![id.0, recipient.0])?;
    let rows = row.into_iter().collect();
    hydrate::notifications(c, rows, GoneStatus::ShowWithout)?.pop().ok_or(StoreError::NotFound)
}

pub(crate) fn between(c: &Connection, recipient: Id, after: i64, upto: i64) -> StoreResult<Vec<Notification>> {
    const SQL: &str = concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications n WHERE n.recipient_id = ? AND n.event_seq > ? AND n.event_seq <= ? \
         ORDER BY n.event_seq, n.id"
    );
    let rows: Vec<NotificationRow> = c.all(SQL, params![recipient.0, after, upto])?;
    hydrate::notifications(c, rows, GoneStatus::Skip)
}

pub(crate) fn for_events(c: &Connection, after: i64, upto: i64) -> StoreResult<Vec<Notification>> {
    const SQL: &str = concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications n WHERE n.event_seq > ? AND n.event_seq <= ? ORDER BY n.event_seq, n.id"
    );
    let rows: Vec<NotificationRow> = c.all(SQL, params![after, upto])?;
    hydrate::notifications(c, rows, GoneStatus::Skip)
}

pub(crate) fn dismiss(c: &Connection, recipient: Id, id: Id, at: Timestamp) -> StoreResult<()> {
    let event_seq: i64 = c.one(
        "DELETE FROM notifications WHERE id = ? AND recipient_id = ? RETURNING event_seq",
        params![id.0, recipient.0],
    )?;
    events::append(c, event::notification_dismissed(recipient, id, event_seq, at))?;
    Ok(())
}

/// Logs the clear even when there is nothing to delete: the notifier may not have applied every
/// event up to now yet, and the ones it applies later for this recipient must be retracted too.
pub(crate) fn clear(c: &Connection, recipient: Id, at: Timestamp) -> StoreResult<()> {
    let upto = events::last_seq(c)?;
    c.run("DELETE FROM notifications WHERE recipient_id = ?", params![recipient.0])?;
    events::append(c, event::notifications_cleared(recipient, upto, at))?;
    Ok(())
}

/// Counts what the list would show above the marker: notifications whose status is gone are
/// left out there (their retraction is on its way), so they are here too.
pub(crate) fn unread(c: &Connection, recipient: Id) -> StoreResult<i64> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM notifications n WHERE n.recipient_id = ");
    qb.push_bind(recipient.0).push(
        " AND n.id > COALESCE((SELECT last_read_id FROM markers m \
               WHERE m.account_id = n.recipient_id AND m.timeline = 'notifications'), 0) \
             AND (n.status_id IS NULL OR EXISTS (SELECT 1 FROM statuses s WHERE s.id = n.status_id))",
    );
    safety::push_not_hidden(&mut qb, Timestamp::now());
    let counted: Vec<i64> = qb.all(c)?;
    Ok(counted.first().copied().unwrap_or(0))
}
