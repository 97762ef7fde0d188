//! Apps, tokens, authorization codes, accounts and follows.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use starling_core::event;
use starling_core::model::*;
use starling_core::page::{Page, PageRequest};
use starling_core::store::InstanceCounts;
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events, home, hydrate, id_list, page, text_list};
use crate::Homes;
use crate::rows::{AccountRow, AppRow, AuthCodeRow, CredentialsRow, TokenRow, account_columns};

// ---- apps ---------------------------------------------------------------------------------------

pub(crate) async fn create_app(c: &mut SqliteConnection, app: NewApp) -> StoreResult<App> {
    sqlx::query(
        "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id, client_secret, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(app.id.0)
    .bind(&app.name)
    .bind(&app.website)
    .bind(text_list(&app.redirect_uris)?)
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

pub(crate) async fn app(c: &mut SqliteConnection, id: Id) -> StoreResult<App> {
    const SQL: &str = concat!(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret, created_at FROM apps",
        " WHERE id = ?"
    );
    let row: AppRow = sqlx::query_as(SQL).bind(id.0).fetch_one(&mut *c).await.db()?;
    row.try_into()
}

pub(crate) async fn app_by_client_id(c: &mut SqliteConnection, client_id: &str) -> StoreResult<App> {
    const SQL: &str = concat!(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret, created_at FROM apps",
        " WHERE client_id = ?"
    );
    let row: AppRow = sqlx::query_as(SQL).bind(client_id).fetch_one(&mut *c).await.db()?;
    row.try_into()
}

// ---- tokens and authorization codes -------------------------------------------------------------

pub(crate) async fn create_token(c: &mut SqliteConnection, t: NewToken) -> StoreResult<TokenRecord> {
    sqlx::query(
        "INSERT INTO tokens (id, app_id, account_id, scopes, grant_type, created_at, expires_at, revoked) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
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

pub(crate) async fn token(c: &mut SqliteConnection, id: Id) -> StoreResult<TokenRecord> {
    let row: TokenRow = sqlx::query_as(
        "SELECT id, app_id, account_id, scopes, created_at, expires_at, revoked FROM tokens WHERE id = ?",
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(row.into())
}

pub(crate) async fn revoke_token(c: &mut SqliteConnection, id: Id) -> StoreResult<Change> {
    let revoked: Option<Option<i64>> =
        sqlx::query_scalar("UPDATE tokens SET revoked = 1 WHERE id = ? AND revoked = 0 RETURNING account_id")
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

pub(crate) async fn create_auth_code(c: &mut SqliteConnection, code: AuthCode) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, app_id, account_id, redirect_uri, scopes, code_challenge, \
         code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

pub(crate) async fn take_auth_code(c: &mut SqliteConnection, code_hash: &str) -> StoreResult<AuthCode> {
    let row: AuthCodeRow = sqlx::query_as(
        "DELETE FROM auth_codes WHERE code_hash = ? RETURNING code_hash, app_id, account_id, redirect_uri, \
         scopes, code_challenge, code_challenge_method, expires_at",
    )
    .bind(code_hash)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(row.into())
}

// ---- accounts -----------------------------------------------------------------------------------

pub(crate) async fn create_account(c: &mut SqliteConnection, a: NewAccount) -> StoreResult<Account> {
    sqlx::query(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, locale, role, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

pub(crate) async fn account_by_username(c: &mut SqliteConnection, username: &str) -> StoreResult<Account> {
    // `username` is declared COLLATE NOCASE, so `=` ignores case and uses the unique index.
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.username = ?");
    let row: AccountRow = sqlx::query_as(SQL).bind(username).fetch_one(&mut *c).await.db()?;
    row.try_into()
}

pub(crate) async fn accounts_by_usernames(c: &mut SqliteConnection, usernames: &[String]) -> StoreResult<Vec<Account>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str =
        concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.username IN (SELECT value FROM json_each(?))");
    let rows: Vec<AccountRow> = sqlx::query_as(SQL).bind(text_list(usernames)?).fetch_all(&mut *c).await.db()?;
    rows.into_iter().map(Account::try_from).collect()
}

pub(crate) async fn credentials(c: &mut SqliteConnection, login: &str) -> StoreResult<Credentials> {
    const SQL: &str = concat!(
        "SELECT ",
        account_columns!(),
        ", a.email, a.password_hash FROM accounts a WHERE a.username = ?1 OR a.email = ?1 LIMIT 1"
    );
    let row: CredentialsRow = sqlx::query_as(SQL).bind(login).fetch_one(&mut *c).await.db()?;
    Ok(Credentials { account: row.account.try_into()?, email: row.email, password_hash: row.password_hash })
}

pub(crate) async fn update_account(c: &mut SqliteConnection, id: Id, u: AccountUpdate) -> StoreResult<Account> {
    let (note_source, note) = match u.note {
        Some((source, html)) => (Some(source), Some(html)),
        None => (None, None),
    };
    let updated = sqlx::query(
        "UPDATE accounts SET display_name = COALESCE(?, display_name), note_source = COALESCE(?, note_source), \
         note = COALESCE(?, note), locked = COALESCE(?, locked), bot = COALESCE(?, bot) WHERE id = ?",
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
    c: &mut SqliteConnection,
    follower: Id,
    followee: Id,
    follow_id: Id,
    homes: Homes,
) -> StoreResult<Change> {
    let at = Timestamp::now();
    let inserted = sqlx::query(
        "INSERT INTO follows (follower_id, followee_id, id, created_at) VALUES (?, ?, ?, ?) \
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
    events::append(c, event::followed(follower, followee, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn set_follow_notify(
    c: &mut SqliteConnection,
    follower: Id,
    followee: Id,
    notify: bool,
) -> StoreResult<Change> {
    let current: Option<bool> =
        sqlx::query_scalar("SELECT notify FROM follows WHERE follower_id = ? AND followee_id = ?")
            .bind(follower.0)
            .bind(followee.0)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    match current {
        None => Err(StoreError::NotFound),
        Some(now) if now == notify => Ok(Change::Unchanged),
        Some(_) => {
            sqlx::query("UPDATE follows SET notify = ? WHERE follower_id = ? AND followee_id = ?")
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

pub(crate) async fn unfollow(
    c: &mut SqliteConnection,
    follower: Id,
    followee: Id,
    homes: Homes,
) -> StoreResult<Change> {
    let deleted = sqlx::query("DELETE FROM follows WHERE follower_id = ? AND followee_id = ?")
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

async fn move_follow_counters(c: &mut SqliteConnection, follower: Id, followee: Id, by: i64) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET following_count = following_count + ? WHERE id = ?")
        .bind(by)
        .bind(follower.0)
        .execute(&mut *c)
        .await
        .db()?;
    sqlx::query("UPDATE accounts SET followers_count = followers_count + ? WHERE id = ?")
        .bind(by)
        .bind(followee.0)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn is_following(c: &mut SqliteConnection, follower: Id, followee: Id) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ?)")
        .bind(follower.0)
        .bind(followee.0)
        .fetch_one(&mut *c)
        .await
        .db()
}

pub(crate) async fn follower_ids(c: &mut SqliteConnection, account: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT follower_id FROM follows WHERE followee_id = ?")
        .bind(account.0)
        .fetch_all(&mut *c)
        .await
        .db()?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) async fn relationships(c: &mut SqliteConnection, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Relationship>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, bool, bool, bool)> = sqlx::query_as(
        "SELECT a.id, \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = a.id), \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = a.id AND f.followee_id = ?1), \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = a.id AND f.notify = 1) \
         FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?2))",
    )
    .bind(viewer.0)
    .bind(id_list(ids.iter().map(|id| id.0)))
    .fetch_all(&mut *c)
    .await
    .db()?;
    let found: HashMap<i64, (bool, bool, bool)> = rows.into_iter().map(|(id, a, b, n)| (id, (a, b, n))).collect();
    Ok(ids
        .iter()
        .filter_map(|id| {
            let &(following, followed_by, notifying) = found.get(&id.0)?;
            Some(Relationship { id: *id, following, followed_by, notifying })
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
    c: &mut SqliteConnection,
    which: FollowList,
    account: Id,
    req: PageRequest,
) -> StoreResult<Page<Account>> {
    let (listed, anchor) = match which {
        FollowList::Followers => ("follower_id", "followee_id"),
        FollowList::Following => ("followee_id", "follower_id"),
    };
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT f.id, f.{listed} FROM follows f WHERE f.{anchor} = "));
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn instance_counts(c: &mut SqliteConnection) -> StoreResult<InstanceCounts> {
    let (users, statuses): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL)",
    )
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(InstanceCounts { users, statuses })
}
