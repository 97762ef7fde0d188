//! Starling's `Store` implementations, and the one place that picks a backend.
//!
//! The backend is chosen once, at start-up, from the database URL's scheme: `sqlite:` opens the
//! embedded SQLite store (the default; a file in the data directory), `postgres:` (or
//! `postgresql:`) the scale-out PostgreSQL store. Everything above this crate holds an
//! `Arc<dyn Store>` and never learns which one it got.

mod assemble;
mod extensions;
pub mod postgres;
pub mod read_scope;
mod rows;
pub mod sqlite;

use std::sync::Arc;

use starling_core::{Store, StoreError};

pub use postgres::PostgresStore;
pub use read_scope::ReadScope;
pub use sqlite::SqliteStore;

/// Above this many followers, an author's new statuses are not copied into each follower's home
/// timeline but merged into it when it is read (see `StoreOptions::fanout_threshold`).
pub const DEFAULT_FANOUT_THRESHOLD: i64 = 10_000;

/// How a store is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// This node's id (0–1023): it seeds the ids the store generates itself (follows,
    /// favourites, notifications) so that two nodes never collide.
    pub node_id: u16,
    /// A status (or reblog) by an author with at most this many followers is written into each
    /// follower's home timeline in the transaction that creates it; above it, it is recorded
    /// once and merged into the followers' homes when they are read, so that one write never
    /// has to touch more than this many rows. The decision is taken per status, when it is
    /// written, so changing the threshold affects new statuses only.
    pub fanout_threshold: i64,
    /// Whether the store keeps home timelines itself or leaves them to a cache in front of it.
    pub homes: HomeMode,
    /// `postgres://` URLs of streaming replicas of the (PostgreSQL) primary, which may serve
    /// client reads (see `postgres::PostgresStore`). Empty: every read goes to the primary.
    pub replica_urls: Vec<String>,
}

/// Who keeps the home timelines (ADR 6, ADR 11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HomeMode {
    /// The store materialises them in its own tables, in each write transaction (ADR 6).
    #[default]
    Materialised,
    /// The store writes no home entries: `home_timeline` computes a home when it is read, from
    /// statuses and follows, and a cache in front of the store (Redis, ADR 11) keeps the
    /// homes. `trim_home_timelines` and `home_timeline_differences` have nothing to do.
    Pulled,
}

/// What a backend's writes do to home timelines: the options that decide it, passed down to
/// each write that could change a home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Homes {
    pub mode: HomeMode,
    /// See [`StoreOptions::fanout_threshold`].
    pub threshold: i64,
}

impl Homes {
    pub(crate) fn of(options: &StoreOptions) -> Homes {
        Homes { mode: options.homes, threshold: options.fanout_threshold }
    }

    /// Whether writes keep the store's home tables.
    pub(crate) fn materialised(self) -> bool {
        self.mode == HomeMode::Materialised
    }
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            node_id: 0,
            fanout_threshold: DEFAULT_FANOUT_THRESHOLD,
            homes: HomeMode::Materialised,
            replica_urls: Vec::new(),
        }
    }
}

/// Opens the store named by `url`, applying pending migrations.
pub async fn connect(url: &str, options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(replica) = options.replica_urls.iter().find(|r| !matches!(scheme(r), Some("postgres" | "postgresql"))) {
        return Err(StoreError::Other(format!(
            "read replica URLs must be postgres:// URLs, not `{}`",
            redact(replica)
        )));
    }
    match scheme(url) {
        Some("sqlite") if !options.replica_urls.is_empty() => Err(StoreError::Other(
            "read replicas (STARLING_DATABASE_REPLICA_URLS) need a PostgreSQL database; this one is SQLite".into(),
        )),
        Some("sqlite") => Ok(Arc::new(SqliteStore::open(url, options).await?)),
        Some("postgres" | "postgresql") => Ok(Arc::new(PostgresStore::open(url, options).await?)),
        Some(other) => Err(StoreError::Other(format!("unsupported database URL scheme `{other}:`"))),
        None => Err(StoreError::Other("the database URL has no scheme; expected sqlite:// or postgres://".into())),
    }
}

/// Applies pending migrations to the store named by `url` and closes it again.
pub async fn migrate(url: &str) -> Result<(), StoreError> {
    match scheme(url) {
        Some("sqlite") => {
            let store = SqliteStore::open(url, &StoreOptions::default()).await?;
            store.close().await;
            Ok(())
        }
        Some("postgres" | "postgresql") => {
            let store = PostgresStore::open(url, &StoreOptions::default()).await?;
            store.close().await;
            Ok(())
        }
        _ => connect(url, &StoreOptions::default()).await.map(drop),
    }
}

/// Whether `url` names the embedded SQLite store (one process by construction).
pub fn is_sqlite(url: &str) -> bool {
    scheme(url) == Some("sqlite")
}

/// `url` without what may be a password: its scheme alone.
fn redact(url: &str) -> String {
    match scheme(url) {
        Some(scheme) => format!("{scheme}:…"),
        None => "(no scheme)".into(),
    }
}

fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let valid = !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    valid.then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(scheme("sqlite:///tmp/x.db"), Some("sqlite"));
        assert_eq!(scheme("sqlite::memory:"), Some("sqlite"));
        assert_eq!(scheme("postgres://u@h/db"), Some("postgres"));
        assert_eq!(scheme("postgresql://u@h/db"), Some("postgresql"));
        assert_eq!(scheme("/tmp/x.db"), None);
    }
}
