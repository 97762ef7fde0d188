//! `starling partitions`: what an operator looks at before detaching an old month
//! (docs/deploy.md, "Partitions").

use std::io::Write;

use starling_core::model::Timestamp;
use starling_core::store::PartitionInfo;
use starling_server::Settings;

/// Makes the missing months ahead (as every node does at start-up and hourly), then prints one
/// line per partition.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let store = starling_server::open_store(settings).await?;
    let created = store.prepare_partitions(Timestamp::now()).await?;
    let partitions = store.partitions().await?;
    let mut out = std::io::stdout().lock();
    if partitions.is_empty() {
        writeln!(out, "the {} store does not partition its tables", store.backend())?;
        return Ok(());
    }
    for name in &created {
        writeln!(out, "created {name}")?;
    }
    writeln!(
        out,
        "{:<10} {:<20} {:<10} {:<10} {:>12} {:>12}",
        "table", "partition", "from", "to", "rows (est.)", "bytes"
    )?;
    for line in partitions.iter().map(line) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn line(p: &PartitionInfo) -> String {
    let from = p.from.map_or_else(|| "-".to_string(), date);
    format!("{:<10} {:<20} {:<10} {:<10} {:>12} {:>12}", p.table, p.name, from, date(p.to), p.estimated_rows, p.bytes)
}

/// `YYYY-MM-DD` in UTC.
fn date(t: Timestamp) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000) {
        Ok(at) => format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day()),
        Err(_) => t.0.to_string(),
    }
}
