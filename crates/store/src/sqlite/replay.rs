//! What `starling replay` compares with a rebuild from the log: every counter and every
//! notification, with the log's end and the notifier's offset, as plain rows.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use starling_core::notify::NotificationKind;
use starling_core::projection::{AccountCounters, LiveState, NotificationRecord, StatusCounters};
use starling_core::{Id, StoreError, StoreResult};

use super::{Sql, events, notifications};

/// Reads everything on `c`, which the caller holds in one read transaction so that every
/// query sees the same snapshot.
pub(crate) fn live_state(c: &Connection, notifier: &str) -> StoreResult<LiveState> {
    let last_event_seq = events::last_seq(c)?;
    let notifier_offset = notifications::consumer_offset(c, notifier)?;

    let accounts: Vec<(i64, i64, i64, i64)> =
        c.all("SELECT id, followers_count, following_count, statuses_count FROM accounts", params![])?;
    let statuses: Vec<(i64, i64, i64, i64)> =
        c.all("SELECT id, replies_count, reblogs_count, favourites_count FROM statuses", params![])?;
    let rows: Vec<(i64, i64, String, i64, Option<i64>)> =
        c.all("SELECT recipient_id, event_seq, kind, from_account_id, status_id FROM notifications", params![])?;

    let mut notifications = BTreeMap::new();
    for (recipient, seq, kind, from_account, status_id) in rows {
        let kind: NotificationKind = kind
            .parse()
            .map_err(|()| StoreError::Other(format!("notification of event {seq} has an unknown kind {kind:?}")))?;
        let record = NotificationRecord { kind, from_account: Id(from_account), status_id: status_id.map(Id) };
        notifications.insert((Id(recipient), seq), record);
    }
    Ok(LiveState {
        last_event_seq,
        notifier_offset,
        accounts: accounts
            .into_iter()
            .map(|(id, followers_count, following_count, statuses_count)| {
                (Id(id), AccountCounters { followers_count, following_count, statuses_count })
            })
            .collect(),
        statuses: statuses
            .into_iter()
            .map(|(id, replies_count, reblogs_count, favourites_count)| {
                (Id(id), StatusCounters { replies_count, reblogs_count, favourites_count })
            })
            .collect(),
        notifications,
    })
}
