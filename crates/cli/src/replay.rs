//! `starling replay`: rebuilds the projections (counters and notifications) from the event log
//! alone, compares them with the live ones and reports every difference; then has the store
//! recompute the materialised home timelines from statuses and follows and compare those.
//!
//! The live state is read first, in one snapshot, and the log is replayed up to the newest
//! event of that snapshot, so the comparison is exact even while a server is writing (only the
//! notifier may lag behind, which the report then says). The home timelines are a function of
//! the current statuses and follows, not of the log's history, so the store checks them in one
//! snapshot of its own (`Store::home_timeline_differences`). With Redis configured the store
//! keeps no home timelines (ADR 11): there is nothing to check, and the report says so.

use std::io::Write;

use starling_core::projection::{Difference, HomeTimelineCheck, LiveState, Projection};
use starling_core::store::HOME_TIMELINE_CAP;
use starling_core::{Store, StoreResult};
use starling_server::HomeMode;
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
    let materialised = starling_server::store_options(settings).homes == HomeMode::Materialised;
    // The window the server trims to: entries below it are gone on purpose.
    let homes = if materialised { Some(store.home_timeline_differences(HOME_TIMELINE_CAP).await?) } else { None };
    let mut differences = projection.diff(&live);
    differences.extend(homes.iter().flat_map(|h| h.differences.iter().cloned()));
    let mut out = std::io::stdout().lock();
    for line in report(&projection, &live, homes.as_ref(), &differences) {
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

fn report(
    projection: &Projection,
    live: &LiveState,
    homes: Option<&HomeTimelineCheck>,
    differences: &[Difference],
) -> Vec<String> {
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
        match homes {
            Some(homes) => format!(
                "home timelines: {} live, {} rebuilt from statuses and follows (the newest {HOME_TIMELINE_CAP} entries of each)",
                homes.live, homes.rebuilt
            ),
            None => "home timelines: kept in Redis, not in the store; nothing to check".to_string(),
        },
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

    fn clean() -> (Projection, LiveState, HomeTimelineCheck) {
        (Projection::new(), LiveState::default(), HomeTimelineCheck { live: 3, rebuilt: 3, differences: vec![] })
    }

    #[test]
    fn a_clean_replay_says_so() {
        let (projection, live, homes) = clean();
        let lines = report(&projection, &live, Some(&homes), &[]);
        assert_eq!(lines.last().map(String::as_str), Some("no differences"));
        assert!(lines.iter().any(|l| l.starts_with("home timelines: 3 live, 3 rebuilt")), "{lines:?}");
    }

    #[test]
    fn homes_kept_in_redis_are_not_checked_and_the_report_says_so() {
        let (projection, live, _) = clean();
        let lines = report(&projection, &live, None, &[]);
        assert!(lines.contains(&"home timelines: kept in Redis, not in the store; nothing to check".to_string()));
        assert_eq!(lines.last().map(String::as_str), Some("no differences"));
    }

    #[test]
    fn differences_are_listed_one_per_line_up_to_a_cap() {
        let (projection, live, homes) = clean();
        let missing = Difference::HomeEntryMissing { account: Id(2), status: Id(9) };
        let lines = report(&projection, &live, Some(&homes), &[counter(1), missing]);
        assert_eq!(
            &lines[lines.len() - 3..],
            [
                "2 differences:",
                "  account 1 followers_count: live 1, rebuilt 0",
                "  home timeline of account 2 misses status 9"
            ]
        );

        let many: Vec<Difference> = (0..MAX_LISTED as i64 + 5).map(counter).collect();
        let lines = report(&projection, &live, Some(&homes), &many);
        assert!(lines.contains(&format!("{} differences:", MAX_LISTED + 5)));
        assert_eq!(lines.iter().filter(|l| l.contains("followers_count")).count(), MAX_LISTED);
        assert_eq!(lines.last().map(String::as_str), Some("  ... and 5 more"));
    }
}
