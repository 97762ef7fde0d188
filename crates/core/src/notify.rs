//! Who is notified of what. A pure function of one event, so that the live notifier and a
//! rebuild from the log (`starling replay`) derive exactly the same notifications.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind};
use crate::id::Id;
use crate::model::{Account, Status, Timestamp};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone mentioned you, or replied to your status.
    Mention,
    /// Someone reblogged your status.
    Reblog,
    /// Someone followed you.
    Follow,
    /// Someone favourited your status.
    Favourite,
    /// A status you reblogged was edited.
    Update,
    /// Someone whose posts you asked to be notified of (`notify` on follow) posted.
    Status,
    /// Someone asked to follow your locked account.
    FollowRequest,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::Mention,
        NotificationKind::Reblog,
        NotificationKind::Follow,
        NotificationKind::Favourite,
        NotificationKind::Update,
        NotificationKind::Status,
        NotificationKind::FollowRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Reblog => "reblog",
            NotificationKind::Follow => "follow",
            NotificationKind::Favourite => "favourite",
            NotificationKind::Update => "update",
            NotificationKind::Status => "status",
            NotificationKind::FollowRequest => "follow_request",
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotificationKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        NotificationKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// A notification to be stored. The store gives it an id and keeps one per event and
/// recipient, so deriving it twice (a retried batch, a replay) stores it once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub recipient: Id,
    pub kind: NotificationKind,
    pub from_account: Id,
    pub status_id: Option<Id>,
    pub event_seq: i64,
    pub created_at: Timestamp,
}

/// What an event withdraws: undoing an action removes the notification it caused, and a
/// deleted status takes its notifications with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retraction {
    /// Notifications of `kind` from `from_account` about `status_id` (or about no status).
    Of { kind: NotificationKind, from_account: Id, status_id: Option<Id> },
    /// Notifications of `kind` from `from_account` to `recipient` only. Follows and follow
    /// requests are about no status, so `Of` would take the follower's notifications to
    /// everyone else they follow with them.
    Between { kind: NotificationKind, from_account: Id, recipient: Id },
    /// Every notification about this status.
    AboutStatus(Id),
    /// The recipient dismissed the notification caused by event `event_seq`.
    Dismissed { recipient: Id, event_seq: i64 },
    /// The recipient cleared every notification caused by events up to `upto_seq`.
    Cleared { recipient: Id, upto_seq: i64 },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Derived {
    pub notifications: Vec<NewNotification>,
    pub retractions: Vec<Retraction>,
}

fn ids(v: &serde_json::Value) -> Vec<Id> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| serde_json::from_value::<Id>(x.clone()).ok()).collect())
        .unwrap_or_default()
}

fn id(v: &serde_json::Value) -> Option<Id> {
    serde_json::from_value::<Option<Id>>(v.clone()).ok().flatten()
}

/// The notifications `event` causes and withdraws. Nobody is notified of their own action.
pub fn derive(event: &Event) -> Derived {
    let mut out = Derived::default();
    let Some(actor) = event.actor_id else { return out };
    let p = &event.payload;
    let mut notify = |recipient: Id, kind: NotificationKind, status_id: Option<Id>| {
        let already = out.notifications.iter().any(|n| n.recipient == recipient);
        if recipient != actor && !already {
            out.notifications.push(NewNotification {
                recipient,
                kind,
                from_account: actor,
                status_id,
                event_seq: event.seq,
                created_at: event.created_at,
            });
        }
    };
    match event.kind {
        EventKind::StatusCreated => {
            let status = event.subject_id;
            // Replies count as mentions: the author of the parent hears of them first.
            if let Some(parent_author) = id(&p["in_reply_to_account_id"]) {
                notify(parent_author, NotificationKind::Mention, status);
            }
            for mentioned in ids(&p["mentions"]) {
                notify(mentioned, NotificationKind::Mention, status);
            }
            // Followers who asked to hear of every post; a mention already told them.
            for follower in ids(&p["notify_followers"]) {
                notify(follower, NotificationKind::Status, status);
            }
        }
        EventKind::StatusEdited => {
            for reblogger in ids(&p["rebloggers"]) {
                notify(reblogger, NotificationKind::Update, event.subject_id);
            }
        }
        EventKind::Reblogged => {
            if let Some(author) = id(&p["author_id"]) {
                notify(author, NotificationKind::Reblog, event.subject_id);
            }
        }
        EventKind::Favourited => {
            if let Some(author) = id(&p["author_id"]) {
                notify(author, NotificationKind::Favourite, event.subject_id);
            }
        }
        EventKind::Followed => {
            // An approved request told the followee already (`follow_request`).
            if let Some(followee) = event.subject_id
                && p["approved"] != true
            {
                notify(followee, NotificationKind::Follow, None);
            }
        }
        EventKind::FollowRequested => {
            if let Some(target) = event.subject_id {
                notify(target, NotificationKind::FollowRequest, None);
            }
        }
        EventKind::FollowRequestAuthorized | EventKind::FollowRequestRejected => {
            if let (Some(requester), Some(target)) = (id(&p["requester_id"]), id(&p["target_id"])) {
                out.retractions.push(Retraction::Between {
                    kind: NotificationKind::FollowRequest,
                    from_account: requester,
                    recipient: target,
                });
            }
        }
        EventKind::Unfavourited => out.retractions.push(Retraction::Of {
            kind: NotificationKind::Favourite,
            from_account: actor,
            status_id: event.subject_id,
        }),
        EventKind::Unreblogged => out.retractions.push(Retraction::Of {
            kind: NotificationKind::Reblog,
            from_account: actor,
            status_id: event.subject_id,
        }),
        EventKind::Unfollowed => {
            if let Some(followee) = event.subject_id {
                out.retractions.push(Retraction::Between {
                    kind: NotificationKind::Follow,
                    from_account: actor,
                    recipient: followee,
                });
            }
        }
        EventKind::StatusDeleted => {
            if let Some(status) = event.subject_id {
                out.retractions.push(Retraction::AboutStatus(status));
            }
            // A deleted reblog is an undone reblog: the reblog notification is about the
            // original (which stays), from the reblog's author (the actor may be a moderator).
            if let (Some(original), Some(author)) = (id(&p["reblog_of_id"]), id(&p["author_id"])) {
                out.retractions.push(Retraction::Of {
                    kind: NotificationKind::Reblog,
                    from_account: author,
                    status_id: Some(original),
                });
            }
        }
        EventKind::NotificationDismissed => {
            if let Some(seq) = p["event_seq"].as_i64() {
                out.retractions.push(Retraction::Dismissed { recipient: actor, event_seq: seq });
            }
        }
        EventKind::NotificationsCleared => {
            if let Some(seq) = p["upto_seq"].as_i64() {
                out.retractions.push(Retraction::Cleared { recipient: actor, upto_seq: seq });
            }
        }
        // Stories and chats tell their people live, on the user stream, and keep their own
        // unread state (views, chat read positions): a notification for each would repeat
        // them in a list Mastodon clients cannot render.
        EventKind::StoryCreated
        | EventKind::StoryDeleted
        | EventKind::StoryViewed
        | EventKind::StoryReacted
        | EventKind::StoryUnreacted
        | EventKind::ChatCreated
        | EventKind::ChatMessage
        | EventKind::ChatRead
        | EventKind::ChatLeft => {}
        EventKind::MarkerUpdated
        | EventKind::FollowUpdated
        | EventKind::TagFollowed
        | EventKind::TagUnfollowed
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
        | EventKind::Pinned
        | EventKind::Unpinned
        | EventKind::Reported
        | EventKind::ReportResolved
        | EventKind::RoleChanged
        | EventKind::AppCreated
        | EventKind::AccountCreated
        | EventKind::AccountUpdated
        | EventKind::TokenIssued
        | EventKind::TokenRevoked => {}
    }
    out
}

/// A stored notification, with what the API shows alongside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: Id,
    pub recipient: Id,
    pub kind: NotificationKind,
    pub from_account: Account,
    pub status: Option<Status>,
    pub event_seq: i64,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: EventKind, actor: i64, subject: i64, payload: serde_json::Value) -> Event {
        Event {
            seq: 9,
            kind,
            actor_id: Some(Id(actor)),
            subject_id: Some(Id(subject)),
            schema_version: 1,
            payload,
            created_at: Timestamp(5),
        }
    }

    fn recipients(d: &Derived) -> Vec<(i64, NotificationKind)> {
        d.notifications.iter().map(|n| (n.recipient.0, n.kind)).collect()
    }

    #[test]
    fn a_reply_notifies_the_parent_author_once_even_when_also_mentioned() {
        let e = event(
            EventKind::StatusCreated,
            1,
            100,
            json!({"in_reply_to_account_id": "2", "mentions": ["2", "3", "1"]}),
        );
        assert_eq!(recipients(&derive(&e)), vec![(2, NotificationKind::Mention), (3, NotificationKind::Mention)]);
    }

    #[test]
    fn followers_who_asked_hear_of_new_posts_unless_mentioned() {
        let e = event(EventKind::StatusCreated, 1, 100, json!({"mentions": ["2"], "notify_followers": ["2", "3"]}));
        assert_eq!(recipients(&derive(&e)), vec![(2, NotificationKind::Mention), (3, NotificationKind::Status)]);
    }

    #[test]
    fn nobody_is_notified_of_their_own_actions() {
        let fav = event(EventKind::Favourited, 1, 100, json!({"author_id": "1"}));
        assert!(derive(&fav).notifications.is_empty());
        let self_reply =
            event(EventKind::StatusCreated, 1, 100, json!({"in_reply_to_account_id": "1", "mentions": []}));
        assert!(derive(&self_reply).notifications.is_empty());
    }

    #[test]
    fn each_interaction_notifies_the_author() {
        let cases =
            [(EventKind::Favourited, NotificationKind::Favourite), (EventKind::Reblogged, NotificationKind::Reblog)];
        for (kind, expected) in cases {
            let d = derive(&event(kind, 1, 100, json!({"author_id": "2"})));
            assert_eq!(recipients(&d), vec![(2, expected)]);
            assert_eq!(d.notifications[0].status_id, Some(Id(100)));
        }
        let follow = derive(&event(EventKind::Followed, 1, 2, json!({})));
        assert_eq!(recipients(&follow), vec![(2, NotificationKind::Follow)]);
        assert_eq!(follow.notifications[0].status_id, None);
        let edit = derive(&event(EventKind::StatusEdited, 1, 100, json!({"rebloggers": ["3", "4"]})));
        assert_eq!(recipients(&edit), vec![(3, NotificationKind::Update), (4, NotificationKind::Update)]);
    }

    #[test]
    fn undoing_an_action_retracts_its_notification() {
        let d = derive(&event(EventKind::Unfavourited, 1, 100, json!({"author_id": "2"})));
        assert_eq!(
            d.retractions,
            vec![Retraction::Of { kind: NotificationKind::Favourite, from_account: Id(1), status_id: Some(Id(100)) }]
        );
        let d = derive(&event(EventKind::StatusDeleted, 1, 100, json!({})));
        assert_eq!(d.retractions, vec![Retraction::AboutStatus(Id(100))]);
    }

    #[test]
    fn unfollowing_retracts_only_the_follow_of_that_account() {
        let d = derive(&event(EventKind::Unfollowed, 1, 2, json!({})));
        assert_eq!(
            d.retractions,
            vec![Retraction::Between { kind: NotificationKind::Follow, from_account: Id(1), recipient: Id(2) }]
        );
    }

    #[test]
    fn deleting_a_reblog_retracts_its_reblog_notification() {
        // A moderator (3) deletes 2's reblog (100) of status 50.
        let d = derive(&event(EventKind::StatusDeleted, 3, 100, json!({"author_id": "2", "reblog_of_id": "50"})));
        assert_eq!(
            d.retractions,
            vec![
                Retraction::AboutStatus(Id(100)),
                Retraction::Of { kind: NotificationKind::Reblog, from_account: Id(2), status_id: Some(Id(50)) },
            ]
        );
        let original = derive(&event(EventKind::StatusDeleted, 1, 50, json!({"author_id": "1", "reblog_of_id": null})));
        assert_eq!(original.retractions, vec![Retraction::AboutStatus(Id(50))]);
    }
}
