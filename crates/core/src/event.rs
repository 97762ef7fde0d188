//! The vocabulary of the append-only event log.
//!
//! Every state change appends one event in the same transaction as the change itself, so the log
//! is both the audit trail and the source from which counters, timelines and notifications can
//! be rebuilt. Payloads are built here, once, so that every backend writes identical events.
//! A payload's shape may only grow; a change of meaning bumps [`SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::chat::NewChatMessage;
use crate::id::Id;
use crate::model::{Account, Status, Timestamp};
use crate::story::NewStory;

pub const SCHEMA_VERSION: i32 = 1;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "app.created")]
    AppCreated,
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "account.updated")]
    AccountUpdated,
    #[serde(rename = "token.issued")]
    TokenIssued,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    #[serde(rename = "status.created")]
    StatusCreated,
    #[serde(rename = "status.edited")]
    StatusEdited,
    #[serde(rename = "status.deleted")]
    StatusDeleted,
    #[serde(rename = "status.favourited")]
    Favourited,
    #[serde(rename = "status.unfavourited")]
    Unfavourited,
    #[serde(rename = "status.reblogged")]
    Reblogged,
    #[serde(rename = "status.unreblogged")]
    Unreblogged,
    #[serde(rename = "account.followed")]
    Followed,
    #[serde(rename = "account.unfollowed")]
    Unfollowed,
    #[serde(rename = "notification.dismissed")]
    NotificationDismissed,
    #[serde(rename = "notifications.cleared")]
    NotificationsCleared,
    #[serde(rename = "marker.updated")]
    MarkerUpdated,
    #[serde(rename = "account.follow_updated")]
    FollowUpdated,
    #[serde(rename = "story.created")]
    StoryCreated,
    #[serde(rename = "story.deleted")]
    StoryDeleted,
    #[serde(rename = "story.viewed")]
    StoryViewed,
    #[serde(rename = "story.reacted")]
    StoryReacted,
    #[serde(rename = "story.unreacted")]
    StoryUnreacted,
    #[serde(rename = "chat.created")]
    ChatCreated,
    #[serde(rename = "chat.message")]
    ChatMessage,
    #[serde(rename = "chat.read")]
    ChatRead,
    #[serde(rename = "chat.left")]
    ChatLeft,
    #[serde(rename = "tag.followed")]
    TagFollowed,
    #[serde(rename = "tag.unfollowed")]
    TagUnfollowed,
    #[serde(rename = "account.password_changed")]
    PasswordChanged,
    #[serde(rename = "account.suspended")]
    Suspended,
    #[serde(rename = "account.unsuspended")]
    Unsuspended,
    #[serde(rename = "status.bookmarked")]
    Bookmarked,
    #[serde(rename = "status.unbookmarked")]
    Unbookmarked,
    #[serde(rename = "status.pinned")]
    Pinned,
    #[serde(rename = "status.unpinned")]
    Unpinned,
    #[serde(rename = "report.created")]
    Reported,
    #[serde(rename = "report.resolved")]
    ReportResolved,
    #[serde(rename = "account.role_changed")]
    RoleChanged,
    #[serde(rename = "account.blocked")]
    Blocked,
    #[serde(rename = "account.unblocked")]
    Unblocked,
    #[serde(rename = "account.muted")]
    Muted,
    #[serde(rename = "account.unmuted")]
    Unmuted,
    #[serde(rename = "account.follow_requested")]
    FollowRequested,
    #[serde(rename = "account.follow_request_authorized")]
    FollowRequestAuthorized,
    #[serde(rename = "account.follow_request_rejected")]
    FollowRequestRejected,
    #[serde(rename = "filter.created")]
    FilterCreated,
    #[serde(rename = "filter.updated")]
    FilterUpdated,
    #[serde(rename = "filter.deleted")]
    FilterDeleted,
    #[serde(rename = "account.silenced")]
    Silenced,
    #[serde(rename = "account.unsilenced")]
    Unsilenced,
    #[serde(rename = "account.disabled")]
    Disabled,
    #[serde(rename = "account.enabled")]
    Enabled,
    #[serde(rename = "account.deleted")]
    AccountDeleted,
}

impl EventKind {
    pub const ALL: [EventKind; 54] = [
        EventKind::AppCreated,
        EventKind::AccountCreated,
        EventKind::AccountUpdated,
        EventKind::TokenIssued,
        EventKind::TokenRevoked,
        EventKind::StatusCreated,
        EventKind::StatusEdited,
        EventKind::StatusDeleted,
        EventKind::Favourited,
        EventKind::Unfavourited,
        EventKind::Reblogged,
        EventKind::Unreblogged,
        EventKind::Followed,
        EventKind::Unfollowed,
        EventKind::NotificationDismissed,
        EventKind::NotificationsCleared,
        EventKind::MarkerUpdated,
        EventKind::FollowUpdated,
        EventKind::StoryCreated,
        EventKind::StoryDeleted,
        EventKind::StoryViewed,
        EventKind::StoryReacted,
        EventKind::StoryUnreacted,
        EventKind::ChatCreated,
        EventKind::ChatMessage,
        EventKind::ChatRead,
        EventKind::ChatLeft,
        EventKind::TagFollowed,
        EventKind::TagUnfollowed,
        EventKind::PasswordChanged,
        EventKind::Suspended,
        EventKind::Unsuspended,
        EventKind::Bookmarked,
        EventKind::Unbookmarked,
        EventKind::Pinned,
        EventKind::Unpinned,
        EventKind::Reported,
        EventKind::ReportResolved,
        EventKind::RoleChanged,
        EventKind::Blocked,
        EventKind::Unblocked,
        EventKind::Muted,
        EventKind::Unmuted,
        EventKind::FollowRequested,
        EventKind::FollowRequestAuthorized,
        EventKind::FollowRequestRejected,
        EventKind::FilterCreated,
        EventKind::FilterUpdated,
        EventKind::FilterDeleted,
        EventKind::Silenced,
        EventKind::Unsilenced,
        EventKind::Disabled,
        EventKind::Enabled,
        EventKind::AccountDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AppCreated => "app.created",
            EventKind::AccountCreated => "account.created",
            EventKind::AccountUpdated => "account.updated",
            EventKind::TokenIssued => "token.issued",
            EventKind::TokenRevoked => "token.revoked",
            EventKind::StatusCreated => "status.created",
            EventKind::StatusEdited => "status.edited",
            EventKind::StatusDeleted => "status.deleted",
            EventKind::Favourited => "status.favourited",
            EventKind::Unfavourited => "status.unfavourited",
            EventKind::Reblogged => "status.reblogged",
            EventKind::Unreblogged => "status.unreblogged",
            EventKind::Followed => "account.followed",
            EventKind::Unfollowed => "account.unfollowed",
            EventKind::NotificationDismissed => "notification.dismissed",
            EventKind::NotificationsCleared => "notifications.cleared",
            EventKind::MarkerUpdated => "marker.updated",
            EventKind::FollowUpdated => "account.follow_updated",
            EventKind::StoryCreated => "story.created",
            EventKind::StoryDeleted => "story.deleted",
            EventKind::StoryViewed => "story.viewed",
            EventKind::StoryReacted => "story.reacted",
            EventKind::StoryUnreacted => "story.unreacted",
            EventKind::ChatCreated => "chat.created",
            EventKind::ChatMessage => "chat.message",
            EventKind::ChatRead => "chat.read",
            EventKind::ChatLeft => "chat.left",
            EventKind::TagFollowed => "tag.followed",
            EventKind::TagUnfollowed => "tag.unfollowed",
            EventKind::PasswordChanged => "account.password_changed",
            EventKind::Suspended => "account.suspended",
            EventKind::Unsuspended => "account.unsuspended",
            EventKind::Bookmarked => "status.bookmarked",
            EventKind::Unbookmarked => "status.unbookmarked",
            EventKind::Pinned => "status.pinned",
            EventKind::Unpinned => "status.unpinned",
            EventKind::Reported => "report.created",
            EventKind::ReportResolved => "report.resolved",
            EventKind::RoleChanged => "account.role_changed",
            EventKind::Blocked => "account.blocked",
            EventKind::Unblocked => "account.unblocked",
            EventKind::Muted => "account.muted",
            EventKind::Unmuted => "account.unmuted",
            EventKind::FollowRequested => "account.follow_requested",
            EventKind::FollowRequestAuthorized => "account.follow_request_authorized",
            EventKind::FollowRequestRejected => "account.follow_request_rejected",
            EventKind::FilterCreated => "filter.created",
            EventKind::FilterUpdated => "filter.updated",
            EventKind::FilterDeleted => "filter.deleted",
            EventKind::Silenced => "account.silenced",
            EventKind::Unsilenced => "account.unsilenced",
            EventKind::Disabled => "account.disabled",
            EventKind::Enabled => "account.enabled",
            EventKind::AccountDeleted => "account.deleted",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An event about to be appended; the store assigns its sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor_id: Option<Id>,
    pub subject_id: Option<Id>,
    pub payload: Value,
    pub created_at: Timestamp,
}

/// An event as stored: `seq` is gapless per backend only in the absence of rolled-back
/// transactions, so consumers must treat it as ordered, not as dense.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub kind: EventKind,
    pub actor_id: Option<Id>,
    pub subject_id: Option<Id>,
    pub schema_version: i32,
    pub payload: Value,
    pub created_at: Timestamp,
}

fn event(kind: EventKind, actor: Option<Id>, subject: Option<Id>, payload: Value, at: Timestamp) -> NewEvent {
    NewEvent { kind, actor_id: actor, subject_id: subject, payload, created_at: at }
}

pub fn app_created(app_id: Id, name: &str, at: Timestamp) -> NewEvent {
    event(EventKind::AppCreated, None, Some(app_id), json!({ "name": name }), at)
}

pub fn account_created(account: &Account) -> NewEvent {
    event(
        EventKind::AccountCreated,
        Some(account.id),
        Some(account.id),
        json!({ "username": account.username, "role": account.role.as_str() }),
        account.created_at,
    )
}

pub fn account_updated(account: &Account, at: Timestamp) -> NewEvent {
    event(
        EventKind::AccountUpdated,
        Some(account.id),
        Some(account.id),
        json!({
            "display_name": account.display_name,
            "note": account.note_source,
            "locked": account.locked,
            "bot": account.bot,
        }),
        at,
    )
}

pub fn token_issued(
    token_id: Id,
    app_id: Id,
    account: Option<Id>,
    scopes: &str,
    grant: &str,
    at: Timestamp,
) -> NewEvent {
    event(
        EventKind::TokenIssued,
        account,
        Some(token_id),
        json!({ "app_id": app_id, "scopes": scopes, "grant": grant }),
        at,
    )
}

pub fn token_revoked(token_id: Id, account: Option<Id>, at: Timestamp) -> NewEvent {
    event(EventKind::TokenRevoked, account, Some(token_id), json!({}), at)
}

/// The account's password changed; its other tokens were revoked (each with its own
/// `token.revoked`, which closes its streams).
pub fn password_changed(account: Id, revoked_tokens: usize, at: Timestamp) -> NewEvent {
    event(EventKind::PasswordChanged, Some(account), Some(account), json!({ "revoked_tokens": revoked_tokens }), at)
}

/// An operator (`actor`, or nobody for the command line) suspended `account`, revoking its
/// tokens (each with its own `token.revoked`).
pub fn suspended(account: Id, actor: Option<Id>, revoked_tokens: usize, at: Timestamp) -> NewEvent {
    event(EventKind::Suspended, actor, Some(account), json!({ "revoked_tokens": revoked_tokens }), at)
}

pub fn unsuspended(account: Id, actor: Option<Id>, at: Timestamp) -> NewEvent {
    event(EventKind::Unsuspended, actor, Some(account), json!({}), at)
}

/// A moderator (`actor`; `None`: an operator's command line) limited `account` or lifted the
/// limit (`kind`: silenced, unsilenced, disabled, enabled).
pub fn limited(kind: EventKind, account: Id, actor: Option<Id>, at: Timestamp) -> NewEvent {
    event(kind, actor, Some(account), json!({}), at)
}

/// A bookmark or a pin (`kind`) of `status` by `account`, or its removal. Bookmarks are private:
/// they reach the log (the account's audit trail) and nobody's notifications.
pub fn kept(kind: EventKind, account: Id, status: Id, at: Timestamp) -> NewEvent {
    event(kind, Some(account), Some(status), json!({}), at)
}

/// `account` blocked `target` (`Blocked`) or lifted its block (`Unblocked`). The follows a block
/// ends are logged before it, each as its own `account.unfollowed`.
pub fn blocked(kind: EventKind, account: Id, target: Id, at: Timestamp) -> NewEvent {
    event(kind, Some(account), Some(target), json!({}), at)
}

/// `account` muted `target`, or changed how (muting again replaces the mute).
pub fn muted(account: Id, target: Id, mute: &crate::safety::Mute, at: Timestamp) -> NewEvent {
    event(
        EventKind::Muted,
        Some(account),
        Some(target),
        json!({ "notifications": mute.notifications, "expires_at": mute.expires_at.map(|t| t.to_rfc3339()) }),
        at,
    )
}

pub fn unmuted(account: Id, target: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Unmuted, Some(account), Some(target), json!({}), at)
}

/// `account` made, changed or deleted (`kind`) one of its keyword filters: its streams are told
/// (`filters_changed`).
pub fn filter_changed(kind: EventKind, account: Id, filter: Id, at: Timestamp) -> NewEvent {
    event(kind, Some(account), Some(filter), json!({}), at)
}

/// `account` reported `target` (the report's id is the subject).
pub fn reported(report: &crate::report::NewReport) -> NewEvent {
    let statuses: Vec<String> = report.status_ids.iter().map(Id::to_string).collect();
    event(
        EventKind::Reported,
        Some(report.account),
        Some(report.id),
        json!({ "target_account_id": report.target.to_string(), "status_ids": statuses, "category": report.category.as_str() }),
        report.created_at,
    )
}

/// A moderator (`actor`) marked a report handled.
pub fn report_resolved(report: Id, actor: Id, at: Timestamp) -> NewEvent {
    event(EventKind::ReportResolved, Some(actor), Some(report), json!({}), at)
}

/// An operator (`actor`, or nobody for the command line) gave `account` a role.
pub fn role_changed(account: Id, role: crate::model::Role, actor: Option<Id>, at: Timestamp) -> NewEvent {
    event(EventKind::RoleChanged, actor, Some(account), json!({ "role": role.as_str() }), at)
}

/// `notify_followers`: followers who asked to hear of every post of the author and may read
/// this one; they are notified of it.
pub fn status_created(status: &Status, notify_followers: &[Id]) -> NewEvent {
    event(
        EventKind::StatusCreated,
        Some(status.account.id),
        Some(status.id),
        json!({
            "visibility": status.visibility,
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": status.in_reply_to_account_id,
            "quoted_status_id": status.quote_of_id,
            "mentions": status.mentions.iter().map(|m| m.id).collect::<Vec<_>>(),
            "tags": status.tags,
            "text": status.text,
            "spoiler_text": status.spoiler_text,
            "notify_followers": notify_followers,
        }),
        status.created_at,
    )
}

/// `rebloggers`: who had reblogged the status when it was edited; they are told of the edit.
pub fn status_edited(status: &Status, version: i32, rebloggers: &[Id]) -> NewEvent {
    event(
        EventKind::StatusEdited,
        Some(status.account.id),
        Some(status.id),
        json!({
            "version": version,
            "rebloggers": rebloggers,
            "mentions": status.mentions.iter().map(|m| m.id).collect::<Vec<_>>(),
            "tags": status.tags,
            "text": status.text,
            "spoiler_text": status.spoiler_text,
        }),
        status.edited_at.unwrap_or(status.created_at),
    )
}

pub fn status_deleted(status: &Status, actor: Id, at: Timestamp) -> NewEvent {
    event(
        EventKind::StatusDeleted,
        Some(actor),
        Some(status.id),
        json!({
            "author_id": status.account.id,
            "visibility": status.visibility,
            "reblog_of_id": status.reblog.as_ref().map(|r| r.id),
            "in_reply_to_id": status.in_reply_to_id,
            "mentions": status.mentions.iter().map(|m| m.id).collect::<Vec<_>>(),
            "tags": status.tags,
        }),
        at,
    )
}

pub fn favourited(account: Id, status: Id, author: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Favourited, Some(account), Some(status), json!({ "author_id": author }), at)
}

pub fn unfavourited(account: Id, status: Id, author: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Unfavourited, Some(account), Some(status), json!({ "author_id": author }), at)
}

pub fn reblogged(reblog: &Status) -> NewEvent {
    let original = reblog.reblog.as_deref();
    event(
        EventKind::Reblogged,
        Some(reblog.account.id),
        original.map(|o| o.id),
        json!({
            "reblog_id": reblog.id,
            "author_id": original.map(|o| o.account.id),
            "visibility": reblog.visibility,
        }),
        reblog.created_at,
    )
}

pub fn unreblogged(account: Id, original: Id, reblog_id: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Unreblogged, Some(account), Some(original), json!({ "reblog_id": reblog_id }), at)
}

pub fn followed(follower: Id, followee: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Followed, Some(follower), Some(followee), json!({}), at)
}

/// A follow made by the followee's approval of a request: its `follow_request` notification
/// was the news, so this one notifies nobody.
pub fn follow_approved(follower: Id, followee: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Followed, Some(follower), Some(followee), json!({ "approved": true }), at)
}

/// `requester` asked to follow the locked `target`.
pub fn follow_requested(requester: Id, target: Id, at: Timestamp) -> NewEvent {
    event(EventKind::FollowRequested, Some(requester), Some(target), json!({}), at)
}

/// A follow request ended (`kind`: authorized or rejected) by `actor`, the target deciding or
/// the requester withdrawing; the subject is the other party.
pub fn follow_request_ended(kind: EventKind, actor: Id, requester: Id, target: Id, at: Timestamp) -> NewEvent {
    let other = if actor == target { requester } else { target };
    event(kind, Some(actor), Some(other), json!({ "requester_id": requester, "target_id": target }), at)
}

/// The follower changed whether they are notified of the followee's new posts.
pub fn follow_updated(follower: Id, followee: Id, notify: bool, at: Timestamp) -> NewEvent {
    event(EventKind::FollowUpdated, Some(follower), Some(followee), json!({ "notify": notify }), at)
}

pub fn unfollowed(follower: Id, followee: Id, at: Timestamp) -> NewEvent {
    event(EventKind::Unfollowed, Some(follower), Some(followee), json!({}), at)
}

/// `tag` as stored: lower-cased, without the `#`. A tag has no id, so it has no subject.
pub fn tag_followed(account: Id, tag: &str, at: Timestamp) -> NewEvent {
    event(EventKind::TagFollowed, Some(account), None, json!({ "tag": tag }), at)
}

pub fn tag_unfollowed(account: Id, tag: &str, at: Timestamp) -> NewEvent {
    event(EventKind::TagUnfollowed, Some(account), None, json!({ "tag": tag }), at)
}

/// `event_seq`: the event that caused the dismissed notification (replays find it by that).
pub fn notification_dismissed(recipient: Id, notification: Id, event_seq: i64, at: Timestamp) -> NewEvent {
    event(EventKind::NotificationDismissed, Some(recipient), Some(notification), json!({ "event_seq": event_seq }), at)
}

/// `upto_seq`: the newest event whose notifications were cleared.
pub fn notifications_cleared(recipient: Id, upto_seq: i64, at: Timestamp) -> NewEvent {
    event(EventKind::NotificationsCleared, Some(recipient), Some(recipient), json!({ "upto_seq": upto_seq }), at)
}

pub fn marker_updated(account: Id, timeline: &str, last_read_id: Id, at: Timestamp) -> NewEvent {
    event(
        EventKind::MarkerUpdated,
        Some(account),
        Some(account),
        json!({ "timeline": timeline, "last_read_id": last_read_id }),
        at,
    )
}

pub fn story_created(story: &NewStory) -> NewEvent {
    event(
        EventKind::StoryCreated,
        Some(story.account_id),
        Some(story.id),
        json!({ "text": story.text, "expires_at": story.expires_at.0 }),
        story.created_at,
    )
}

pub fn story_deleted(story: Id, author: Id, actor: Id, at: Timestamp) -> NewEvent {
    event(EventKind::StoryDeleted, Some(actor), Some(story), json!({ "author_id": author }), at)
}

/// Only a viewer other than the author records a view.
pub fn story_viewed(story: Id, author: Id, viewer: Id, at: Timestamp) -> NewEvent {
    event(EventKind::StoryViewed, Some(viewer), Some(story), json!({ "author_id": author }), at)
}

pub fn story_reacted(story: Id, author: Id, account: Id, emoji: &str, at: Timestamp) -> NewEvent {
    event(EventKind::StoryReacted, Some(account), Some(story), json!({ "author_id": author, "emoji": emoji }), at)
}

pub fn story_unreacted(story: Id, author: Id, account: Id, emoji: &str, at: Timestamp) -> NewEvent {
    event(EventKind::StoryUnreacted, Some(account), Some(story), json!({ "author_id": author, "emoji": emoji }), at)
}

/// `participants`: everyone in the chat, the creator included. Chat events name them so that
/// live delivery (and its replay) reaches the chat as it was when the event happened.
pub fn chat_created(chat: Id, creator: Id, participants: &[Id], group: bool, at: Timestamp) -> NewEvent {
    event(
        EventKind::ChatCreated,
        Some(creator),
        Some(chat),
        json!({ "participants": participants, "group": group }),
        at,
    )
}

pub fn chat_message(message: &NewChatMessage, participants: &[Id]) -> NewEvent {
    event(
        EventKind::ChatMessage,
        Some(message.sender),
        Some(message.id),
        json!({ "chat_id": message.chat_id, "participants": participants, "text": message.text }),
        message.created_at,
    )
}

pub fn chat_read(chat: Id, account: Id, last_read_id: Id, participants: &[Id], at: Timestamp) -> NewEvent {
    event(
        EventKind::ChatRead,
        Some(account),
        Some(chat),
        json!({ "last_read_id": last_read_id, "participants": participants }),
        at,
    )
}

/// `participants`: those who stay.
pub fn chat_left(chat: Id, account: Id, participants: &[Id], at: Timestamp) -> NewEvent {
    event(EventKind::ChatLeft, Some(account), Some(chat), json!({ "participants": participants }), at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
