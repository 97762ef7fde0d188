//! The rebuild fed with events made by the same payload builders the stores use.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::event::{self, NewEvent};
use crate::fixtures::{account, status};
use crate::model::{MentionRef, Status, Timestamp};
use crate::notify::NotificationKind;

fn reply(id: i64, author: i64, parent: &Status) -> Status {
    Status {
        in_reply_to_id: Some(parent.id),
        in_reply_to_account_id: Some(parent.account.id),
        ..status(id, author, Visibility::Public)
    }
}

fn reblog(id: i64, author: i64, original: &Status) -> Status {
    Status { reblog: Some(Box::new(original.clone())), ..status(id, author, Visibility::Public) }
}

/// A log being written: each pushed event gets the next sequence and is applied at once.
#[derive(Default)]
struct Log {
    seq: i64,
    p: Projection,
}

impl Log {
    fn push(&mut self, e: NewEvent) -> i64 {
        self.seq += 1;
        self.p.apply(&Event {
            seq: self.seq,
            kind: e.kind,
            actor_id: e.actor_id,
            subject_id: e.subject_id,
            schema_version: event::SCHEMA_VERSION,
            payload: e.payload,
            created_at: e.created_at,
        });
        self.seq
    }

    fn accounts(&mut self, ids: &[i64]) {
        for &id in ids {
            self.push(event::account_created(&account(id)));
        }
    }

    fn account(&self, id: i64) -> AccountCounters {
        self.p.counters().0.get(&Id(id)).copied().unwrap()
    }

    fn status(&self, id: i64) -> Option<StatusCounters> {
        self.p.counters().1.get(&Id(id)).copied()
    }

    /// `(recipient, kind)` of every rebuilt notification.
    fn notified(&self) -> Vec<(i64, NotificationKind)> {
        self.p.notifications().iter().map(|((r, _), n)| (r.0, n.kind)).collect()
    }

    /// The live state that matches this rebuild exactly.
    fn live(&self) -> LiveState {
        let (accounts, statuses) = self.p.counters();
        LiveState {
            last_event_seq: self.seq,
            notifier_offset: self.seq,
            accounts,
            statuses,
            notifications: self.p.notifications().clone(),
        }
    }
}

const T: Timestamp = Timestamp(1);

fn counters(followers_count: i64, following_count: i64, statuses_count: i64) -> AccountCounters {
    AccountCounters { followers_count, following_count, statuses_count }
}

fn status_counters(replies_count: i64, reblogs_count: i64, favourites_count: i64) -> StatusCounters {
    StatusCounters { replies_count, reblogs_count, favourites_count }
}

#[test]
fn counters_follow_the_stores_rules() {
    let mut log = Log::default();
    log.accounts(&[1, 2, 3]);
    log.push(event::followed(Id(2), Id(1), T));
    log.push(event::followed(Id(3), Id(1), T));
    log.push(event::unfollowed(Id(3), Id(1), T));
    let s = status(10, 1, Visibility::Public);
    log.push(event::status_created(&s, &[]));
    let direct =
        Status { mentions: vec![MentionRef { id: Id(2), username: "u2".into() }], ..status(11, 1, Visibility::Direct) };
    log.push(event::status_created(&direct, &[]));
    log.push(event::status_created(&reply(12, 2, &s), &[]));
    log.push(event::reblogged(&reblog(13, 3, &s)));
    log.push(event::favourited(Id(2), s.id, Id(1), T));
    log.push(event::favourited(Id(3), s.id, Id(1), T));
    log.push(event::unfavourited(Id(3), s.id, Id(1), T));
    log.push(event::status_edited(&s, 1, &[Id(3)]));

    assert_eq!(log.account(1), counters(1, 0, 1), "direct statuses do not count");
    assert_eq!(log.account(2), counters(0, 1, 1));
    assert_eq!(log.account(3), counters(0, 0, 1), "reblogs count");
    assert_eq!(log.status(10), Some(status_counters(1, 1, 1)));
    assert_eq!(log.status(13), Some(status_counters(0, 0, 0)), "a reblog is a status of its own");
    assert_eq!(log.p.events_applied(), 14);
    assert!(log.p.diff(&log.live()).is_empty(), "{:?}", log.p.diff(&log.live()));
}

#[test]
fn a_deleted_status_takes_its_reblogs_favourites_and_notifications_but_not_its_replies() {
    let mut log = Log::default();
    log.accounts(&[1, 2, 3]);
    let s = status(10, 1, Visibility::Public);
    log.push(event::status_created(&s, &[]));
    let rb = reblog(11, 2, &s);
    log.push(event::reblogged(&rb));
    let r = reply(12, 3, &s);
    log.push(event::status_created(&r, &[]));
    log.push(event::favourited(Id(3), s.id, Id(1), T));
    assert_eq!(
        log.notified(),
        vec![(1, NotificationKind::Reblog), (1, NotificationKind::Mention), (1, NotificationKind::Favourite)]
    );

    // As the store does it: the reblog's own event first, then the status's.
    log.push(event::status_deleted(&rb, Id(1), T));
    log.push(event::status_deleted(&s, Id(1), T));
    assert_eq!(log.account(1).statuses_count, 0);
    assert_eq!(log.account(2).statuses_count, 0);
    assert_eq!(log.status(10), None);
    assert_eq!(log.status(12), Some(status_counters(0, 0, 0)));
    // The reply's mention is about the reply, which stays.
    assert_eq!(log.notified(), vec![(1, NotificationKind::Mention)]);

    // Deleting a reply whose parent is gone is no anomaly.
    log.push(event::status_deleted(&r, Id(3), T));
    assert_eq!(log.account(3).statuses_count, 0);
    assert!(log.notified().is_empty());
    assert!(log.p.diff(&log.live()).is_empty(), "{:?}", log.p.diff(&log.live()));
}

#[test]
fn every_retraction_removes_what_the_store_removes() {
    let mut log = Log::default();
    log.accounts(&[1, 2, 3]);
    log.push(event::followed(Id(3), Id(1), T));
    log.push(event::followed(Id(3), Id(2), T));
    log.push(event::unfollowed(Id(3), Id(1), T));
    assert_eq!(log.notified(), vec![(2, NotificationKind::Follow)], "only the follow of 1 is retracted");

    let s = status(10, 1, Visibility::Public);
    log.push(event::status_created(&s, &[]));
    log.push(event::favourited(Id(2), s.id, Id(1), T));
    log.push(event::favourited(Id(3), s.id, Id(1), T));
    log.push(event::unfavourited(Id(2), s.id, Id(1), T));
    log.push(event::reblogged(&reblog(11, 2, &s)));
    log.push(event::unreblogged(Id(2), s.id, Id(11), T));
    let favourite_of_3 = (Id(1), 9);
    assert_eq!(log.p.notifications().keys().copied().collect::<Vec<_>>(), vec![favourite_of_3, (Id(2), 5)]);
    assert_eq!(log.account(2).statuses_count, 0, "an unreblog takes the reblog");

    log.push(event::notification_dismissed(Id(1), Id(99), favourite_of_3.1, T));
    assert_eq!(log.notified(), vec![(2, NotificationKind::Follow)]);
    let mention = reply(12, 1, &status(13, 2, Visibility::Public));
    log.push(event::status_created(&status(13, 2, Visibility::Public), &[]));
    let upto = log.push(event::status_created(&mention, &[]));
    log.push(event::favourited(Id(1), Id(13), Id(2), T));
    log.push(event::notifications_cleared(Id(2), upto, T));
    assert_eq!(log.notified(), vec![(2, NotificationKind::Favourite)], "a clear keeps what came after it");
    assert!(log.p.diff(&log.live()).is_empty(), "{:?}", log.p.diff(&log.live()));
}

#[test]
fn applying_an_event_again_changes_nothing() {
    let mut log = Log::default();
    log.accounts(&[1, 2]);
    let follow = Event {
        seq: 3,
        kind: EventKind::Followed,
        actor_id: Some(Id(1)),
        subject_id: Some(Id(2)),
        schema_version: 1,
        payload: serde_json::json!({}),
        created_at: T,
    };
    log.p.apply(&follow);
    log.p.apply(&follow);
    log.seq = 3;
    assert_eq!(log.account(2).followers_count, 1);
    assert_eq!(log.p.events_applied(), 3);
    assert!(log.p.diff(&log.live()).is_empty());
}

#[test]
fn events_that_contradict_the_log_are_reported() {
    let mut log = Log::default();
    log.accounts(&[1, 2]);
    log.push(event::followed(Id(1), Id(2), T));
    let again = log.push(event::followed(Id(1), Id(2), T));
    let ghost = log.push(event::favourited(Id(1), Id(77), Id(2), T));
    let diff: Vec<String> = log.p.diff(&log.live()).iter().map(ToString::to_string).collect();
    assert_eq!(
        diff,
        vec![
            format!("log inconsistency at event {again}: account 1 follows account 2 again"),
            format!("log inconsistency at event {ghost}: a favourite of status 77, which does not exist"),
        ]
    );
}

#[test]
fn each_difference_is_found_and_described() {
    let mut log = Log::default();
    log.accounts(&[1, 2, 3]);
    log.push(event::followed(Id(2), Id(1), T));
    let s = status(10, 1, Visibility::Public);
    log.push(event::status_created(&s, &[]));
    let fav = log.push(event::favourited(Id(2), s.id, Id(1), T));
    let follow_seq = 4;

    let mut live = log.live();
    live.accounts.get_mut(&Id(1)).unwrap().followers_count = 3;
    live.accounts.remove(&Id(3));
    live.statuses.insert(Id(50), StatusCounters::default());
    live.statuses.get_mut(&Id(10)).unwrap().favourites_count = 0;
    live.notifications.remove(&(Id(1), fav));
    live.notifications.get_mut(&(Id(1), follow_seq)).unwrap().from_account = Id(3);
    let extra = NotificationRecord { kind: NotificationKind::Mention, from_account: Id(1), status_id: Some(Id(10)) };
    live.notifications.insert((Id(2), 99), extra);
    live.notifier_offset = fav - 1;

    let diff: Vec<String> = log.p.diff(&live).iter().map(ToString::to_string).collect();
    assert_eq!(
        diff,
        vec![
            format!(
                "notifier is behind: it applied the log up to event {} of {fav} (start the server to let it catch up)",
                fav - 1
            ),
            "account 1 followers_count: live 3, rebuilt 1".to_string(),
            "account 3 missing live: the log says it exists".to_string(),
            "status 10 favourites_count: live 0, rebuilt 1".to_string(),
            "extra live status 50: the log says it does not exist".to_string(),
            format!(
                "notification differs: recipient 1, event {follow_seq}: live follow from account 3, \
                 rebuilt follow from account 2"
            ),
            format!("notification missing live: recipient 1, event {fav}, favourite from account 2 about status 10"),
            "extra live notification: recipient 2, event 99, mention from account 1 about status 10".to_string(),
        ]
    );

    live = log.live();
    live.last_event_seq += 1;
    live.notifier_offset += 1;
    assert_eq!(
        log.p.diff(&live),
        vec![Difference::Misaligned { rebuilt_upto: fav, live_upto: fav + 1 }],
        "a rebuild must stop where the snapshot was taken"
    );
}
