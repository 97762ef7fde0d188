//! The SQLite migrations, embedded at compile time.
//!
//! The SQL lives in `migrations/sqlite/` (one folder per backend). The list is spelled out here
//! rather than produced by `sqlx::migrate!`, which would need sqlx's `macros` feature; the
//! checksums are the same, so the two are interchangeable. A new migration is one more line.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::SqlitePool;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use starling_core::{StoreError, StoreResult};

fn migrator() -> Migrator {
    let migration = |version: i64, description: &'static str, sql: &'static str| {
        Migration::new(version, Cow::Borrowed(description), MigrationType::Simple, sql.into_sql_str(), false)
    };
    Migrator::with_migrations(vec![
        migration(1, "initial", include_str!("../../migrations/sqlite/0001_initial.sql")),
        migration(2, "notifications", include_str!("../../migrations/sqlite/0002_notifications.sql")),
        migration(3, "home timelines", include_str!("../../migrations/sqlite/0003_home_timelines.sql")),
        migration(4, "follow notify", include_str!("../../migrations/sqlite/0004_follow_notify.sql")),
        migration(5, "leases", include_str!("../../migrations/sqlite/0005_leases.sql")),
    ])
}

/// Applies pending migrations; refuses a database migrated by a newer Starling.
pub(crate) async fn run(pool: &SqlitePool) -> StoreResult<()> {
    migrator().run(pool).await.map_err(|e| StoreError::Other(format!("migrating the database: {e}")))
}
