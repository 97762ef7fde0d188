//! `starling admin`: what an operator does from the server's own machine, straight on the
//! store, whether or not a server runs. Every change lands in the event log like any other,
//! so running servers act on it (a suspension closes the account's streams on every node).

use anyhow::Context;
use clap::Subcommand;
use starling_core::model::{Change, Limit};
use starling_server::Settings;

#[derive(Subcommand)]
pub enum Admin {
    /// Suspend an account: sign it out everywhere at once and refuse its sign-ins.
    Suspend {
        /// The account's username.
        username: String,
    },
    /// Lift an account's suspension.
    Unsuspend {
        /// The account's username.
        username: String,
    },
    /// Silence an account: its statuses stay out of the public timelines and searches of those
    /// who do not follow it.
    Silence { username: String },
    /// Lift an account's silence.
    Unsilence { username: String },
    /// Disable an account: sign it out everywhere and refuse its sign-ins; its content stays.
    Disable { username: String },
    /// Let a disabled account sign in again.
    Enable { username: String },
    /// Delete an account and everything it made: statuses, favourites, follows, stories and
    /// filters. Its username stays taken. This cannot be undone.
    Delete { username: String },
    /// Give an account a role: user, moderator, admin or owner. Moderators and above use the
    /// moderation API (`/api/v1/admin`) with a token holding `admin:read` / `admin:write`.
    Role {
        /// The account's username.
        username: String,
        /// user, moderator, admin or owner.
        role: String,
    },
    /// Create an account (signed up as through the API, but by the operator) and print its
    /// password.
    CreateUser {
        username: String,
        email: String,
        /// user, moderator, admin or owner.
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Give an account a new password, print it, and sign the account out everywhere.
    ResetPassword { username: String },
    /// List the open reports, newest first, one per line.
    Reports {
        /// At most this many.
        #[arg(long, default_value_t = 40)]
        limit: u32,
    },
}

pub async fn run(settings: &Settings, command: Admin) -> anyhow::Result<()> {
    let store = starling_server::open_store(settings).await?;
    let (username, suspend) = match &command {
        Admin::Suspend { username } => (username, true),
        Admin::Unsuspend { username } => (username, false),
        Admin::Reports { limit } => return reports(&*store, *limit).await,
        Admin::Role { username, role } => return set_role(&*store, username, role).await,
        Admin::CreateUser { username, email, role } => {
            return create_user(settings, &*store, username, email, role).await;
        }
        Admin::ResetPassword { username } => return reset_password(settings, &*store, username).await,
        Admin::Silence { username } => return limit(&*store, username, Limit::Silence, true).await,
        Admin::Unsilence { username } => return limit(&*store, username, Limit::Silence, false).await,
        Admin::Disable { username } => return limit(&*store, username, Limit::Disable, true).await,
        Admin::Enable { username } => return limit(&*store, username, Limit::Disable, false).await,
        Admin::Delete { username } => return delete(&*store, username).await,
    };
    let account =
        store.account_by_username(username).await.with_context(|| format!("no account is named {username:?}"))?;
    let change = if suspend {
        store.suspend_account(account.id, None).await?
    } else {
        store.unsuspend_account(account.id, None).await?
    };
    let done = match (suspend, change) {
        (true, Change::Made) => "suspended",
        (true, Change::Unchanged) => "was already suspended",
        (false, Change::Made) => "is no longer suspended",
        // A deleted account stays suspended for good.
        (false, Change::Unchanged) if store.account(account.id).await?.suspended => "was deleted and stays suspended",
        (false, Change::Unchanged) => "was not suspended",
    };
    println!("{username} {done}");
    Ok(())
}

async fn limit(store: &dyn starling_core::Store, username: &str, limit: Limit, on: bool) -> anyhow::Result<()> {
    let account =
        store.account_by_username(username).await.with_context(|| format!("no account is named {username:?}"))?;
    let change = store.limit_account(account.id, limit, on, None).await?;
    let state = match limit {
        Limit::Silence => "silenced",
        Limit::Disable => "disabled",
    };
    match (on, change) {
        (true, Change::Made) => println!("{username} {state}"),
        (true, Change::Unchanged) => println!("{username} was already {state}"),
        (false, Change::Made) => println!("{username} is no longer {state}"),
        (false, Change::Unchanged) => println!("{username} was not {state}"),
    }
    Ok(())
}

async fn delete(store: &dyn starling_core::Store, username: &str) -> anyhow::Result<()> {
    let account =
        store.account_by_username(username).await.with_context(|| format!("no account is named {username:?}"))?;
    let erased = starling_server::erasure::erase_account(store, account.id, None).await?;
    println!(
        "{username} deleted with {} statuses, {} favourites, {} follows and {} stories",
        erased.statuses, erased.favourites, erased.follows, erased.stories
    );
    Ok(())
}

/// `<id> <when> @reporter reported @target (<category>): <comment> [statuses: <ids>]`
async fn reports(store: &dyn starling_core::Store, limit: u32) -> anyhow::Result<()> {
    let page = store.reports(false, starling_core::page::PageRequest::first(limit.clamp(1, 1000))).await?;
    if page.items.is_empty() {
        println!("no open reports");
    }
    for r in &page.items {
        let statuses: Vec<String> = r.status_ids.iter().map(ToString::to_string).collect();
        println!(
            "{} {} @{} reported @{} ({}): {} [statuses: {}]",
            r.id,
            r.created_at.to_rfc3339(),
            r.account.username,
            r.target.username,
            r.category.as_str(),
            r.comment.replace('\n', " "),
            statuses.join(", ")
        );
    }
    Ok(())
}

async fn set_role(store: &dyn starling_core::Store, username: &str, role: &str) -> anyhow::Result<()> {
    let role = role_named(role)?;
    let account =
        store.account_by_username(username).await.with_context(|| format!("no account is named {username:?}"))?;
    match store.set_role(account.id, role, None).await? {
        Change::Made => println!("{username} is now {}", role.as_str()),
        Change::Unchanged => println!("{username} already was {}", role.as_str()),
    }
    Ok(())
}

fn role_named(role: &str) -> anyhow::Result<starling_core::model::Role> {
    role.parse().map_err(|()| anyhow::anyhow!("a role is user, moderator, admin or owner, not {role:?}"))
}

async fn create_user(
    settings: &Settings,
    store: &dyn starling_core::Store,
    username: &str,
    email: &str,
    role: &str,
) -> anyhow::Result<()> {
    use starling_core::validate::{Email, Username};
    let role = role_named(role)?;
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = starling_server::passwords::random_password();
    let password_hash = starling_server::passwords::hash(password.clone(), settings.password_cost)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // A node id of its own for the new account's id, as every process that makes ids leases.
    let holder = starling_server::cluster::holder_name();
    let node = starling_server::cluster::lease_node_id(store, &holder, std::time::Duration::from_secs(60)).await?;
    let id = starling_core::IdGenerator::new(node).next();
    store.release_lease(&format!("node/{node}"), &holder).await?;
    let account = store
        .create_account(starling_core::model::NewAccount {
            id,
            username: username.into_string(),
            email: email.as_str().to_string(),
            password_hash,
            display_name: String::new(),
            locale: "en".into(),
            role,
            created_at: starling_core::model::Timestamp::now(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created {} ({}) with the password {password}", account.username, role.as_str());
    Ok(())
}

async fn reset_password(settings: &Settings, store: &dyn starling_core::Store, username: &str) -> anyhow::Result<()> {
    let account =
        store.account_by_username(username).await.with_context(|| format!("no account is named {username:?}"))?;
    let password = starling_server::passwords::random_password();
    let hash = starling_server::passwords::hash(password.clone(), settings.password_cost)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let revoked = store.change_password(account.id, hash, None).await?;
    println!("{username} has the password {password}; {revoked} sessions were signed out");
    Ok(())
}
