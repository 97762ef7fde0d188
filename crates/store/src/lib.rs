//! Starling's `Store` implementations, and the one place that picks a backend.
//!
//! The backend is chosen once, at start-up, from the database URL's scheme: `sqlite:` opens the
//! embedded SQLite store (the default; a file in the data directory), `postgres:` will open the
//! scale-out PostgreSQL store once it exists. Everything above this crate holds an
//! `Arc<dyn Store>` and never learns which one it got.

pub mod sqlite;

use std::sync::Arc;

use starling_core::{Store, StoreError};

pub use sqlite::SqliteStore;

/// Opens the store named by `url`, applying pending migrations. `node_id` (0–1023) seeds the
/// ids the store generates itself (follows, favourites) so that two nodes never collide.
pub async fn connect(url: &str, node_id: u16) -> Result<Arc<dyn Store>, StoreError> {
    match scheme(url) {
        Some("sqlite") => Ok(Arc::new(SqliteStore::open(url, node_id).await?)),
        Some("postgres" | "postgresql") => {
            Err(StoreError::Other("PostgreSQL support is not built yet; use a sqlite: URL".into()))
        }
        Some(other) => Err(StoreError::Other(format!("unsupported database URL scheme `{other}:`"))),
        None => Err(StoreError::Other("the database URL has no scheme; expected sqlite:// or postgres://".into())),
    }
}

/// Applies pending migrations to the store named by `url` and closes it again.
pub async fn migrate(url: &str) -> Result<(), StoreError> {
    match scheme(url) {
        Some("sqlite") => {
            let store = SqliteStore::open(url, 0).await?;
            store.close().await;
            Ok(())
        }
        _ => connect(url, 0).await.map(drop),
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
        assert_eq!(scheme("/tmp/x.db"), None);
    }

    #[tokio::test]
    async fn postgres_urls_are_refused_clearly_for_now() {
        let err = connect("postgres://localhost/starling", 0).await.err();
        assert!(matches!(err, Some(StoreError::Other(m)) if m.contains("PostgreSQL")));
    }
}
