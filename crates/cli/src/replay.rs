//! `starling replay`: rebuilds the projections (counters and notifications) from the event log
//! alone, compares them with the live ones and reports every difference.
//!
//! The live state is read first, in one snapshot, and the log is replayed up to the newest
//! event of that snapshot, so the comparison is exact even while a server is writing (only the
//! notifier may lag behind, which the report then says).

use std::io::Write;

use starling_core::projection::{Difference, LiveState, Projection};
use starling_core::{Store, StoreResult};
use starling_server::Settings;
use starling_server::realtime::pipeline::CONSUMER as NOTIFIER;

const BATCH: u32 = 1000;
/// Differences beyond this many are counted, not listed: one broken rule can cause thousands,
/// and the first ones show which it is.
const MAX_LISTED: usize = 100;

/// Runs the replay and prints its report on stdout; `true` when everything matched.
pub async fn run(settings: &Settings) -> anyhow::Result<bool> {
    let store = starling_server::open_store(settings).await?;
    let live = store.live_state(NOTIFIER).await?;
    let projection = rebuild(&*store, live.last_event_seq).await?;
    let differences = projection.diff(&live);
    let mut out = std::io::stdout().lock();
    for line in report(&projection, &live, &differences) {
        writeln!(out, "{line}")?;
    }
    Ok(differences.is_empty())
}

/// The projection of the log up to event `upto`.
async fn rebuild(store: &dyn Store, upto: i64) -> StoreResult<Projection> {
    let mut projection = Projection::new();
    let mut after = 0;
    while after < upto {
        let events = store.events_after(after, BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq) else { break };
        for event in events.iter().take_while(|e| e.seq <= upto) {
            projection.apply(event);
        }
        after = last;
    }
    Ok(projection)
}

fn report(projection: &Projection, live: &LiveState, differences: &[Difference]) -> Vec<String> {
    let (accounts, statuses) = projection.counters();
    let mut lines = vec![
        format!("replayed {} events, up to event {}", projection.events_applied(), projection.last_seq()),
        format!("accounts: {} live, {} rebuilt", live.accounts.len(), accounts.len()),
        format!("statuses: {} live, {} rebuilt", live.statuses.len(), statuses.len()),
        format!(
            "notifications: {} live, {} rebuilt (notifier at event {})",
            live.notifications.len(),
            projection.notifications().len(),
            live.notifier_offset
        ),
        "home timelines: not materialised yet, nothing to compare".to_string(),
    ];
    if differences.is_empty() {
        lines.push("no differences".to_string());
        return lines;
    }
    let plural = if differences.len() == 1 { "" } else { "s" };
    lines.push(format!("{} difference{plural}:", differences.len()));
    lines.extend(differences.iter().take(MAX_LISTED).map(|d| format!("  {d}")));
    if differences.len() > MAX_LISTED {
        lines.push(format!("  ... and {} more", differences.len() - MAX_LISTED));
    }
    lines
}

#[cfg(test)]
mod tests {
    use starling_core::Id;
    use starling_core::projection::Object;

    use super::*;

    fn counter(i: i64) -> Difference {
        Difference::Counter { of: Object::Account(Id(i)), counter: "followers_count", live: 1, rebuilt: 0 }
    }

    #[test]
    fn a_clean_replay_says_so() {
        let lines = report(&Projection::new(), &LiveState::default(), &[]);
        assert_eq!(lines.last().map(String::as_str), Some("no differences"));
        assert!(lines.iter().any(|l| l.contains("home timelines")));
    }

    #[test]
    fn differences_are_listed_one_per_line_up_to_a_cap() {
        let lines = report(&Projection::new(), &LiveState::default(), &[counter(1)]);
        assert_eq!(&lines[lines.len() - 2..], ["1 difference:", "  account 1 followers_count: live 1, rebuilt 0"]);

        let many: Vec<Difference> = (0..MAX_LISTED as i64 + 5).map(counter).collect();
        let lines = report(&Projection::new(), &LiveState::default(), &many);
        assert!(lines.contains(&format!("{} differences:", MAX_LISTED + 5)));
        assert_eq!(lines.iter().filter(|l| l.contains("followers_count")).count(), MAX_LISTED);
        assert_eq!(lines.last().map(String::as_str), Some("  ... and 5 more"));
    }
}
