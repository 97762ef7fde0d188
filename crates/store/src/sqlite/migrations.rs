//! The SQLite migrations, embedded at compile time, and the runner that applies them.
//!
//! The SQL lives in `migrations/sqlite/` (one folder per backend). Applied migrations are
//! recorded in `_sqlx_migrations`, in the format of sqlx's migrator (which earlier versions of
//! Starling used for SQLite, and the PostgreSQL store still uses): version, description,
//! success and the SHA-384 of the SQL. Databases made by either runner open with the other.
//! A new migration is one more line in [`MIGRATIONS`].

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha384};
use starling_core::{StoreError, StoreResult};

use super::sql::db_error;

/// `(version, description, SQL)`, in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../../migrations/sqlite/0001_initial.sql")),
    (2, "notifications", include_str!("../../migrations/sqlite/0002_notifications.sql")),
    (3, "home timelines", include_str!("../../migrations/sqlite/0003_home_timelines.sql")),
    (4, "follow notify", include_str!("../../migrations/sqlite/0004_follow_notify.sql")),
    (5, "leases", include_str!("../../migrations/sqlite/0005_leases.sql")),
    (6, "stories and chats", include_str!("../../migrations/sqlite/0006_stories_and_chats.sql")),
    (7, "media", include_str!("../../migrations/sqlite/0007_media.sql")),
    (8, "search", include_str!("../../migrations/sqlite/0008_search.sql")),
    (9, "status has media", include_str!("../../migrations/sqlite/0009_status_has_media.sql")),
    (10, "search from the log", include_str!("../../migrations/sqlite/0010_search_from_the_log.sql")),
    (11, "followed tags", include_str!("../../migrations/sqlite/0011_followed_tags.sql")),
    (12, "quotes", include_str!("../../migrations/sqlite/0012_quotes.sql")),
    (13, "idempotent requests", include_str!("../../migrations/sqlite/0013_idempotent_requests.sql")),
    (14, "suspensions", include_str!("../../migrations/sqlite/0014_suspensions.sql")),
    (15, "bookmarks and pins", include_str!("../../migrations/sqlite/0015_bookmarks_and_pins.sql")),
    (16, "reports", include_str!("../../migrations/sqlite/0016_reports.sql")),
    (17, "blocks and mutes", include_str!("../../migrations/sqlite/0017_blocks_and_mutes.sql")),
    (18, "follow requests", include_str!("../../migrations/sqlite/0018_follow_requests.sql")),
    (19, "filters", include_str!("../../migrations/sqlite/0019_filters.sql")),
    (20, "limits", include_str!("../../migrations/sqlite/0020_limits.sql")),
    (21, "deleted accounts", include_str!("../../migrations/sqlite/0021_deleted_accounts.sql")),
];

fn failed(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("migrating the database: {what}"))
}

/// Applies pending migrations, each in its own transaction; refuses a database migrated by a
/// newer Starling, or one whose applied migrations differ from these.
pub(crate) fn run(c: &Connection) -> StoreResult<()> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL
        );",
    )
    .map_err(db_error)?;
    let dirty: Option<i64> = c
        .query_row("SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_error)?;
    if let Some(version) = dirty {
        return Err(failed(format!("migration {version} was left half-applied")));
    }
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    let applied: Vec<(i64, Vec<u8>)> = {
        let mut statement =
            c.prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version").map_err(db_error)?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(db_error)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db_error)?
    };
    for (version, checksum) in &applied {
        match MIGRATIONS.iter().find(|m| m.0 == *version) {
            None if *version > newest => {
                return Err(failed(format!(
                    "the database is at version {version}, newer than this Starling knows ({newest})"
                )));
            }
            None => return Err(failed(format!("migration {version} was applied but is unknown"))),
            Some((_, _, sql)) if Sha384::digest(sql.as_bytes())[..] != checksum[..] => {
                return Err(failed(format!("migration {version} was applied with different SQL")));
            }
            Some(_) => {}
        }
    }
    for (version, description, sql) in MIGRATIONS {
        if applied.iter().any(|(v, _)| v == version) {
            continue;
        }
        let started = std::time::Instant::now();
        let apply = || -> rusqlite::Result<()> {
            c.execute_batch("BEGIN IMMEDIATE")?;
            c.execute_batch(sql)?;
            c.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (?, ?, true, ?, ?)",
                params![
                    version,
                    description,
                    &Sha384::digest(sql.as_bytes())[..],
                    i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX)
                ],
            )?;
            c.execute_batch("COMMIT")
        };
        if let Err(e) = apply() {
            if !c.is_autocommit() {
                let _ = c.execute_batch("ROLLBACK");
            }
            return Err(failed(format!("migration {version} ({description}): {e}")));
        }
        tracing::info!(version, description, "applied a migration");
    }
    Ok(())
}
