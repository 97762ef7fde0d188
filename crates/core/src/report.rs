//! Reports: a user tells the operators about an account, and some of its statuses.

use crate::id::Id;
use crate::model::{Account, Timestamp};

/// What a report is about, as Mastodon names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Spam,
    Legal,
    Violation,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Spam => "spam",
            Category::Legal => "legal",
            Category::Violation => "violation",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        [Category::Spam, Category::Legal, Category::Violation, Category::Other].into_iter().find(|c| c.as_str() == s)
    }
}

/// The longest comment a report may carry, in characters (Mastodon's limit).
pub const MAX_COMMENT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReport {
    pub id: Id,
    pub account: Id,
    pub target: Id,
    pub status_ids: Vec<Id>,
    pub comment: String,
    pub category: Category,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub id: Id,
    /// Who reported.
    pub account: Account,
    /// Whom.
    pub target: Account,
    pub status_ids: Vec<Id>,
    pub comment: String,
    pub category: Category,
    pub created_at: Timestamp,
    /// When a moderator marked it handled.
    pub resolved_at: Option<Timestamp>,
}
