//! Blocks and mutes: the rows behind `safety::Hidden`, and the clause that keeps hidden
//! accounts' notifications out of a recipient's list.

use std::collections::{HashMap, HashSet};

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event::{self, EventKind};
use starling_core::model::{Account, Change, Timestamp};
use starling_core::page::{Page, PageRequest};
use starling_core::safety::{Hidden, Mute, Muted};
use starling_core::{Id, StoreResult};

use super::{Db, accounts, events, filters, hydrate, page, requests};
use crate::Homes;

/// Notifications (`n`) from accounts hidden from their recipient: suspended, blocked either way,
/// or muted with their notifications at `now`. One rule for the list and the unread count.
pub(crate) fn push_not_hidden(qb: &mut QueryBuilder<Postgres>, now: Timestamp) {
    qb.push(
        " AND NOT EXISTS (SELECT 1 FROM accounts sa WHERE sa.id = n.from_account_id AND sa.suspended_at IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = n.recipient_id AND b.target_id = n.from_account_id) \
           OR (b.account_id = n.from_account_id AND b.target_id = n.recipient_id)) \
         AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = n.recipient_id AND m.target_id = n.from_account_id \
           AND m.notifications AND (m.expires_at IS NULL OR m.expires_at > ",
    )
    .push_bind(now.0)
    .push("))");
}

pub(crate) async fn block(
    c: &mut PgConnection,
    account: Id,
    target: Id,
    block_id: Id,
    at: Timestamp,
    homes: Homes,
) -> StoreResult<Change> {
    hydrate::account(c, target.0).await?;
    let inserted = sqlx::query(
        "INSERT INTO blocks (account_id, target_id, id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, target_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(target.0)
    .bind(block_id.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    if inserted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    // Neither may ask to follow the other any more: pending requests end with the follows.
    requests::reject(c, target, account, account, at).await?;
    requests::reject(c, account, target, account, at).await?;
    accounts::unfollow(c, account, target, homes).await?;
    accounts::unfollow(c, target, account, homes).await?;
    events::append(c, event::blocked(EventKind::Blocked, account, target, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn unblock(c: &mut PgConnection, account: Id, target: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::account(c, target.0).await?;
    let deleted = sqlx::query("DELETE FROM blocks WHERE account_id = $1 AND target_id = $2")
        .bind(account.0)
        .bind(target.0)
        .execute(&mut *c)
        .await
        .db()?;
    if deleted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::blocked(EventKind::Unblocked, account, target, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn blocks(c: &mut PgConnection, account: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT b.id, b.target_id FROM blocks b WHERE b.account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "b.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn mute(
    c: &mut PgConnection,
    account: Id,
    target: Id,
    mute: Mute,
    mute_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    hydrate::account(c, target.0).await?;
    let written = sqlx::query(
        "INSERT INTO mutes (account_id, target_id, id, notifications, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, target_id) DO UPDATE SET notifications = excluded.notifications, \
           expires_at = excluded.expires_at \
         WHERE mutes.notifications <> excluded.notifications OR mutes.expires_at IS DISTINCT FROM excluded.expires_at",
    )
    .bind(account.0)
    .bind(target.0)
    .bind(mute_id.0)
    .bind(mute.notifications)
    .bind(mute.expires_at.map(|t| t.0))
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    if written.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::muted(account, target, &mute, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn unmute(c: &mut PgConnection, account: Id, target: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::account(c, target.0).await?;
    let deleted = sqlx::query("DELETE FROM mutes WHERE account_id = $1 AND target_id = $2")
        .bind(account.0)
        .bind(target.0)
        .execute(&mut *c)
        .await
        .db()?;
    if deleted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::unmuted(account, target, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn mutes(
    c: &mut PgConnection,
    account: Id,
    now: Timestamp,
    req: PageRequest,
) -> StoreResult<Page<Muted>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT m.id, m.target_id FROM mutes m WHERE m.account_id = ");
    qb.push_bind(account.0).push(" AND (m.expires_at IS NULL OR m.expires_at > ").push_bind(now.0).push(")");
    page::push_bounds(&mut qb, "m.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    let accounts = page::accounts(c, &req, pairs).await?;
    let how = mutes_of(c, account).await?;
    // A mute lifted between the two reads still shows as it was when the page was read.
    let lifted = Mute { notifications: false, expires_at: Some(now) };
    Ok(accounts.map(|account| Muted { mute: how.get(&account.id).copied().unwrap_or(lifted), account }))
}

async fn mutes_of(c: &mut PgConnection, account: Id) -> StoreResult<HashMap<Id, Mute>> {
    let rows: Vec<(i64, bool, Option<i64>)> =
        sqlx::query_as("SELECT target_id, notifications, expires_at FROM mutes WHERE account_id = $1")
            .bind(account.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
    Ok(rows
        .into_iter()
        .map(|(id, notifications, expires)| (Id(id), Mute { notifications, expires_at: expires.map(Timestamp) }))
        .collect())
}

pub(crate) async fn hidden(c: &mut PgConnection, viewer: Id) -> StoreResult<Hidden> {
    // Suspended accounts are hidden from everyone, as if each blocked everyone.
    let blocks: Vec<i64> = sqlx::query_scalar(
        "SELECT target_id FROM blocks WHERE account_id = $1 UNION SELECT account_id FROM blocks WHERE target_id = $1 \
         UNION SELECT id FROM accounts WHERE suspended_at IS NOT NULL AND id <> $1",
    )
    .bind(viewer.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let silenced: Vec<i64> = sqlx::query_scalar(
        "SELECT a.id FROM accounts a WHERE a.silenced_at IS NOT NULL AND a.id <> $1 \
         AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = a.id)",
    )
    .bind(viewer.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(Hidden {
        viewer: Some(viewer),
        blocks: blocks.into_iter().map(Id).collect::<HashSet<_>>(),
        mutes: mutes_of(c, viewer).await?,
        filters: filters::of_account(c, viewer).await?,
        silenced: silenced.into_iter().map(Id).collect(),
    })
}

pub(crate) async fn hidden_from_everyone(c: &mut PgConnection) -> StoreResult<Hidden> {
    let suspended: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE suspended_at IS NOT NULL").fetch_all(&mut *c).await.db()?;
    let silenced: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE silenced_at IS NOT NULL").fetch_all(&mut *c).await.db()?;
    Ok(Hidden {
        blocks: suspended.into_iter().map(Id).collect(),
        silenced: silenced.into_iter().map(Id).collect(),
        ..Hidden::default()
    })
}
