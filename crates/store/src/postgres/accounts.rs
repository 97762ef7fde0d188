//! Apps, tokens, authorization codes, accounts and follows.

use std::collections::HashMap;

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event::{self, EventKind};
use starling_core::model::*;
use starling_core::page::{Page, PageRequest};
use starling_core::store::InstanceCounts;
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events, home, hydrate, page};
use crate::Homes;
use crate::rows::{AccountRow, AppRow, AuthCodeRow, CredentialsRow, TokenRow, account_columns};

// ---- apps ---------------------------------------------------------------------------------------

pub(crate) async fn create_app(c: &mut PgConnection, app: NewApp) -> StoreResult<App> {
    sqlx::query(
        "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id, client_secret, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(app.id.0)
    .bind(&app.name)
    .bind(&app.website)
    .bind(serde_json::to_string(&app.redirect_uris).map_err(|e| StoreError::Other(e.to_string()))?)
    .bind(&app.scopes)
    .bind(&app.client_id)
    .bind(&app.client_secret)
    .bind(app.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    events::append(c, event::app_created(app.id, &app.name, app.created_at)).await?;
    Ok(App {
        id: app.id,
        name: app.name,
        website: app.website,
        redirect_uris: app.redirect_uris,
        scopes: app.scopes,
        client_id: app.client_id,
        client_secret: app.client_secret,
        created_at: app.created_at,
    })
}

pub(crate) async fn app(c: &mut PgConnection, id: Id) -> StoreResult<App> {
    const SQL: &str = concat!(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret, created_at FROM apps",
        " WHERE id = $1"
    );
    let row: AppRow = sqlx::query_as(SQL).bind(id.0).fetch_one(&mut *c).await.db()?;
    row.try_into()
}

pub(crate) async fn app_by_client_id(c: &mut PgConnection, client_id: &str) -> StoreResult<App> {
    const SQL: &str = concat!(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret, created_at FROM apps",
        " WHERE client_id = $1"
    );
    let row: AppRow = sqlx::query_as(SQL).bind(client_id).fetch_one(&mut *c).await.db()?;
    row.try_into()
}

// ---- tokens and authorization codes -------------------------------------------------------------

pub(crate) async fn create_token(c: &mut PgConnection, t: NewToken) -> StoreResult<TokenRecord> {
    sqlx::query(
        "INSERT INTO tokens (id, app_id, account_id, scopes, grant_type, created_at, expires_at, revoked) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, false)",
    )
    .bind(t.id.0)
    .bind(t.app_id.0)
    .bind(t.account_id.map(|id| id.0))
    .bind(&t.scopes)
    .bind(&t.grant)
    .bind(t.created_at.0)
    .bind(t.expires_at.map(|at| at.0))
    .execute(&mut *c)
    .await
    .db()?;
    events::append(c, event::token_issued(t.id, t.app_id, t.account_id, &t.scopes, &t.grant, t.created_at)).await?;
    Ok(TokenRecord {
        id: t.id,
        app_id: t.app_id,
        account_id: t.account_id,
        scopes: t.scopes,
        created_at: t.created_at,
        expires_at: t.expires_at,
        revoked: false,
    })
}

pub(crate) async fn token(c: &mut PgConnection, id: Id) -> StoreResult<TokenRecord> {
    let row: TokenRow = sqlx::query_as(
        "SELECT id, app_id, account_id, scopes, created_at, expires_at, revoked FROM tokens WHERE id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(row.into())
}

pub(crate) async fn revoke_token(c: &mut PgConnection, id: Id) -> StoreResult<Change> {
    let revoked: Option<Option<i64>> =
        sqlx::query_scalar("UPDATE tokens SET revoked = true WHERE id = $1 AND NOT revoked RETURNING account_id")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    match revoked {
        Some(account) => {
            events::append(c, event::token_revoked(id, account.map(Id), Timestamp::now())).await?;
            Ok(Change::Made)
        }
        None => {
            token(c, id).await?;
            Ok(Change::Unchanged)
        }
    }
}

pub(crate) async fn change_password(
    c: &mut PgConnection,
    account: Id,
    password_hash: &str,
    keep: Option<Id>,
) -> StoreResult<u64> {
    let updated = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(account.0)
        .execute(&mut *c)
        .await
        .db()?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let revoked = sign_out(c, account, keep).await?;
    events::append(c, event::password_changed(account, revoked, Timestamp::now())).await?;
    Ok(revoked as u64)
}

/// Revokes every live token of `account` but `keep`, each with its `token.revoked` (which
/// closes its streams), and voids its pending authorization codes. Returns how many.
async fn sign_out(c: &mut PgConnection, account: Id, keep: Option<Id>) -> StoreResult<usize> {
    let revoked: Vec<i64> = sqlx::query_scalar(
        "UPDATE tokens SET revoked = true WHERE account_id = $1 AND NOT revoked AND id IS DISTINCT FROM $2 \
         RETURNING id",
    )
    .bind(account.0)
    .bind(keep.map(|k| k.0))
    .fetch_all(&mut *c)
    .await
    .db()?;
    sqlx::query("DELETE FROM auth_codes WHERE account_id = $1").bind(account.0).execute(&mut *c).await.db()?;
    let at = Timestamp::now();
    for token in &revoked {
        events::append(c, event::token_revoked(Id(*token), Some(account), at)).await?;
    }
    Ok(revoked.len())
}

/// What a change of an account's standing that touched no row means: the account is already as
/// asked, or it does not exist (`NotFound`).
async fn unchanged(c: &mut PgConnection, account: Id) -> StoreResult<Change> {
    hydrate::account(c, account.0).await?;
    Ok(Change::Unchanged)
}

pub(crate) async fn suspend(c: &mut PgConnection, account: Id, actor: Option<Id>) -> StoreResult<Change> {
    let at = Timestamp::now();
    let updated = sqlx::query("UPDATE accounts SET suspended_at = $1 WHERE id = $2 AND suspended_at IS NULL")
        .bind(at.0)
        .bind(account.0)
        .execute(&mut *c)
        .await
        .db()?;
    if updated.rows_affected() == 0 {
        return unchanged(c, account).await;
    }
    let revoked = sign_out(c, account, None).await?;
    events::append(c, event::suspended(account, actor, revoked, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn limit(
    c: &mut PgConnection,
    account: Id,
    limit: Limit,
    on: bool,
    actor: Option<Id>,
) -> StoreResult<Change> {
    let (set, unset, made, lifted) = match limit {
        Limit::Silence => (
            "UPDATE accounts SET silenced_at = $1 WHERE id = $2 AND silenced_at IS NULL",
            "UPDATE accounts SET silenced_at = NULL WHERE id = $1 AND silenced_at IS NOT NULL",
            EventKind::Silenced,
            EventKind::Unsilenced,
        ),
        Limit::Disable => (
            "UPDATE accounts SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
            "UPDATE accounts SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
            EventKind::Disabled,
            EventKind::Enabled,
        ),
    };
    let at = Timestamp::now();
    let updated = if on {
        sqlx::query(set).bind(at.0).bind(account.0).execute(&mut *c).await.db()?
    } else {
        sqlx::query(unset).bind(account.0).execute(&mut *c).await.db()?
    };
    if updated.rows_affected() == 0 {
        return unchanged(c, account).await;
    }
    // A disabled account is signed out everywhere, as a suspended one is.
    if on && limit == Limit::Disable {
        sign_out(c, account, None).await?;
    }
    events::append(c, event::limited(if on { made } else { lifted }, account, actor, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn erase(c: &mut PgConnection, account: Id, actor: Option<Id>) -> StoreResult<Change> {
    let at = Timestamp::now();
    let updated = sqlx::query(
        "UPDATE accounts SET deleted_at = $1, suspended_at = COALESCE(suspended_at, $1), display_name = '', \
           note = '', note_source = '', email = 'deleted-' || id || '@invalid', password_hash = '!' \
         WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(at.0)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .db()?;
    if updated.rows_affected() == 0 {
        return unchanged(c, account).await;
    }
    sign_out(c, account, None).await?;
    events::append(c, event::limited(EventKind::AccountDeleted, account, actor, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn unsuspend(c: &mut PgConnection, account: Id, actor: Option<Id>) -> StoreResult<Change> {
    let updated = sqlx::query(
        "UPDATE accounts SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL AND deleted_at IS NULL",
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .db()?;
    if updated.rows_affected() == 0 {
        return unchanged(c, account).await;
    }
    events::append(c, event::unsuspended(account, actor, Timestamp::now())).await?;
    Ok(Change::Made)
}

pub(crate) async fn create_auth_code(c: &mut PgConnection, code: AuthCode) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, app_id, account_id, redirect_uri, scopes, code_challenge, \
         code_challenge_method, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&code.code_hash)
    .bind(code.app_id.0)
    .bind(code.account_id.0)
    .bind(&code.redirect_uri)
    .bind(&code.scopes)
    .bind(&code.code_challenge)
    .bind(&code.code_challenge_method)
    .bind(code.expires_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub(crate) async fn take_auth_code(c: &mut PgConnection, code_hash: &str) -> StoreResult<AuthCode> {
    let row: AuthCodeRow = sqlx::query_as(
        "DELETE FROM auth_codes WHERE code_hash = $1 RETURNING code_hash, app_id, account_id, redirect_uri, \
         scopes, code_challenge, code_challenge_method, expires_at",
    )
    .bind(code_hash)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(row.into())
}

// ---- accounts -----------------------------------------------------------------------------------

pub(crate) async fn create_account(c: &mut PgConnection, a: NewAccount) -> StoreResult<Account> {
    sqlx::query(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, locale, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id.0)
    .bind(&a.username)
    .bind(&a.email)
    .bind(&a.password_hash)
    .bind(&a.display_name)
    .bind(&a.locale)
    .bind(a.role.as_str())
    .bind(a.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    let account = hydrate::account(c, a.id.0).await?;
    events::append(c, event::account_created(&account)).await?;
    Ok(account)
}

pub(crate) async fn account_by_username(c: &mut PgConnection, username: &str) -> StoreResult<Account> {
    // `lower(username)` is what the unique index covers, so this is one index probe.
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE lower(a.username) = lower($1)");
    let row: AccountRow = sqlx::query_as(SQL).bind(username).fetch_one(&mut *c).await.db()?;
    row.try_into()
}

pub(crate) async fn accounts_by_usernames(c: &mut PgConnection, usernames: &[String]) -> StoreResult<Vec<Account>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE lower(a.username) = ANY($1)");
    let lowered: Vec<String> = usernames.iter().map(|u| u.to_lowercase()).collect();
    let rows: Vec<AccountRow> = sqlx::query_as(SQL).bind(lowered).fetch_all(&mut *c).await.db()?;
    rows.into_iter().map(Account::try_from).collect()
}

pub(crate) async fn credentials(c: &mut PgConnection, login: &str) -> StoreResult<Credentials> {
    const SQL: &str = concat!(
        "SELECT ",
        account_columns!(),
        ", a.email, a.password_hash FROM accounts a WHERE lower(a.username) = lower($1) OR lower(a.email) = lower($1) \
         LIMIT 1"
    );
    let row: CredentialsRow = sqlx::query_as(SQL).bind(login).fetch_one(&mut *c).await.db()?;
    Ok(Credentials { account: row.account.try_into()?, email: row.email, password_hash: row.password_hash })
}

pub(crate) async fn update_account(c: &mut PgConnection, id: Id, u: AccountUpdate) -> StoreResult<Account> {
    let (note_source, note) = match u.note {
        Some((source, html)) => (Some(source), Some(html)),
        None => (None, None),
    };
    let updated = sqlx::query(
        "UPDATE accounts SET display_name = COALESCE($1, display_name), note_source = COALESCE($2, note_source), \
         note = COALESCE($3, note), locked = COALESCE($4, locked), bot = COALESCE($5, bot) WHERE id = $6",
    )
    .bind(u.display_name)
    .bind(note_source)
    .bind(note)
    .bind(u.locked)
    .bind(u.bot)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .db()?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let account = hydrate::account(c, id.0).await?;
    events::append(c, event::account_updated(&account, Timestamp::now())).await?;
    Ok(account)
}

// ---- follows ------------------------------------------------------------------------------------

pub(crate) async fn follow(
    c: &mut PgConnection,
    follower: Id,
    followee: Id,
    follow_id: Id,
    homes: Homes,
) -> StoreResult<Change> {
    make_follow(c, follower, followee, follow_id, homes, false).await
}

/// A follow, `approved` by the followee when it answers a request.
pub(crate) async fn make_follow(
    c: &mut PgConnection,
    follower: Id,
    followee: Id,
    follow_id: Id,
    homes: Homes,
    approved: bool,
) -> StoreResult<Change> {
    let at = Timestamp::now();
    home::lock(c, &[follower.0, followee.0], &[]).await?;
    let inserted = sqlx::query(
        "INSERT INTO follows (follower_id, followee_id, id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (follower_id, followee_id) DO NOTHING",
    )
    .bind(follower.0)
    .bind(followee.0)
    .bind(follow_id.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    if inserted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    move_follow_counters(c, follower, followee, 1).await?;
    if homes.materialised() {
        home::followed(c, follower, followee).await?;
    }
    let event =
        if approved { event::follow_approved(follower, followee, at) } else { event::followed(follower, followee, at) };
    events::append(c, event).await?;
    Ok(Change::Made)
}

pub(crate) async fn set_follow_notify(
    c: &mut PgConnection,
    follower: Id,
    followee: Id,
    notify: bool,
) -> StoreResult<Change> {
    let current: Option<bool> =
        sqlx::query_scalar("SELECT notify FROM follows WHERE follower_id = $1 AND followee_id = $2")
            .bind(follower.0)
            .bind(followee.0)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    match current {
        None => Err(StoreError::NotFound),
        Some(now) if now == notify => Ok(Change::Unchanged),
        Some(_) => {
            sqlx::query("UPDATE follows SET notify = $1 WHERE follower_id = $2 AND followee_id = $3")
                .bind(notify)
                .bind(follower.0)
                .bind(followee.0)
                .execute(&mut *c)
                .await
                .db()?;
            events::append(c, event::follow_updated(follower, followee, notify, Timestamp::now())).await?;
            Ok(Change::Made)
        }
    }
}

pub(crate) async fn unfollow(c: &mut PgConnection, follower: Id, followee: Id, homes: Homes) -> StoreResult<Change> {
    home::lock(c, &[follower.0, followee.0], &[]).await?;
    let deleted = sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .bind(follower.0)
        .bind(followee.0)
        .execute(&mut *c)
        .await
        .db()?;
    if deleted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    move_follow_counters(c, follower, followee, -1).await?;
    if homes.materialised() {
        home::unfollowed(c, follower, followee).await?;
    }
    events::append(c, event::unfollowed(follower, followee, Timestamp::now())).await?;
    Ok(Change::Made)
}

async fn move_follow_counters(c: &mut PgConnection, follower: Id, followee: Id, by: i64) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET following_count = following_count + $1 WHERE id = $2")
        .bind(by)
        .bind(follower.0)
        .execute(&mut *c)
        .await
        .db()?;
    sqlx::query("UPDATE accounts SET followers_count = followers_count + $1 WHERE id = $2")
        .bind(by)
        .bind(followee.0)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn is_following(c: &mut PgConnection, follower: Id, followee: Id) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2)")
        .bind(follower.0)
        .bind(followee.0)
        .fetch_one(&mut *c)
        .await
        .db()
}

pub(crate) async fn follower_ids(c: &mut PgConnection, account: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT follower_id FROM follows WHERE followee_id = $1")
        .bind(account.0)
        .fetch_all(&mut *c)
        .await
        .db()?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) async fn relationships(c: &mut PgConnection, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Relationship>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    type Row = (i64, bool, bool, bool, bool, bool, Option<bool>, bool, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = a.id), \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = a.id AND f.followee_id = $1), \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = a.id AND f.notify), \
           EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1 AND b.target_id = a.id), \
           EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = a.id AND b.target_id = $1), \
           (SELECT m.notifications FROM mutes m WHERE m.account_id = $1 AND m.target_id = a.id \
              AND (m.expires_at IS NULL OR m.expires_at > $3)), \
           EXISTS (SELECT 1 FROM follow_requests r WHERE r.account_id = $1 AND r.target_id = a.id), \
           EXISTS (SELECT 1 FROM follow_requests r WHERE r.account_id = a.id AND r.target_id = $1) \
         FROM accounts a WHERE a.id = ANY($2)",
    )
    .bind(viewer.0)
    .bind(ids.iter().map(|id| id.0).collect::<Vec<i64>>())
    .bind(Timestamp::now().0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let found: HashMap<i64, Row> = rows.into_iter().map(|row| (row.0, row)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| {
            let &(_, following, followed_by, notifying, blocking, blocked_by, muted, requested, requested_by) =
                found.get(&id.0)?;
            Some(Relationship {
                id: *id,
                following,
                followed_by,
                notifying,
                blocking,
                blocked_by,
                muting: muted.is_some(),
                muting_notifications: muted == Some(true),
                requested,
                requested_by,
            })
        })
        .collect())
}

/// `Followers`: who follows `account`; `Following`: whom `account` follows. Paged by follow id.
#[derive(Clone, Copy)]
pub(crate) enum FollowList {
    Followers,
    Following,
}

pub(crate) async fn follow_list(
    c: &mut PgConnection,
    which: FollowList,
    account: Id,
    req: PageRequest,
) -> StoreResult<Page<Account>> {
    let (listed, anchor) = match which {
        FollowList::Followers => ("follower_id", "followee_id"),
        FollowList::Following => ("followee_id", "follower_id"),
    };
    let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT f.id, f.{listed} FROM follows f WHERE f.{anchor} = "));
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn instance_counts(c: &mut PgConnection) -> StoreResult<InstanceCounts> {
    let (users, statuses): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL)",
    )
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(InstanceCounts { users, statuses })
}

// ---- moderation ----------------------------------------------------------------------------

pub(crate) async fn set_role(c: &mut PgConnection, account: Id, role: Role, actor: Option<Id>) -> StoreResult<Change> {
    let updated = sqlx::query("UPDATE accounts SET role = $1 WHERE id = $2 AND role <> $1")
        .bind(role.as_str())
        .bind(account.0)
        .execute(&mut *c)
        .await
        .db()?;
    if updated.rows_affected() == 0 {
        return unchanged(c, account).await;
    }
    events::append(c, event::role_changed(account, role, actor, Timestamp::now())).await?;
    Ok(Change::Made)
}

pub(crate) async fn admin_list(
    c: &mut PgConnection,
    suspended: bool,
    staff: bool,
    req: PageRequest,
) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT a.id, a.id FROM accounts a WHERE true");
    if suspended {
        qb.push(" AND a.suspended_at IS NOT NULL");
    }
    if staff {
        qb.push(" AND a.role <> 'user'");
    }
    page::push_bounds(&mut qb, "a.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}
