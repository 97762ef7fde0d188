//! Apps, tokens, authorization codes, accounts and follows.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use starling_core::event::{self, EventKind};
use starling_core::model::*;
use starling_core::page::{Page, PageRequest};
use starling_core::store::InstanceCounts;
use starling_core::{Id, StoreError, StoreResult};

use super::{QueryBuilder, Sql, events, home, hydrate, id_list, page, text_list};
use crate::Homes;
use crate::rows::{AccountRow, AppRow, AuthCodeRow, CredentialsRow, TokenRow, account_columns};

// ---- apps ---------------------------------------------------------------------------------------

pub(crate) fn create_app(c: &Connection, app: NewApp) -> StoreResult<App> {
    c.run(
        "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id, client_secret, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            app.id.0,
            &app.name,
            &app.website,
            text_list(&app.redirect_uris)?,
            &app.scopes,
            &app.client_id,
            &app.client_secret,
            app.created_at.0
        ],
    )?;
    events::append(c, event::app_created(app.id, &app.name, app.created_at))?;
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

pub(crate) fn app(c: &Connection, id: Id) -> StoreResult<App> {
    const SQL: &str = concat!(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret, created_at FROM apps",
        " WHERE id = ?"
    );
    let row: AppRow = c.one(SQL, params![id.0])?;
    row.try_into()
}

pub(crate) fn app_by_client_id(c: &Connection, client_id: &str) -> StoreResult<App> {
    const SQL: &str = concat!(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret, created_at FROM apps",
        " WHERE client_id = ?"
    );
    let row: AppRow = c.one(SQL, params![client_id])?;
    row.try_into()
}

// ---- tokens and authorization codes -------------------------------------------------------------

pub(crate) fn create_token(c: &Connection, t: NewToken) -> StoreResult<TokenRecord> {
    c.run(
        "INSERT INTO tokens (id, app_id, account_id, scopes, grant_type, created_at, expires_at, revoked) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        params![
            t.id.0,
            t.app_id.0,
            t.account_id.map(|id| id.0),
            &t.scopes,
            &t.grant,
            t.created_at.0,
            t.expires_at.map(|at| at.0)
        ],
    )?;
    events::append(c, event::token_issued(t.id, t.app_id, t.account_id, &t.scopes, &t.grant, t.created_at))?;
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

pub(crate) fn token(c: &Connection, id: Id) -> StoreResult<TokenRecord> {
    let row: TokenRow = c.one(
        "SELECT id, app_id, account_id, scopes, created_at, expires_at, revoked FROM tokens WHERE id = ?",
        params![id.0],
    )?;
    Ok(row.into())
}

pub(crate) fn revoke_token(c: &Connection, id: Id) -> StoreResult<Change> {
    let revoked: Option<Option<i64>> =
        c.optional("UPDATE tokens SET revoked = 1 WHERE id = ? AND revoked = 0 RETURNING account_id", params![id.0])?;
    match revoked {
        Some(account) => {
            events::append(c, event::token_revoked(id, account.map(Id), Timestamp::now()))?;
            Ok(Change::Made)
        }
        None => {
            token(c, id)?;
            Ok(Change::Unchanged)
        }
    }
}

pub(crate) fn change_password(c: &Connection, account: Id, password_hash: &str, keep: Option<Id>) -> StoreResult<u64> {
    let updated = c.run("UPDATE accounts SET password_hash = ? WHERE id = ?", params![password_hash, account.0])?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    let revoked = sign_out(c, account, keep)?;
    events::append(c, event::password_changed(account, revoked, Timestamp::now()))?;
    Ok(revoked as u64)
}

/// Revokes every live token of `account` but `keep`, each with its `token.revoked` (which
/// closes its streams), and voids its pending authorization codes. Returns how many.
fn sign_out(c: &Connection, account: Id, keep: Option<Id>) -> StoreResult<usize> {
    let revoked: Vec<i64> = c.all(
        "UPDATE tokens SET revoked = 1 WHERE account_id = ? AND NOT revoked AND id IS NOT ? RETURNING id",
        params![account.0, keep.map(|k| k.0)],
    )?;
    c.run("DELETE FROM auth_codes WHERE account_id = ?", params![account.0])?;
    let at = Timestamp::now();
    for token in &revoked {
        events::append(c, event::token_revoked(Id(*token), Some(account), at))?;
    }
    Ok(revoked.len())
}

/// What a change of an account's standing that touched no row means: the account is already as
/// asked, or it does not exist (`NotFound`).
fn unchanged(c: &Connection, account: Id) -> StoreResult<Change> {
    hydrate::account(c, account.0)?;
    Ok(Change::Unchanged)
}

pub(crate) fn suspend(c: &Connection, account: Id, actor: Option<Id>) -> StoreResult<Change> {
    let at = Timestamp::now();
    let updated =
        c.run("UPDATE accounts SET suspended_at = ? WHERE id = ? AND suspended_at IS NULL", params![at.0, account.0])?;
    if updated == 0 {
        return unchanged(c, account);
    }
    let revoked = sign_out(c, account, None)?;
    events::append(c, event::suspended(account, actor, revoked, at))?;
    Ok(Change::Made)
}

pub(crate) fn unsuspend(c: &Connection, account: Id, actor: Option<Id>) -> StoreResult<Change> {
    let updated = c.run(
        "UPDATE accounts SET suspended_at = NULL WHERE id = ? AND suspended_at IS NOT NULL AND deleted_at IS NULL",
        params![account.0],
    )?;
    if updated == 0 {
        return unchanged(c, account);
    }
    events::append(c, event::unsuspended(account, actor, Timestamp::now()))?;
    Ok(Change::Made)
}

pub(crate) fn limit(c: &Connection, account: Id, limit: Limit, on: bool, actor: Option<Id>) -> StoreResult<Change> {
    let (column, made, lifted) = match limit {
        Limit::Silence => ("silenced_at", EventKind::Silenced, EventKind::Unsilenced),
        Limit::Disable => ("disabled_at", EventKind::Disabled, EventKind::Enabled),
    };
    let at = Timestamp::now();
    let updated = if on {
        c.run(&format!("UPDATE accounts SET {column} = ? WHERE id = ? AND {column} IS NULL"), params![at.0, account.0])?
    } else {
        c.run(
            &format!("UPDATE accounts SET {column} = NULL WHERE id = ? AND {column} IS NOT NULL"),
            params![account.0],
        )?
    };
    if updated == 0 {
        return unchanged(c, account);
    }
    // A disabled account is signed out everywhere, as a suspended one is.
    if on && limit == Limit::Disable {
        sign_out(c, account, None)?;
    }
    events::append(c, event::limited(if on { made } else { lifted }, account, actor, at))?;
    Ok(Change::Made)
}

pub(crate) fn erase(c: &Connection, account: Id, actor: Option<Id>) -> StoreResult<Change> {
    let at = Timestamp::now();
    let updated = c.run(
        "UPDATE accounts SET deleted_at = ?1, suspended_at = COALESCE(suspended_at, ?1), display_name = '', \
           note = '', note_source = '', email = 'deleted-' || id || '@invalid', password_hash = '!' \
         WHERE id = ?2 AND deleted_at IS NULL",
        params![at.0, account.0],
    )?;
    if updated == 0 {
        return unchanged(c, account);
    }
    sign_out(c, account, None)?;
    events::append(c, event::limited(EventKind::AccountDeleted, account, actor, at))?;
    Ok(Change::Made)
}

pub(crate) fn create_auth_code(c: &Connection, code: AuthCode) -> StoreResult<()> {
    c.run(
        "INSERT INTO auth_codes (code_hash, app_id, account_id, redirect_uri, scopes, code_challenge, \
         code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            &code.code_hash,
            code.app_id.0,
            code.account_id.0,
            &code.redirect_uri,
            &code.scopes,
            &code.code_challenge,
            &code.code_challenge_method,
            code.expires_at.0
        ],
    )?;
    Ok(())
}

pub(crate) fn take_auth_code(c: &Connection, code_hash: &str) -> StoreResult<AuthCode> {
    let row: AuthCodeRow = c.one(
        "DELETE FROM auth_codes WHERE code_hash = ? RETURNING code_hash, app_id, account_id, redirect_uri, \
         scopes, code_challenge, code_challenge_method, expires_at",
        params![code_hash],
    )?;
    Ok(row.into())
}

// ---- accounts -----------------------------------------------------------------------------------

pub(crate) fn create_account(c: &Connection, a: NewAccount) -> StoreResult<Account> {
    c.run(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, locale, role, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            a.id.0,
            &a.username,
            &a.email,
            &a.password_hash,
            &a.display_name,
            &a.locale,
            a.role.as_str(),
            a.created_at.0
        ],
    )?;
    let account = hydrate::account(c, a.id.0)?;
    events::append(c, event::account_created(&account))?;
    Ok(account)
}

pub(crate) fn account_by_username(c: &Connection, username: &str) -> StoreResult<Account> {
    // `username` is declared COLLATE NOCASE, so `=` ignores case and uses the unique index.
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.username = ?");
    let row: AccountRow = c.one(SQL, params![username])?;
    row.try_into()
}

pub(crate) fn accounts_by_usernames(c: &Connection, usernames: &[String]) -> StoreResult<Vec<Account>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str =
        concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.username IN (SELECT value FROM json_each(?))");
    let rows: Vec<AccountRow> = c.all(SQL, params![text_list(usernames)?])?;
    rows.into_iter().map(Account::try_from).collect()
}

pub(crate) fn credentials(c: &Connection, login: &str) -> StoreResult<Credentials> {
    const SQL: &str = concat!(
        "SELECT ",
        account_columns!(),
        ", a.email, a.password_hash FROM accounts a WHERE a.username = ?1 OR a.email = ?1 LIMIT 1"
    );
    let row: CredentialsRow = c.one(SQL, params![login])?;
    Ok(Credentials { account: row.account.try_into()?, email: row.email, password_hash: row.password_hash })
}

pub(crate) fn update_account(c: &Connection, id: Id, u: AccountUpdate) -> StoreResult<Account> {
    let (note_source, note) = match u.note {
        Some((source, html)) => (Some(source), Some(html)),
        None => (None, None),
    };
    let updated = c.run(
        "UPDATE accounts SET display_name = COALESCE(?, display_name), note_source = COALESCE(?, note_source), \
         note = COALESCE(?, note), locked = COALESCE(?, locked), bot = COALESCE(?, bot) WHERE id = ?",
        params![u.display_name, note_source, note, u.locked, u.bot, id.0],
    )?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    let account = hydrate::account(c, id.0)?;
    events::append(c, event::account_updated(&account, Timestamp::now()))?;
    Ok(account)
}

// ---- follows ------------------------------------------------------------------------------------

pub(crate) fn follow(c: &Connection, follower: Id, followee: Id, follow_id: Id, homes: Homes) -> StoreResult<Change> {
    make_follow(c, follower, followee, follow_id, homes, false)
}

/// A follow, `approved` by the followee when it answers a request.
pub(crate) fn make_follow(
    c: &Connection,
    follower: Id,
    followee: Id,
    follow_id: Id,
    homes: Homes,
    approved: bool,
) -> StoreResult<Change> {
    let at = Timestamp::now();
    let inserted = c.run(
        "INSERT INTO follows (follower_id, followee_id, id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (follower_id, followee_id) DO NOTHING",
        params![follower.0, followee.0, follow_id.0, at.0],
    )?;
    if inserted == 0 {
        return Ok(Change::Unchanged);
    }
    move_follow_counters(c, follower, followee, 1)?;
    if homes.materialised() {
        home::followed(c, follower, followee)?;
    }
    let event =
        if approved { event::follow_approved(follower, followee, at) } else { event::followed(follower, followee, at) };
    events::append(c, event)?;
    Ok(Change::Made)
}

pub(crate) fn set_follow_notify(c: &Connection, follower: Id, followee: Id, notify: bool) -> StoreResult<Change> {
    let current: Option<bool> = c.optional(
        "SELECT notify FROM follows WHERE follower_id = ? AND followee_id = ?",
        params![follower.0, followee.0],
    )?;
    match current {
        None => Err(StoreError::NotFound),
        Some(now) if now == notify => Ok(Change::Unchanged),
        Some(_) => {
            c.run(
                "UPDATE follows SET notify = ? WHERE follower_id = ? AND followee_id = ?",
                params![notify, follower.0, followee.0],
            )?;
            events::append(c, event::follow_updated(follower, followee, notify, Timestamp::now()))?;
            Ok(Change::Made)
        }
    }
}

pub(crate) fn unfollow(c: &Connection, follower: Id, followee: Id, homes: Homes) -> StoreResult<Change> {
    let deleted =
        c.run("DELETE FROM follows WHERE follower_id = ? AND followee_id = ?", params![follower.0, followee.0])?;
    if deleted == 0 {
        return Ok(Change::Unchanged);
    }
    move_follow_counters(c, follower, followee, -1)?;
    if homes.materialised() {
        home::unfollowed(c, follower, followee)?;
    }
    events::append(c, event::unfollowed(follower, followee, Timestamp::now()))?;
    Ok(Change::Made)
}

fn move_follow_counters(c: &Connection, follower: Id, followee: Id, by: i64) -> StoreResult<()> {
    c.run("UPDATE accounts SET following_count = following_count + ? WHERE id = ?", params![by, follower.0])?;
    c.run("UPDATE accounts SET followers_count = followers_count + ? WHERE id = ?", params![by, followee.0])?;
    Ok(())
}

pub(crate) fn is_following(c: &Connection, follower: Id, followee: Id) -> StoreResult<bool> {
    c.one(
        "SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ?)",
        params![follower.0, followee.0],
    )
}

pub(crate) fn follower_ids(c: &Connection, account: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> = c.all("SELECT follower_id FROM follows WHERE followee_id = ?", params![account.0])?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) fn relationships(c: &Connection, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Relationship>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    type Row = (i64, bool, bool, bool, bool, bool, Option<bool>, bool, bool);
    let rows: Vec<Row> = c.all(
        "SELECT a.id, \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = a.id), \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = a.id AND f.followee_id = ?1), \
           EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = a.id AND f.notify = 1), \
           EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ?1 AND b.target_id = a.id), \
           EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = a.id AND b.target_id = ?1), \
           (SELECT m.notifications FROM mutes m WHERE m.account_id = ?1 AND m.target_id = a.id \
              AND (m.expires_at IS NULL OR m.expires_at > ?3)), \
           EXISTS (SELECT 1 FROM follow_requests r WHERE r.account_id = ?1 AND r.target_id = a.id), \
           EXISTS (SELECT 1 FROM follow_requests r WHERE r.account_id = a.id AND r.target_id = ?1) \
         FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?2))",
        params![viewer.0, id_list(ids.iter().map(|id| id.0)), Timestamp::now().0],
    )?;
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

pub(crate) fn follow_list(
    c: &Connection,
    which: FollowList,
    account: Id,
    req: PageRequest,
) -> StoreResult<Page<Account>> {
    let (listed, anchor) = match which {
        FollowList::Followers => ("follower_id", "followee_id"),
        FollowList::Following => ("followee_id", "follower_id"),
    };
    let mut qb = QueryBuilder::new(format!("SELECT f.id, f.{listed} FROM follows f WHERE f.{anchor} = "));
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::accounts(c, &req, pairs)
}

pub(crate) fn instance_counts(c: &Connection) -> StoreResult<InstanceCounts> {
    let (users, statuses): (i64, i64) = c.one(
        "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL)",
        params![],
    )?;
    Ok(InstanceCounts { users, statuses })
}

// ---- moderation ----------------------------------------------------------------------------

pub(crate) fn set_role(c: &Connection, account: Id, role: Role, actor: Option<Id>) -> StoreResult<Change> {
    let updated = c.run(
        "UPDATE accounts SET role = ? WHERE id = ? AND role <> ?",
        params![role.as_str(), account.0, role.as_str()],
    )?;
    if updated == 0 {
        return unchanged(c, account);
    }
    events::append(c, event::role_changed(account, role, actor, Timestamp::now()))?;
    Ok(Change::Made)
}

pub(crate) fn admin_list(c: &Connection, suspended: bool, staff: bool, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::new("SELECT a.id, a.id FROM accounts a WHERE 1 = 1");
    if suspended {
        qb.push(" AND a.suspended_at IS NOT NULL");
    }
    if staff {
        qb.push(" AND a.role <> 'user'");
    }
    page::push_bounds(&mut qb, "a.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::accounts(c, &req, pairs)
}
