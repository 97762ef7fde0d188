//! Whom and what an account does not see. A block hides two accounts from each other
//! everywhere; a mute takes an account out of the muter's timelines (and, when asked, its
//! notifications) but not off its own profile, and may end by itself; a keyword filter hides or
//! marks statuses in the contexts it names (`filters`). Every reader applies the one rule
//! here: the timelines and searches, the notifications, and live delivery on every stream.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::filters::{self, Filter, FilterContext, FilterMatch, Judgement};
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

/// Statuses as a timeline shows them to one viewer (`Hidden::sift`).
#[derive(Clone, Debug, Default)]
pub struct Sifted {
    pub statuses: Vec<Status>,
    /// The `warn` filters that matched each status shown, by status id.
    pub warnings: HashMap<Id, Vec<FilterMatch>>,
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
    /// The viewer's keyword filters (expired ones included, as mutes are).
    pub filters: Vec<Filter>,
    /// Silenced accounts the viewer does not follow: out of its public timelines.
    pub silenced: HashSet<Id>,
}

/// Whose doing a live message is, so that each connection can leave out what is hidden from its
/// account (decided when the message is made, applied per connection).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Concern {
    /// Nothing hides it (a deletion, a read marker of one's own).
    #[default]
    Nobody,
    /// A status: hidden as `Hidden::hides_status` hides it, or by a `hide` filter matching
    /// `text` (its `filters::filterable_text`) in the stream's context.
    Status { author: Id, involved: Vec<Id>, text: Arc<str> },
    /// A notification of what `from` did: hidden as `Hidden::hides_notifications_from`.
    Notification { from: Id },
    /// Something `account` did (a story, a chat message, a view): hidden by a block only.
    Account(Id),
}

impl Concern {
    pub fn status(status: &Status) -> Concern {
        Concern::Status {
            author: status.account.id,
            involved: involved(status).collect(),
            text: filters::filterable_text(status).into(),
        }
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
        self.blocks.is_empty() && self.mutes.is_empty() && self.filters.is_empty() && self.silenced.is_empty()
    }

    /// What the viewer's filters say of `status` in `context`.
    pub fn judge(&self, status: &Status, context: FilterContext, now: Timestamp) -> Judgement {
        if self.is_own(status) {
            return Judgement::Shown(Vec::new());
        }
        filters::judge(&self.filters, status, context, now)
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

    /// Whether a live message of this concern is left out of a stream of the viewer's that
    /// shows `context` (`None`: a stream no filter applies to).
    pub fn hides(&self, concern: &Concern, context: Option<FilterContext>, now: Timestamp) -> bool {
        match concern {
            Concern::Nobody => false,
            Concern::Status { author, involved, text } => {
                self.viewer != Some(*author)
                    && (involved.iter().any(|a| self.blocked(*a) || self.muted(*a, now))
                        || context.is_some_and(|c| {
                            let applying = self.filters.iter().filter(|f| f.applies_in(c, now));
                            filters::judge_text(applying, text) == Judgement::Hidden
                        }))
            }
            Concern::Notification { from } => self.hides_notifications_from(*from, now),
            Concern::Account(account) => self.blocked(*account),
        }
    }

    /// What a timeline of `context` shows the viewer of `statuses`, in order: without those a
    /// block, a mute (except on a profile, where mutes do not reach) or a `hide` filter keeps
    /// from it, and with the `warn` filters that matched each status shown.
    pub fn sift(&self, statuses: Vec<Status>, context: FilterContext, now: Timestamp) -> Sifted {
        let mut sifted = Sifted::default();
        for status in statuses {
            let kept_out = match context {
                FilterContext::Account => self.blocks_status(&status),
                FilterContext::Public => self.hides_status(&status, now) || self.silenced.contains(&status.account.id),
                _ => self.hides_status(&status, now),
            };
            if kept_out {
                continue;
            }
            match self.judge(&status, context, now) {
                Judgement::Hidden => continue,
                Judgement::Shown(warnings) if !warnings.is_empty() => {
                    sifted.warnings.insert(status.id, warnings);
                }
                Judgement::Shown(_) => {}
            }
            sifted.statuses.push(status);
        }
        sifted
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
        let hidden = Hidden { viewer: Some(Id(1)), blocks: [Id(2)].into(), ..Hidden::default() };
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
        let hidden = Hidden { viewer: Some(Id(1)), mutes, ..Hidden::default() };
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
        let hidden = Hidden { viewer: Some(Id(1)), blocks: [Id(2)].into(), mutes, ..Hidden::default() };
        let now = Timestamp(0);
        let mut reply = status(10, 4);
        reply.mentions.push(MentionRef { id: Id(3), username: "u3".into() });
        assert!(hidden.hides(&Concern::status(&reply), None, now), "it names a muted account");
        assert!(!hidden.hides(&Concern::status(&status(11, 4)), None, now));
        assert!(!hidden.hides(&Concern::status(&status(12, 1)), None, now), "the viewer's own");
        assert!(hidden.hides(&Concern::Notification { from: Id(2) }, None, now));
        assert!(!hidden.hides(&Concern::Notification { from: Id(3) }, None, now), "muted, but not its notifications");
        assert!(hidden.hides(&Concern::Account(Id(2)), None, now));
        assert!(!hidden.hides(&Concern::Account(Id(3)), None, now), "a mute hides no chat or story");
        assert!(!hidden.hides(&Concern::Nobody, None, now));
    }
}
