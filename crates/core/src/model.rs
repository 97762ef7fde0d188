//! Entities as the store hands them out. They carry no presentation concerns: the HTTP layer
//! turns them into Mastodon's JSON shapes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::id::Id;

/// Milliseconds since the Unix epoch. Stored as an integer by every backend so that time
/// arithmetic and ordering are the same on SQLite and PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let now = OffsetDateTime::now_utc();
        Timestamp((now.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn plus_seconds(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    pub fn as_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// `2024-05-01T12:00:00.123Z`: Mastodon's format, milliseconds and a `Z`.
    pub fn to_rfc3339(self) -> String {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let date = t.date();
        let time = t.time();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            date.year(),
            u8::from(date.month()),
            date.day(),
            time.hour(),
            time.minute(),
            time.second(),
            time.millisecond()
        )
    }

    /// Midnight UTC of this instant's day, as Mastodon dates `last_status_at`.
    pub fn to_date_string(self) -> String {
        self.to_rfc3339()[..10].to_string()
    }

    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        Some(Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "public" => Ok(Visibility::Public),
            "unlisted" => Ok(Visibility::Unlisted),
            "private" => Ok(Visibility::Private),
            "direct" => Ok(Visibility::Direct),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Moderator,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "user" => Ok(Role::User),
            "moderator" => Ok(Role::Moderator),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    /// The profile text as HTML, rendered from `note_source` when it was set.
    pub note: String,
    pub note_source: String,
    pub locked: bool,
    pub bot: bool,
    pub role: Role,
    pub created_at: Timestamp,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<Timestamp>,
    /// Suspended by an operator: signed out everywhere and refused sign-in until unsuspended,
    /// and its content hidden from everyone.
    pub suspended: bool,
    /// Silenced (Mastodon's "limited") by a moderator: its statuses stay out of the public and
    /// hashtag timelines and searches of everyone who does not follow it.
    pub silenced: bool,
    /// Disabled by a moderator: signed out and refused sign-in; its content stays.
    pub disabled: bool,
}

/// A limit a moderator puts on an account, short of suspending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Silence,
    Disable,
}

/// What sign-in needs and nothing else hands out: the password hash stays inside this type.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub account: Account,
    pub email: String,
    pub password_hash: String,
}

#[derive(Clone, Debug)]
pub struct NewAccount {
    pub id: Id,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub locale: String,
    pub role: Role,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Default)]
pub struct AccountUpdate {
    pub display_name: Option<String>,
    /// (source text, rendered HTML)
    pub note: Option<(String, String)>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub id: Id,
    pub name: String,
    pub website: Option<String>,
    /// Newline-separated in Mastodon's JSON; kept as a list here.
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub client_id: String,
    pub client_secret: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewApp {
    pub id: Id,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub client_id: String,
    pub client_secret: String,
    pub created_at: Timestamp,
}

/// An issued access token. The bearer string itself is a signed JWT whose `jti` is `id`;
/// this row is what makes revocation immediate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: Id,
    pub app_id: Id,
    pub account_id: Option<Id>,
    pub scopes: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
}

#[derive(Clone, Debug)]
pub struct NewToken {
    pub id: Id,
    pub app_id: Id,
    pub account_id: Option<Id>,
    pub scopes: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// How the token was obtained (`password`, `authorization_code`, `client_credentials`,
    /// `sign_up`), recorded in the event log.
    pub grant: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthCode {
    /// A SHA-256 hex digest of the code: the code itself is never stored.
    pub code_hash: String,
    pub app_id: Id,
    pub account_id: Id,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MentionRef {
    pub id: Id,
    pub username: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRef {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub id: Id,
    pub account: Account,
    pub in_reply_to_id: Option<Id>,
    pub in_reply_to_account_id: Option<Id>,
    /// Set on a reblog: the reblogged status. A reblog has no text of its own.
    pub reblog: Option<Box<Status>>,
    /// The status this one quotes, if it quotes one (it may have been deleted since).
    pub quote_of_id: Option<Id>,
    /// The quoted status when it still exists, without its own quote (one level only).
    pub quote: Option<Box<Status>>,
    /// Rendered, safe HTML.
    pub content: String,
    /// The plain text the author typed.
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub mentions: Vec<MentionRef>,
    /// Lower-cased hashtag names, in order of first appearance.
    pub tags: Vec<String>,
    pub application: Option<AppRef>,
    /// Its attachments, in the order the author gave them.
    pub media: Vec<crate::media::Media>,
}

impl Status {
    /// Whether `viewer` may read this status. `viewer_follows_author` must say whether the
    /// viewer follows the author of *this* status (for a reblog, check the reblogged one too).
    pub fn visible_to(&self, viewer: Option<Id>, viewer_follows_author: bool) -> bool {
        match self.visibility {
            Visibility::Public | Visibility::Unlisted => true,
            Visibility::Private | Visibility::Direct => {
                let Some(viewer) = viewer else { return false };
                if viewer == self.account.id || self.mentions.iter().any(|m| m.id == viewer) {
                    return true;
                }
                self.visibility == Visibility::Private && viewer_follows_author
            }
        }
    }
}

/// One version of a status as it was shown: the original, then one per edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusVersion {
    pub status_id: Id,
    pub version: i32,
    pub content: String,
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewStatus {
    pub id: Id,
    pub account_id: Id,
    pub app_id: Option<Id>,
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    /// The parent must exist; the store fills `in_reply_to_account_id` from it.
    pub in_reply_to_id: Option<Id>,
    pub mentions: Vec<Id>,
    pub tags: Vec<String>,
    /// A key the client sent so that a retried request creates nothing new.
    pub idempotency_key: Option<String>,
    /// The author's unattached media, in order; `NotFound` if one is not.
    pub media_ids: Vec<Id>,
    /// A status to quote: an original (not a reblog) the author may see; the caller checks.
    pub quote_of_id: Option<Id>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct StatusEdit {
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub mentions: Vec<Id>,
    pub tags: Vec<String>,
    pub edited_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Relationship {
    pub id: Id,
    pub following: bool,
    pub followed_by: bool,
    /// The viewer follows and is notified of every new post.
    pub notifying: bool,
    /// The viewer blocks the account.
    pub blocking: bool,
    /// The account blocks the viewer.
    pub blocked_by: bool,
    /// The viewer mutes the account (a mute in force now).
    pub muting: bool,
    /// ... and its notifications too.
    pub muting_notifications: bool,
    /// The viewer asked to follow the account and awaits its approval.
    pub requested: bool,
    /// The account asked to follow the viewer.
    pub requested_by: bool,
}

/// Whether a follow or favourite changed anything: repeating one is not an error, but it
/// must not count twice nor log a second event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Made,
    Unchanged,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_mastodon_does() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(1_700_000_000_123).to_rfc3339(), "2023-11-14T22:13:20.123Z");
        assert_eq!(Timestamp::parse_rfc3339("2023-11-14T22:13:20.123Z"), Some(Timestamp(1_700_000_000_123)));
        assert_eq!(Timestamp(1_700_000_000_123).to_date_string(), "2023-11-14");
    }

    fn status(visibility: Visibility, mentions: &[i64]) -> Status {
        let mut s = crate::fixtures::status(10, 1, visibility);
        s.mentions = mentions.iter().map(|&id| MentionRef { id: Id(id), username: format!("u{id}") }).collect();
        s
    }

    #[test]
    fn private_statuses_are_for_followers_and_the_mentioned() {
        let s = status(Visibility::Private, &[3]);
        assert!(s.visible_to(Some(Id(1)), false), "author");
        assert!(s.visible_to(Some(Id(2)), true), "follower");
        assert!(s.visible_to(Some(Id(3)), false), "mentioned");
        assert!(!s.visible_to(Some(Id(4)), false), "stranger");
        assert!(!s.visible_to(None, false), "anonymous");
    }

    #[test]
    fn direct_statuses_are_for_the_author_and_the_mentioned_only() {
        let s = status(Visibility::Direct, &[3]);
        assert!(s.visible_to(Some(Id(1)), false));
        assert!(s.visible_to(Some(Id(3)), false));
        assert!(!s.visible_to(Some(Id(2)), true), "a follower who is not mentioned");
    }

    #[test]
    fn public_and_unlisted_statuses_are_for_everyone() {
        assert!(status(Visibility::Public, &[]).visible_to(None, false));
        assert!(status(Visibility::Unlisted, &[]).visible_to(None, false));
    }
}
