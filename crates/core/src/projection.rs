//! Projections rebuilt from the event log alone, for `starling replay`.
//!
//! The store keeps counters and notifications up to date as it writes; [`Projection`] derives
//! them again from nothing but the events, in order, so that [`Projection::diff`] can compare
//! the two. It rebuilds the relations the counters count (statuses with their author,
//! visibility, parent and reblogged original; follows; favourites) rather than replaying
//! increments, so each rebuilt counter is by definition what those relations imply under the
//! store's rules: `statuses_count` counts reblogs but not direct statuses, `replies_count` counts
//! the replies that still exist, and so on. Notifications go through [`notify::derive`], the
//! function the live notifier uses, and its retractions are applied as the SQLite store applies
//! them.
//!
//! Home timelines are not rebuilt here. They are materialised by the store (fan-out on write),
//! but what they should hold is a function of the statuses and follows as they are now, not of
//! the log's history, so the store recomputes them from its own tables and compares
//! (`Store::home_timeline_differences`, reported as [`Difference::HomeEntryMissing`] and
//! [`Difference::HomeEntryExtra`]). Replaying the log would only rebuild those same tables
//! first: see `docs/adr/0006-home-timelines-fan-out-in-the-write-transaction.md`.

mod diff;
mod notifications;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

pub use self::diff::{
    AccountCounters, Difference, HomeTimelineCheck, LiveState, NotificationKey, NotificationRecord, Object,
    StatusCounters,
};
use crate::event::{Event, EventKind};
use crate::id::Id;
use crate::model::Visibility;
use crate::notify;

/// What the counters need to know of a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RebuiltStatus {
    author: Id,
    visibility: Visibility,
    in_reply_to: Option<Id>,
    reblog_of: Option<Id>,
}

/// The state the log implies, built by [`apply`](Projection::apply)ing its events in order.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    last_seq: i64,
    applied: u64,
    accounts: BTreeSet<Id>,
    /// Reblogs included: a reblog is a status with `reblog_of` set.
    statuses: BTreeMap<Id, RebuiltStatus>,
    /// `(follower, followee)`.
    follows: BTreeSet<(Id, Id)>,
    /// Status -> the accounts that favourited it; a deleted status takes its favourites along.
    favourites: HashMap<Id, BTreeSet<Id>>,
    notifications: notifications::Rebuilt,
    /// Events that contradict what came before them (a favourite of a status that does not
    /// exist, a second follow of the same account): the log itself is inconsistent there.
    anomalies: Vec<(i64, String)>,
}

fn id(v: &Value) -> Option<Id> {
    serde_json::from_value::<Option<Id>>(v.clone()).ok().flatten()
}

/// Direct statuses stay out of `statuses_count`, as in Mastodon; reblogs follow the same rule.
fn counts(visibility: Visibility) -> bool {
    visibility != Visibility::Direct
}

impl Projection {
    pub fn new() -> Projection {
        Projection::default()
    }

    /// The sequence of the last event applied; 0 before the first.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// How many events were applied.
    pub fn events_applied(&self) -> u64 {
        self.applied
    }

    /// The rebuilt notifications, by `(recipient, event_seq)`.
    pub fn notifications(&self) -> &BTreeMap<NotificationKey, NotificationRecord> {
        self.notifications.rows()
    }

    /// Applies one event. Events must come in log order; one at or below the last sequence
    /// applied is ignored, so replaying an overlapping batch changes nothing.
    pub fn apply(&mut self, event: &Event) {
        if event.seq <= self.last_seq {
            return;
        }
        self.last_seq = event.seq;
        self.applied += 1;
        // Every kind is listed, without a catch-all, so that a new kind of event cannot be
        // added without deciding what it does to the projections.
        match event.kind {
            EventKind::AccountCreated => {
                if let Some(account) = event.subject_id {
                    self.accounts.insert(account);
                }
            }
            EventKind::StatusCreated => self.status_created(event),
            EventKind::Reblogged => self.reblogged(event),
            EventKind::Unreblogged => self.unreblogged(event),
            EventKind::StatusDeleted => self.status_deleted(event),
            EventKind::Favourited | EventKind::Unfavourited => self.favourite(event),
            EventKind::Followed | EventKind::Unfollowed => self.follow(event),
            // Edits change text, mentions and tags, which no counter counts (their `update`
            // notifications come from `notify::derive` below); dismissals and clears only
            // retract notifications; the rest touch no projection.
            EventKind::StatusEdited
            | EventKind::NotificationDismissed
            | EventKind::NotificationsCleared
            | EventKind::AppCreated
            | EventKind::AccountUpdated
            | EventKind::TokenIssued
            | EventKind::TokenRevoked
            | EventKind::PasswordChanged
            | EventKind::Suspended
            | EventKind::Unsuspended
            | EventKind::Bookmarked
            | EventKind::Unbookmarked
            | EventKind::Blocked
            | EventKind::Unblocked
            | EventKind::Muted
            | EventKind::Unmuted
            | EventKind::AccountDeleted
            | EventKind::Silenced
            | EventKind::Unsilenced
            | EventKind::Disabled
            | EventKind::Enabled
            | EventKind::FilterCreated
            | EventKind::FilterUpdated
            | EventKind::FilterDeleted
            | EventKind::FollowRequested
            | EventKind::FollowRequestAuthorized
            | EventKind::FollowRequestRejected
            | EventKind::Pinned
            | EventKind::Unpinned
            | EventKind::Reported
            | EventKind::ReportResolved
            | EventKind::RoleChanged
            | EventKind::MarkerUpdated
            | EventKind::FollowUpdated
            // Followed tags move home timelines only, which the store checks itself.
            | EventKind::TagFollowed
            | EventKind::TagUnfollowed
            // Stories and chats have no counter the replay compares.
            | EventKind::StoryCreated
            | EventKind::StoryDeleted
            | EventKind::StoryViewed
            | EventKind::StoryReacted
            | EventKind::StoryUnreacted
            | EventKind::ChatCreated
            | EventKind::ChatMessage
            | EventKind::ChatRead
            | EventKind::ChatLeft => {}
        }
        self.notifications.apply(&notify::derive(event));
    }

    fn anomaly(&mut self, seq: i64, what: String) {
        self.anomalies.push((seq, what));
    }

    fn visibility(&mut self, event: &Event) -> Visibility {
        serde_json::from_value(event.payload["visibility"].clone()).unwrap_or_else(|_| {
            self.anomaly(event.seq, "the payload has no valid visibility; taken as public".into());
            Visibility::Public
        })
    }

    /// Adds a status, noting it when the id is missing, the author unknown or the id taken.
    fn add_status(&mut self, seq: i64, status: Option<Id>, rebuilt: RebuiltStatus) {
        let Some(status) = status else {
            return self.anomaly(seq, "a status without an id".into());
        };
        if !self.accounts.contains(&rebuilt.author) {
            self.anomaly(seq, format!("status {status} is by account {}, which does not exist", rebuilt.author));
        }
        if self.statuses.insert(status, rebuilt).is_some() {
            self.anomaly(seq, format!("status {status} is created a second time"));
        }
    }

    fn status_created(&mut self, event: &Event) {
        let Some(author) = event.actor_id else { return self.anomaly(event.seq, "a status without author".into()) };
        let visibility = self.visibility(event);
        // The store resolved a reply to a reblog into a reply to its original before logging.
        let in_reply_to = id(&event.payload["in_reply_to_id"]);
        if let Some(parent) = in_reply_to.filter(|p| !self.statuses.contains_key(p)) {
            self.anomaly(event.seq, format!("a reply to status {parent}, which does not exist"));
        }
        let rebuilt = RebuiltStatus { author, visibility, in_reply_to, reblog_of: None };
        self.add_status(event.seq, event.subject_id, rebuilt);
    }

    fn reblogged(&mut self, event: &Event) {
        let (Some(author), Some(original)) = (event.actor_id, event.subject_id) else {
            return self.anomaly(event.seq, "a reblog without reblogger or original".into());
        };
        if self.statuses.get(&original).is_none_or(|o| o.reblog_of.is_some()) {
            self.anomaly(event.seq, format!("a reblog of status {original}, which is not an original status"));
        }
        let visibility = self.visibility(event);
        let rebuilt = RebuiltStatus { author, visibility, in_reply_to: None, reblog_of: Some(original) };
        self.add_status(event.seq, id(&event.payload["reblog_id"]), rebuilt);
    }

    fn unreblogged(&mut self, event: &Event) {
        let reblog = id(&event.payload["reblog_id"]);
        let matches = |s: &RebuiltStatus| Some(s.author) == event.actor_id && s.reblog_of == event.subject_id;
        match reblog.filter(|r| self.statuses.get(r).is_some_and(matches)) {
            Some(reblog) => {
                self.statuses.remove(&reblog);
            }
            None => self.anomaly(event.seq, format!("an unreblog of {reblog:?}, which is no such reblog")),
        }
    }

    /// A deleted status leaves with its favourites; its reblogs were deleted by events of their
    /// own just before, and its replies stay (they no longer count towards anything).
    fn status_deleted(&mut self, event: &Event) {
        let Some(status) = event.subject_id else { return };
        self.favourites.remove(&status);
        if self.statuses.remove(&status).is_none() {
            self.anomaly(event.seq, format!("status {status} is deleted but does not exist"));
        }
    }

    fn favourite(&mut self, event: &Event) {
        let (Some(account), Some(status)) = (event.actor_id, event.subject_id) else { return };
        let favourited = event.kind == EventKind::Favourited;
        if favourited && !self.statuses.contains_key(&status) {
            self.anomaly(event.seq, format!("a favourite of status {status}, which does not exist"));
        }
        let of_status = self.favourites.entry(status).or_default();
        let changed = if favourited { of_status.insert(account) } else { of_status.remove(&account) };
        if !changed {
            let what = if favourited { "again" } else { "that it had not favourited" };
            let verb = if favourited { "favourites" } else { "unfavourites" };
            self.anomaly(event.seq, format!("account {account} {verb} status {status} {what}"));
        }
    }

    fn follow(&mut self, event: &Event) {
        let (Some(follower), Some(followee)) = (event.actor_id, event.subject_id) else { return };
        let followed = event.kind == EventKind::Followed;
        let changed = if followed {
            self.follows.insert((follower, followee))
        } else {
            self.follows.remove(&(follower, followee))
        };
        if !changed {
            let (verb, what) = if followed { ("follows", "again") } else { ("unfollows", "that it did not follow") };
            self.anomaly(event.seq, format!("account {follower} {verb} account {followee} {what}"));
        }
        if followed && !(self.accounts.contains(&follower) && self.accounts.contains(&followee)) {
            self.anomaly(event.seq, format!("a follow between {follower} and {followee}, one of which does not exist"));
        }
    }

    /// The counters the rebuilt relations imply, for every account and status that exists.
    pub fn counters(&self) -> (BTreeMap<Id, AccountCounters>, BTreeMap<Id, StatusCounters>) {
        let mut accounts: BTreeMap<Id, AccountCounters> =
            self.accounts.iter().map(|&a| (a, AccountCounters::default())).collect();
        let mut statuses: BTreeMap<Id, StatusCounters> =
            self.statuses.keys().map(|&s| (s, StatusCounters::default())).collect();
        for &(follower, followee) in &self.follows {
            if let Some(a) = accounts.get_mut(&follower) {
                a.following_count += 1;
            }
            if let Some(a) = accounts.get_mut(&followee) {
                a.followers_count += 1;
            }
        }
        for s in self.statuses.values() {
            if counts(s.visibility)
                && let Some(a) = accounts.get_mut(&s.author)
            {
                a.statuses_count += 1;
            }
            // A reply to a deleted status counts towards nothing: its parent is gone.
            if let Some(parent) = s.in_reply_to.and_then(|p| statuses.get_mut(&p)) {
                parent.replies_count += 1;
            }
            if let Some(original) = s.reblog_of.and_then(|o| statuses.get_mut(&o)) {
                original.reblogs_count += 1;
            }
        }
        for (status, by) in &self.favourites {
            if let Some(s) = statuses.get_mut(status) {
                s.favourites_count = by.len() as i64;
            }
        }
        (accounts, statuses)
    }
}

#[cfg(test)]
mod tests;
