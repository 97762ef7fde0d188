//! Notifications: a projection of the event log that the notifier keeps up to date through
//! `apply`, and the reads, dismissals and clears of their recipients.
//!
//! A dismissal or a clear deletes rows at once and appends an event whose retraction deletes
//! them again when the notifier applies it. That second delete is what makes the projection
//! rebuildable: a replay of the log inserts the rows, then retracts them at the same point.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::notify::{Derived, NewNotification, Notification, NotificationKind, Retraction};
use starling_core::page::{Page, PageRequest};
use starling_core::store::NotificationFilter;
use starling_core::{Id, StoreError, StoreResult};

use super::hydrate::{self, GoneStatus};
use super::{Db, events, page, safety};
use crate::rows::{NotificationRow, notification_columns};

pub(crate) async fn consumer_offset(c: &mut PgConnection, consumer: &str) -> StoreResult<i64> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM consumer_offsets WHERE consumer = $1")
        .bind(consumer)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    Ok(seq.unwrap_or(0))
}

async fn retract(c: &mut PgConnection, retraction: &Retraction) -> StoreResult<()> {
    let query = match retraction {
        // A notification about no status matches a retraction about none. Two statements rather
        // than `IS NOT DISTINCT FROM`, which no index serves.
        Retraction::Of { kind, from_account, status_id: Some(status) } => {
            sqlx::query("DELETE FROM notifications WHERE from_account_id = $1 AND kind = $2 AND status_id = $3")
                .bind(from_account.0)
                .bind(kind.as_str())
                .bind(status.0)
        }
        Retraction::Of { kind, from_account, status_id: None } => {
            sqlx::query("DELETE FROM notifications WHERE from_account_id = $1 AND kind = $2 AND status_id IS NULL")
                .bind(from_account.0)
                .bind(kind.as_str())
        }
        // Served by `(from_account_id, kind)`: one account's follow notifications are few.
        Retraction::Between { kind, from_account, recipient } => {
            sqlx::query("DELETE FROM notifications WHERE from_account_id = $1 AND kind = $2 AND recipient_id = $3")
                .bind(from_account.0)
                .bind(kind.as_str())
                .bind(recipient.0)
        }
        Retraction::AboutStatus(status) => sqlx::query("DELETE FROM notifications WHERE status_id = $1").bind(status.0),
        Retraction::Dismissed { recipient, event_seq } => {
            sqlx::query("DELETE FROM notifications WHERE recipient_id = $1 AND event_seq = $2")
                .bind(recipient.0)
                .bind(*event_seq)
        }
        Retraction::Cleared { recipient, upto_seq } => {
            sqlx::query("DELETE FROM notifications WHERE recipient_id = $1 AND event_seq <= $2")
                .bind(recipient.0)
                .bind(*upto_seq)
        }
    };
    query.execute(&mut *c).await.db()?;
    Ok(())
}

/// Inserts `n` as notification `id` unless its event already notified its recipient; says
/// whether it did.
async fn insert(c: &mut PgConnection, id: Id, n: &NewNotification) -> StoreResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO notifications (id, recipient_id, kind, from_account_id, status_id, event_seq, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (recipient_id, event_seq) DO NOTHING",
    )
    .bind(id.0)
    .bind(n.recipient.0)
    .bind(n.kind.as_str())
    .bind(n.from_account.0)
    .bind(n.status_id.map(|id| id.0))
    .bind(n.event_seq)
    .bind(n.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(inserted.rows_affected() == 1)
}

/// Applies `derived` in order (each one's retractions, then its notifications) and moves the
/// consumer's offset to `upto`. `ids` holds one fresh id per notification in `derived`, in order.
pub(crate) async fn apply(
    c: &mut PgConnection,
    consumer: &str,
    upto: i64,
    derived: Vec<Derived>,
    ids: Vec<Id>,
) -> StoreResult<Vec<Notification>> {
    let mut ids = ids.into_iter();
    let mut inserted: Vec<i64> = Vec::new();
    for d in &derived {
        for retraction in &d.retractions {
            retract(c, retraction).await?;
        }
        for n in &d.notifications {
            let id = ids.next().ok_or_else(|| StoreError::Other("too few notification ids".into()))?;
            if insert(c, id, n).await? {
                inserted.push(id.0);
            }
        }
    }
    sqlx::query(
        "INSERT INTO consumer_offsets (consumer, seq) VALUES ($1, $2) \
         ON CONFLICT (consumer) DO UPDATE SET seq = GREATEST(consumer_offsets.seq, excluded.seq)",
    )
    .bind(consumer)
    .bind(upto)
    .execute(&mut *c)
    .await
    .db()?;

    // Read back rather than returning what was inserted: a later event of the same batch may
    // have retracted a row already (a status deleted, notifications cleared), and a
    // notification that no longer exists must not be pushed to anyone.
    const SQL: &str =
        concat!("SELECT ", notification_columns!(), " FROM notifications n WHERE n.id = ANY($1) ORDER BY n.id");
    let rows: Vec<NotificationRow> = sqlx::query_as(SQL).bind(inserted).fetch_all(&mut *c).await.db()?;
    hydrate::notifications(c, rows, GoneStatus::ShowWithout).await
}

fn kind_list(kinds: &[NotificationKind]) -> Vec<String> {
    kinds.iter().map(|k| k.as_str().to_string()).collect()
}

pub(crate) async fn list(
    c: &mut PgConnection,
    recipient: Id,
    filter: &NotificationFilter,
    req: PageRequest,
) -> StoreResult<Page<Notification>> {
    let mut qb = QueryBuilder::<Postgres>::new(concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications n WHERE n.recipient_id = "
    ));
    qb.push_bind(recipient.0);
    if !filter.types.is_empty() {
        qb.push(" AND n.kind = ANY(").push_bind(kind_list(&filter.types)).push(")");
    }
    if !filter.exclude_types.is_empty() {
        qb.push(" AND n.kind <> ALL(").push_bind(kind_list(&filter.exclude_types)).push(")");
    }
    safety::push_not_hidden(&mut qb, Timestamp::now());
    page::push_bounds(&mut qb, "n.id", &req);
    let rows: Vec<NotificationRow> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    let found = hydrate::notifications(c, rows, GoneStatus::Skip).await?;
    Ok(Page::from_fetched(&req, found.into_iter().map(|n| (n.id, n)).collect()))
}

pub(crate) async fn one(c: &mut PgConnection, recipient: Id, id: Id) -> StoreResult<Notification> {
    const SQL: &str =
        concat!("SELECT ", notification_columns!(), " FROM notifications n WHERE n.id = $1 AND n.recipient_id = $2");
    let row: Option<NotificationRow> =
        sqlx::query_as(SQL).bind(id.0).bind(recipient.0).fetch_optional(&mut *c).await.db()?;
    let rows = row.into_iter().collect();
    hydrate::notifications(c, rows, GoneStatus::ShowWithout).await?.pop().ok_or(StoreError::NotFound)
}

pub(crate) async fn between(
    c: &mut PgConnection,
    recipient: Id,
    after: i64,
    upto: i64,
) -> StoreResult<Vec<Notification>> {
    const SQL: &str = concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications n WHERE n.recipient_id = $1 AND n.event_seq > $2 AND n.event_seq <= $3 \
         ORDER BY n.event_seq, n.id"
    );
    let rows: Vec<NotificationRow> =
        sqlx::query_as(SQL).bind(recipient.0).bind(after).bind(upto).fetch_all(&mut *c).await.db()?;
    hydrate::notifications(c, rows, GoneStatus::Skip).await
}

pub(crate) async fn for_events(c: &mut PgConnection, after: i64, upto: i64) -> StoreResult<Vec<Notification>> {
    const SQL: &str = concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications n WHERE n.event_seq > $1 AND n.event_seq <= $2 ORDER BY n.event_seq, n.id"
    );
    let rows: Vec<NotificationRow> = sqlx::query_as(SQL).bind(after).bind(upto).fetch_all(&mut *c).await.db()?;
    hydrate::notifications(c, rows, GoneStatus::Skip).await
}

pub(crate) async fn dismiss(c: &mut PgConnection, recipient: Id, id: Id, at: Timestamp) -> StoreResult<()> {
    let event_seq: i64 =
        sqlx::query_scalar("DELETE FROM notifications WHERE id = $1 AND recipient_id = $2 RETURNING event_seq")
            .bind(id.0)
            .bind(recipient.0)
            .fetch_one(&mut *c)
            .await
            .db()?;
    events::append(c, event::notification_dismissed(recipient, id, event_seq, at)).await?;
    Ok(())
}

/// Logs the clear even when there is nothing to delete: the notifier may not have applied every
/// event up to now yet, and the ones it applies later for this recipient must be retracted too.
pub(crate) async fn clear(c: &mut PgConnection, recipient: Id, at: Timestamp) -> StoreResult<()> {
    // Under the log's lock, so that `upto` is the newest event committed or being committed:
    // none can commit below it after this reads it.
    events::lock(c).await?;
    let upto = events::last_seq(c).await?;
    sqlx::query("DELETE FROM notifications WHERE recipient_id = $1").bind(recipient.0).execute(&mut *c).await.db()?;
    events::append(c, event::notifications_cleared(recipient, upto, at)).await?;
    Ok(())
}

/// Counts what the list would show above the marker: notifications whose status is gone are
/// left out there (their retraction is on its way), so they are here too.
pub(crate) async fn unread(c: &mut PgConnection, recipient: Id) -> StoreResult<i64> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*) FROM notifications n WHERE n.recipient_id = ");
    qb.push_bind(recipient.0).push(
        " AND n.id > COALESCE((SELECT last_read_id FROM markers m \
           WHERE m.account_id = n.recipient_id AND m.timeline = 'notifications'), 0) \
         AND (n.status_id IS NULL OR EXISTS (SELECT 1 FROM statuses s WHERE s.id = n.status_id))",
    );
    safety::push_not_hidden(&mut qb, Timestamp::now());
    qb.build_query_scalar().fetch_one(&mut *c).await.db()
}
