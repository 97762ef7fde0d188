//! Whom an account does not see. A block hides two accounts from each other everywhere; a mute
//! takes an account out of the muter's timelines (and, when asked, its notifications) but not
//! off its own profile, and may end by itself. Every reader applies the one rule here: the
//! timelines and searches, the notifications, and live delivery on every stream.

use std::collections::{HashMap, HashSet};

use crate::id::Id;
use crate::model::{Account, Status, Timestamp};

/// One account's mute of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mute {
    /// Whether the muted account's notifications are hidden too (Mastodon's default: yes).
    pub notifications: bool,
    /// When the mute ends by itself; `None`: never.
    pub expires_at: Option<Timestamp>,
}

impl Mute {
    pub fn active(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|end| end > now)
    }
}

/// A muted account as `GET /api/v1/mutes` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Muted {
    pub account: Account,
    pub mute: Mute,
}

/// The accounts hidden from one viewer, as the store knows them when asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    /// The viewer's own id: its own statuses are never hidden from it.
    pub viewer: Option<Id>,
    /// Accounts the viewer blocks and accounts blocking the viewer: the rule is the same both
    /// ways.
    pub blocks: HashSet<Id>,
    /// Accounts the viewer mutes (expired mutes included: each is checked against the time).
    pub mutes: HashMap<Id, Mute>,
}

/// Whose doing a live message is, so that each connection can leave out what is hidden from its
/// account (decided when the message is made, applied per connection).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Concern {
    /// Nothing hides it (a deletion, a read marker of one's own).
    #[default]
    Nobody,
    /// A status: hidden as `Hidden::hides_status` hides it.
    Status { author: Id, involved: Vec<Id> },
    /// A notification of what `from` did: hidden as `Hidden::hides_notifications_from`.
    Notification { from: Id },
    /// Something `account` did (a story, a chat message, a view): hidden by a block only.
    Account(Id),
}

impl Concern {
    pub fn status(status: &Status) -> Concern {
        Concern::Status { author: status.account.id, involved: involved(status).collect() }
    }
}

/// Accounts a status shows or speaks to: its author, the author of what it reblogs or quotes,
/// and everyone it mentions, as Mastodon's feeds check them.
fn involved(status: &Status) -> impl Iterator<Item = Id> + '_ {
    let shown = status.reblog.as_deref().unwrap_or(status);
    std::iter::once(status.account.id)
        .chain(std::iter::once(shown.account.id))
        .chain(shown.quote.iter().map(|q| q.account.id))
        .chain(shown.mentions.iter().map(|m| m.id))
}

impl Hidden {
    /// Nothing hidden: the view of someone signed out.
    pub fn nobody() -> Hidden {
        Hidden::default()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.mutes.is_empty()
    }

    /// Whether a block stands between the viewer and `account`, either way.
    pub fn blocked(&self, account: Id) -> bool {
        self.blocks.contains(&account)
    }

    /// Whether the viewer mutes `account` at `now`.
    pub fn muted(&self, account: Id, now: Timestamp) -> bool {
        self.mutes.get(&account).is_some_and(|m| m.active(now))
    }

    /// Whether `status` is kept from the viewer even when asked for by id: a block stands
    /// between the viewer and its author, or the author of what it reblogs. The viewer's own
    /// statuses are never kept from it.
    pub fn blocks_status(&self, status: &Status) -> bool {
        let shown = status.reblog.as_deref().unwrap_or(status);
        !self.is_own(status) && (self.blocked(status.account.id) || self.blocked(shown.account.id))
    }

    /// Whether `status` stays out of the viewer's timelines, searches and threads: it involves
    /// (is by, reblogs, quotes or mentions) an account blocked either way or muted.
    pub fn hides_status(&self, status: &Status, now: Timestamp) -> bool {
        !self.is_own(status) && involved(status).any(|a| self.blocked(a) || self.muted(a, now))
    }

    /// Whether the viewer is not told of what `actor` did: blocked, or muted with its
    /// notifications.
    pub fn hides_notifications_from(&self, actor: Id, now: Timestamp) -> bool {
        self.blocked(actor) || self.mutes.get(&actor).is_some_and(|m| m.notifications && m.active(now))
    }

    /// Whether a live message of this concern is left out of the viewer's streams.
    pub fn hides(&self, concern: &Concern, now: Timestamp) -> bool {
        match concern {
            Concern::Nobody => false,
            Concern::Status { author, involved } => {
                self.viewer != Some(*author) && involved.iter().any(|a| self.blocked(*a) || self.muted(*a, now))
            }
            Concern::Notification { from } => self.hides_notifications_from(*from, now),
            Concern::Account(account) => self.blocked(*account),
        }
    }

    fn is_own(&self, status: &Status) -> bool {
        self.viewer == Some(status.account.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::status as post;
    use crate::model::{MentionRef, Visibility};

    fn status(id: i64, author: i64) -> Status {
        post(id, author, Visibility::Public)
    }

    #[test]
    fn a_block_hides_by_id_what_its_accounts_wrote_and_from_timelines_what_involves_them() {
        let hidden = Hidden { viewer: Some(Id(1)), blocks: [Id(2)].into(), mutes: HashMap::new() };
        let now = Timestamp(0);
        assert!(hidden.blocks_status(&status(10, 2)));
        let mut reblog = status(11, 3);
        reblog.reblog = Some(Box::new(status(10, 2)));
        assert!(hidden.blocks_status(&reblog));
        let mut quote = status(12, 3);
        quote.quote = Some(Box::new(status(10, 2)));
        let mut mention = status(13, 3);
        mention.mentions.push(MentionRef { id: Id(2), username: "u2".into() });
        for s in [&quote, &mention] {
            assert!(!hidden.blocks_status(s), "a third party's status stays reachable by id");
            assert!(hidden.hides_status(s, now), "but leaves the timelines");
        }
        assert!(!hidden.blocks_status(&status(14, 3)));
        assert!(!hidden.hides_status(&status(14, 3), now));
        // The viewer's own status stays the viewer's, whomever it names.
        let mut own = status(15, 1);
        own.mentions.push(MentionRef { id: Id(2), username: "u2".into() });
        assert!(!hidden.blocks_status(&own));
        assert!(!hidden.hides_status(&own, now));
    }

    #[test]
    fn a_mute_hides_timelines_until_it_ends_and_notifications_only_when_asked() {
        let mutes = HashMap::from([
            (Id(2), Mute { notifications: true, expires_at: Some(Timestamp(1_000)) }),
            (Id(3), Mute { notifications: false, expires_at: None }),
        ]);
        let hidden = Hidden { viewer: Some(Id(1)), blocks: HashSet::new(), mutes };
        assert!(hidden.hides_status(&status(10, 2), Timestamp(999)));
        assert!(!hidden.hides_status(&status(10, 2), Timestamp(1_000)), "the mute has ended");
        assert!(!hidden.blocks_status(&status(10, 2)), "a mute is no block");
        assert!(hidden.hides_notifications_from(Id(2), Timestamp(999)));
        assert!(!hidden.hides_notifications_from(Id(3), Timestamp(999)));
        assert!(hidden.hides_status(&status(11, 3), Timestamp(5_000)));
    }

    #[test]
    fn a_live_message_is_hidden_as_what_it_carries_would_be() {
        let mutes = HashMap::from([(Id(3), Mute { notifications: false, expires_at: None })]);
        let hidden = Hidden { viewer: Some(Id(1)), blocks: [Id(2)].into(), mutes };
        let now = Timestamp(0);
        let mut reply = status(10, 4);
        reply.mentions.push(MentionRef { id: Id(3), username: "u3".into() });
        assert!(hidden.hides(&Concern::status(&reply), now), "it names a muted account");
        assert!(!hidden.hides(&Concern::status(&status(11, 4)), now));
        assert!(!hidden.hides(&Concern::status(&status(12, 1)), now), "the viewer's own");
        assert!(hidden.hides(&Concern::Notification { from: Id(2) }, now));
        assert!(!hidden.hides(&Concern::Notification { from: Id(3) }, now), "muted, but not its notifications");
        assert!(hidden.hides(&Concern::Account(Id(2)), now));
        assert!(!hidden.hides(&Concern::Account(Id(3)), now), "a mute hides no chat or story");
        assert!(!hidden.hides(&Concern::Nobody, now));
    }
}
