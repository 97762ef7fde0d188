//! The PostgreSQL migrations, embedded at compile time. The SQLite history is folded into the
//! first one: a fresh backend has nothing to upgrade.
//!
//! The SQL lives in `migrations/postgres/` (one folder per backend). The list is spelled out here
//! rather than produced by `sqlx::migrate!`, which would need sqlx's `macros` feature; the
//! checksums are the same, so the two are interchangeable. A new migration is one more line.

use std::borrow::Cow;

use sqlx::PgPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use starling_core::{StoreError, StoreResult};

fn migrator() -> Migrator {
    let migration = |version: i64, description: &'static str, sql: &'static str| {
        Migration::new(version, Cow::Borrowed(description), MigrationType::Simple, sql.into_sql_str(), false)
    };
    Migrator::with_migrations(vec![
        migration(1, "initial", include_str!("../../migrations/postgres/0001_initial.sql")),
        migration(3, "leases", include_str!("../../migrations/postgres/0003_leases.sql")),
        migration(4, "partitions", include_str!("../../migrations/postgres/0004_partitions.sql")),
        migration(5, "stories and chats", include_str!("../../migrations/postgres/0005_stories_and_chats.sql")),
        migration(6, "media", include_str!("../../migrations/postgres/0006_media.sql")),
        migration(7, "search", include_str!("../../migrations/postgres/0007_search.sql")),
        migration(8, "status has media", include_str!("../../migrations/postgres/0008_status_has_media.sql")),
        migration(9, "followed tags", include_str!("../../migrations/postgres/0009_followed_tags.sql")),
        migration(10, "quotes", include_str!("../../migrations/postgres/0010_quotes.sql")),
        migration(11, "idempotent requests", include_str!("../../migrations/postgres/0011_idempotent_requests.sql")),
        migration(12, "suspensions", include_str!("../../migrations/postgres/0012_suspensions.sql")),
        migration(13, "bookmarks and pins", include_str!("../../migrations/postgres/0013_bookmarks_and_pins.sql")),
        migration(14, "reports", include_str!("../../migrations/postgres/0014_reports.sql")),
        migration(15, "blocks and mutes", include_str!("../../migrations/postgres/0015_blocks_and_mutes.sql")),
        migration(16, "follow requests", include_str!("../../migrations/postgres/0016_follow_requests.sql")),
        migration(17, "filters", include_str!("../../migrations/postgres/0017_filters.sql")),
        migration(18, "limits", include_str!("../../migrations/postgres/0018_limits.sql")),
        migration(19, "deleted accounts", include_str!("../../migrations/postgres/0019_deleted_accounts.sql")),
    ])
}

/// Applies pending migrations; refuses a database migrated by a newer Starling.
pub(crate) async fn run(pool: &PgPool) -> StoreResult<()> {
    migrator().run(pool).await.map_err(|e| StoreError::Other(format!("migrating the database: {e}")))
}
