//! The live projections as the store holds them, and how they differ from a rebuild.

use std::collections::BTreeMap;
use std::fmt;

use super::Projection;
use crate::id::Id;
use crate::notify::NotificationKind;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountCounters {
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
}

impl AccountCounters {
    fn named(&self) -> [(&'static str, i64); 3] {
        [
            ("followers_count", self.followers_count),
            ("following_count", self.following_count),
            ("statuses_count", self.statuses_count),
        ]
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounters {
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
}

impl StatusCounters {
    fn named(&self) -> [(&'static str, i64); 3] {
        [
            ("replies_count", self.replies_count),
            ("reblogs_count", self.reblogs_count),
            ("favourites_count", self.favourites_count),
        ]
    }
}

/// `(recipient, event_seq)`: the store keeps at most one notification per pair.
pub type NotificationKey = (Id, i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationRecord {
    pub kind: NotificationKind,
    pub from_account: Id,
    pub status_id: Option<Id>,
}

impl fmt::Display for NotificationRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from account {}", self.kind, self.from_account)?;
        match self.status_id {
            Some(status) => write!(f, " about status {status}"),
            None => Ok(()),
        }
    }
}

/// What the store holds, read in one snapshot (`Store::live_state`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveState {
    /// The newest event in the snapshot: the rebuild to compare with replays the log up to here.
    pub last_event_seq: i64,
    /// How far the notifier has applied the log. Notifications can only match a rebuild when it
    /// has applied all of it.
    pub notifier_offset: i64,
    pub accounts: BTreeMap<Id, AccountCounters>,
    pub statuses: BTreeMap<Id, StatusCounters>,
    pub notifications: BTreeMap<NotificationKey, NotificationRecord>,
}

/// The stored home timelines compared with the entries the store's rules imply, as
/// `Store::home_timeline_differences` finds them. Home timelines are not rebuilt from the log:
/// they are a function of the current statuses and follows, so the store recomputes them from
/// those tables in SQL (see `docs/adr/0006-home-timelines-fan-out-in-the-write-transaction.md`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HomeTimelineCheck {
    /// Stored entries compared: each account's newest `keep` above its trimmed floor.
    pub live: u64,
    /// Entries the rules imply: each account's newest `keep` above its trimmed floor.
    pub rebuilt: u64,
    /// `HomeEntryMissing` and `HomeEntryExtra`, by account, then status.
    pub differences: Vec<Difference>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    Account(Id),
    Status(Id),
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Account(id) => write!(f, "account {id}"),
            Object::Status(id) => write!(f, "status {id}"),
        }
    }
}

/// One way in which the live projections differ from the rebuild (or the log from itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    Counter {
        of: Object,
        counter: &'static str,
        live: i64,
        rebuilt: i64,
    },
    /// The log says it exists; the store has no row for it.
    MissingLive(Object),
    /// The store has a row the log knows nothing of (or says was deleted).
    ExtraLive(Object),
    NotificationMissingLive {
        key: NotificationKey,
        rebuilt: NotificationRecord,
    },
    NotificationExtraLive {
        key: NotificationKey,
        live: NotificationRecord,
    },
    NotificationChanged {
        key: NotificationKey,
        live: NotificationRecord,
        rebuilt: NotificationRecord,
    },
    /// The notifier has not applied the whole log, so its notifications cannot match yet.
    NotifierBehind {
        offset: i64,
        last_event_seq: i64,
    },
    /// The rebuild did not stop at the snapshot's last event: it compares different moments.
    Misaligned {
        rebuilt_upto: i64,
        live_upto: i64,
    },
    /// An event that contradicts the events before it.
    Log {
        seq: i64,
        what: String,
    },
    /// The rules put `status` among the newest entries of `account`'s home timeline; the store
    /// has no entry for it.
    HomeEntryMissing {
        account: Id,
        status: Id,
    },
    /// `account`'s home timeline has an entry for `status` that the rules exclude.
    HomeEntryExtra {
        account: Id,
        status: Id,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Counter { of, counter, live, rebuilt } => {
                write!(f, "{of} {counter}: live {live}, rebuilt {rebuilt}")
            }
            Difference::MissingLive(of) => write!(f, "{of} missing live: the log says it exists"),
            Difference::ExtraLive(of) => write!(f, "extra live {of}: the log says it does not exist"),
            Difference::NotificationMissingLive { key: (recipient, seq), rebuilt } => {
                write!(f, "notification missing live: recipient {recipient}, event {seq}, {rebuilt}")
            }
            Difference::NotificationExtraLive { key: (recipient, seq), live } => {
                write!(f, "extra live notification: recipient {recipient}, event {seq}, {live}")
            }
            Difference::NotificationChanged { key: (recipient, seq), live, rebuilt } => {
                write!(f, "notification differs: recipient {recipient}, event {seq}: live {live}, rebuilt {rebuilt}")
            }
            Difference::NotifierBehind { offset, last_event_seq } => write!(
                f,
                "notifier is behind: it applied the log up to event {offset} of {last_event_seq} \
                 (start the server to let it catch up)"
            ),
            Difference::Misaligned { rebuilt_upto, live_upto } => {
                write!(f, "rebuilt up to event {rebuilt_upto} but the live state is at event {live_upto}")
            }
            Difference::Log { seq, what } => write!(f, "log inconsistency at event {seq}: {what}"),
            Difference::HomeEntryMissing { account, status } => {
                write!(f, "home timeline of account {account} misses status {status}")
            }
            Difference::HomeEntryExtra { account, status } => {
                write!(f, "home timeline of account {account} has status {status}, which the rules exclude")
            }
        }
    }
}

/// Walks two maps in key order, reporting keys on one side only and values that differ.
fn compare<K: Ord + Copy, V>(
    live: &BTreeMap<K, V>,
    rebuilt: &BTreeMap<K, V>,
    out: &mut Vec<Difference>,
    mut only_live: impl FnMut(K, &V) -> Difference,
    mut only_rebuilt: impl FnMut(K, &V) -> Difference,
    mut both: impl FnMut(K, &V, &V, &mut Vec<Difference>),
) {
    for (&k, r) in rebuilt {
        match live.get(&k) {
            Some(l) => both(k, l, r, out),
            None => out.push(only_rebuilt(k, r)),
        }
    }
    out.extend(live.iter().filter(|(k, _)| !rebuilt.contains_key(k)).map(|(&k, l)| only_live(k, l)));
}

fn counters(of: Object, live: [(&'static str, i64); 3], rebuilt: [(&'static str, i64); 3], out: &mut Vec<Difference>) {
    for ((counter, live), (_, rebuilt)) in live.into_iter().zip(rebuilt) {
        if live != rebuilt {
            out.push(Difference::Counter { of, counter, live, rebuilt });
        }
    }
}

impl Projection {
    /// Every difference between `live` and this rebuild, which should have replayed the log
    /// up to `live.last_event_seq`: first the log's own inconsistencies, then accounts,
    /// statuses and notifications, each in id order. Empty when everything matches.
    pub fn diff(&self, live: &LiveState) -> Vec<Difference> {
        let mut out: Vec<Difference> =
            self.anomalies.iter().map(|(seq, what)| Difference::Log { seq: *seq, what: what.clone() }).collect();
        if self.last_seq != live.last_event_seq {
            out.push(Difference::Misaligned { rebuilt_upto: self.last_seq, live_upto: live.last_event_seq });
        }
        if live.notifier_offset < live.last_event_seq {
            out.push(Difference::NotifierBehind { offset: live.notifier_offset, last_event_seq: live.last_event_seq });
        }
        let (accounts, statuses) = self.counters();
        compare(
            &live.accounts,
            &accounts,
            &mut out,
            |id, _| Difference::ExtraLive(Object::Account(id)),
            |id, _| Difference::MissingLive(Object::Account(id)),
            |id, l, r, out| counters(Object::Account(id), l.named(), r.named(), out),
        );
        compare(
            &live.statuses,
            &statuses,
            &mut out,
            |id, _| Difference::ExtraLive(Object::Status(id)),
            |id, _| Difference::MissingLive(Object::Status(id)),
            |id, l, r, out| counters(Object::Status(id), l.named(), r.named(), out),
        );
        compare(
            &live.notifications,
            self.notifications.rows(),
            &mut out,
            |key, &live| Difference::NotificationExtraLive { key, live },
            |key, &rebuilt| Difference::NotificationMissingLive { key, rebuilt },
            |key, &live, &rebuilt, out| {
                if live != rebuilt {
                    out.push(Difference::NotificationChanged { key, live, rebuilt });
                }
            },
        );
        out
    }
}
