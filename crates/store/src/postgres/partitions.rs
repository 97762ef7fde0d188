//! Monthly partitions of `statuses` (by id) and `events` (by `created_at`), made ahead of time
//! (migration `0004_partitions.sql`, docs/adr/0009-partitions-by-month.md).
//!
//! A partition is named after its month, `statuses_p202611`, so the names alone say which months
//! exist; `_history` holds everything before the first month. Months are calendar months in UTC.
//! New months are always appended after the newest one, so the ranges stay contiguous even when
//! a deployment was stopped for longer than the months made ahead.

use sqlx::PgConnection;
use starling_core::model::Timestamp;
use starling_core::store::{PARTITION_MONTHS_AHEAD, PartitionInfo};
use starling_core::{Id, StoreError, StoreResult};

use super::Db;

/// Serialises partition creation between nodes (`starparts` in ASCII).
const PARTITION_LOCK: i64 = 0x0073_7461_7270_6172;

/// Maps a month's first millisecond to the partition key's value then.
type KeyAt = fn(i64) -> i64;

/// The partitioned tables: statuses by id, the log by time.
const TABLES: [(&str, KeyAt); 2] = [("statuses", |ms| Id::floor_at(ms).0), ("events", |ms| ms)];

/// A calendar month in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Month {
    year: i32,
    /// 1–12.
    month: u32,
}

impl Month {
    pub(crate) fn containing(at: Timestamp) -> Month {
        let (year, month, _) = civil_from_days(at.0.div_euclid(86_400_000));
        Month { year, month }
    }

    fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }

    fn plus(self, months: u32) -> Month {
        (0..months).fold(self, |m, _| m.next())
    }

    /// Milliseconds since the Unix epoch at the first instant of the month.
    pub(crate) fn start_ms(self) -> i64 {
        days_from_civil(self.year, self.month, 1) * 86_400_000
    }

    fn suffix(self) -> String {
        format!("p{:04}{:02}", self.year, self.month)
    }

    fn parse_suffix(s: &str) -> Option<Month> {
        let digits = s.strip_prefix('p')?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (digits[..4].parse().ok()?, digits[4..].parse().ok()?);
        (1..=12).contains(&month).then_some(Month { year, month })
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((yoe + era * 400 + i64::from(month <= 2)) as i32, month, day)
}

/// Each partition of `table`: its name, the planner's row estimate and its size on disk.
async fn partitions_of(c: &mut PgConnection, table: &str) -> StoreResult<Vec<(String, f32, i64)>> {
    sqlx::query_as(
        "SELECT c.relname::text, greatest(c.reltuples, 0), pg_total_relation_size(c.oid) \
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// The months among `table`'s partitions, oldest first.
fn months(table: &str, partitions: &[(String, f32, i64)]) -> Vec<Month> {
    let prefix = format!("{table}_");
    let mut months: Vec<Month> =
        partitions.iter().filter_map(|(n, ..)| n.strip_prefix(&prefix)).filter_map(Month::parse_suffix).collect();
    months.sort();
    months
}

/// Creates the missing partitions up to [`PARTITION_MONTHS_AHEAD`] months after `now`'s, in the
/// caller's transaction, under a lock that makes concurrent callers take turns.
pub(crate) async fn prepare(c: &mut PgConnection, now: Timestamp) -> StoreResult<Vec<String>> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PARTITION_LOCK).execute(&mut *c).await.db()?;
    let last_wanted = Month::containing(now).plus(PARTITION_MONTHS_AHEAD);
    let mut created = Vec::new();
    for (table, key) in TABLES {
        let months = months(table, &partitions_of(c, table).await?);
        // The migration always makes a month; a database without one is not one Starling made.
        let Some(&newest) = months.last() else {
            return Err(StoreError::Other(format!("table {table} has no monthly partition")));
        };
        let mut month = newest.next();
        while month <= last_wanted {
            let name = format!("{table}_{}", month.suffix());
            // Names and bounds are generated here, never taken from input.
            let sql = format!(
                "CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ({}) TO ({})",
                key(month.start_ms()),
                key(month.next().start_ms())
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.db()?;
            created.push(name);
            month = month.next();
        }
    }
    Ok(created)
}

/// Every partition of the partitioned tables, by table, oldest first.
pub(crate) async fn list(c: &mut PgConnection) -> StoreResult<Vec<PartitionInfo>> {
    let mut out = Vec::new();
    for (table, _) in TABLES {
        let partitions = partitions_of(c, table).await?;
        let months = months(table, &partitions);
        let history = format!("{table}_history");
        let mut ranges: Vec<(String, Option<i64>, i64)> = Vec::new();
        if let (true, Some(first)) = (partitions.iter().any(|(n, ..)| *n == history), months.first()) {
            ranges.push((history, None, first.start_ms()));
        }
        ranges.extend(
            months.iter().map(|m| (format!("{table}_{}", m.suffix()), Some(m.start_ms()), m.next().start_ms())),
        );
        for (name, from, to) in ranges {
            let (estimated_rows, bytes) =
                partitions.iter().find(|(n, ..)| *n == name).map_or((0.0, 0), |&(_, rows, bytes)| (rows, bytes));
            out.push(PartitionInfo {
                table: table.to_string(),
                name,
                from: from.map(Timestamp),
                to: Timestamp(to),
                estimated_rows: estimated_rows as i64,
                bytes,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_where_the_calendar_says() {
        // 2026-11-01T00:00:00Z and 2027-01-01T00:00:00Z.
        assert_eq!(Month { year: 2026, month: 11 }.start_ms(), 1_793_491_200_000);
        assert_eq!(Month { year: 2027, month: 1 }.start_ms(), 1_798_761_600_000);
        assert_eq!(Month { year: 1970, month: 1 }.start_ms(), 0);
        // The last millisecond of November still belongs to it; leap days fall in February.
        assert_eq!(Month::containing(Timestamp(1_796_083_199_999)), Month { year: 2026, month: 11 });
        assert_eq!(Month::containing(Timestamp(1_796_083_200_000)), Month { year: 2026, month: 12 });
        assert_eq!(Month::containing(Timestamp(1_709_164_800_000)), Month { year: 2024, month: 2 });
    }

    #[test]
    fn months_roll_over_the_year_and_round_trip_through_names() {
        let m = Month { year: 2026, month: 11 };
        assert_eq!(m.plus(2), Month { year: 2027, month: 1 });
        assert_eq!(m.suffix(), "p202611");
        assert_eq!(Month::parse_suffix("p202611"), Some(m));
        for bad in ["p202613", "p2026", "x202611", "p20261a", "history"] {
            assert_eq!(Month::parse_suffix(bad), None, "{bad}");
        }
    }
}
