//! Notifications rebuilt from derived events, applied exactly as the SQLite store applies them
//! (`crates/store/src/sqlite/notifications.rs`): each event's retractions first, then its
//! notifications, at most one per `(recipient, event_seq)`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::diff::{NotificationKey, NotificationRecord};
use crate::id::Id;
use crate::notify::{Derived, Retraction};

#[derive(Clone, Debug, Default)]
pub(super) struct Rebuilt {
    rows: BTreeMap<NotificationKey, NotificationRecord>,
    /// The keys of the notifications about each status, so that retracting a status's
    /// notifications does not read every notification (the store has an index for it too).
    by_status: HashMap<Id, BTreeSet<NotificationKey>>,
}

impl Rebuilt {
    pub(super) fn rows(&self) -> &BTreeMap<NotificationKey, NotificationRecord> {
        &self.rows
    }

    pub(super) fn apply(&mut self, derived: &Derived) {
        for retraction in &derived.retractions {
            self.retract(retraction);
        }
        for n in &derived.notifications {
            let key = (n.recipient, n.event_seq);
            if self.rows.contains_key(&key) {
                continue;
            }
            let record = NotificationRecord { kind: n.kind, from_account: n.from_account, status_id: n.status_id };
            self.rows.insert(key, record);
            if let Some(status) = n.status_id {
                self.by_status.entry(status).or_default().insert(key);
            }
        }
    }

    /// The keys of one recipient's notifications caused by events up to `upto_seq`.
    fn of_recipient(
        &self,
        recipient: Id,
        upto_seq: i64,
    ) -> impl Iterator<Item = (&NotificationKey, &NotificationRecord)> {
        self.rows.range((recipient, i64::MIN)..=(recipient, upto_seq))
    }

    fn retract(&mut self, retraction: &Retraction) {
        let doomed: Vec<NotificationKey> = match *retraction {
            // As the store's `status_id IS ?`: about that status, or about none when `None`,
            // whoever received it.
            Retraction::Of { kind, from_account, status_id } => {
                let matches = |r: &NotificationRecord| {
                    r.kind == kind && r.from_account == from_account && r.status_id == status_id
                };
                match status_id {
                    Some(status) => self
                        .by_status
                        .get(&status)
                        .into_iter()
                        .flatten()
                        .filter(|k| self.rows.get(k).is_some_and(matches))
                        .copied()
                        .collect(),
                    None => self.rows.iter().filter(|(_, r)| matches(r)).map(|(k, _)| *k).collect(),
                }
            }
            Retraction::Between { kind, from_account, recipient } => self
                .of_recipient(recipient, i64::MAX)
                .filter(|(_, r)| r.kind == kind && r.from_account == from_account)
                .map(|(k, _)| *k)
                .collect(),
            Retraction::AboutStatus(status) => self.by_status.get(&status).into_iter().flatten().copied().collect(),
            Retraction::Dismissed { recipient, event_seq } => vec![(recipient, event_seq)],
            Retraction::Cleared { recipient, upto_seq } => {
                self.of_recipient(recipient, upto_seq).map(|(k, _)| *k).collect()
            }
        };
        for key in doomed {
            self.remove(key);
        }
    }

    fn remove(&mut self, key: NotificationKey) {
        let Some(record) = self.rows.remove(&key) else { return };
        if let Some(status) = record.status_id
            && let Some(keys) = self.by_status.get_mut(&status)
        {
            keys.remove(&key);
            if keys.is_empty() {
                self.by_status.remove(&status);
            }
        }
    }
}
