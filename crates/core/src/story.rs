//! Stories: short-lived posts (24 hours by default) that their author's followers see in a bar
//! above the timeline, with who viewed them and emoji reactions. An extension of the Mastodon
//! API; a story is never a status.

use crate::id::Id;
use crate::media::Media;
use crate::model::{Account, Timestamp};

#[derive(Clone, Debug)]
pub struct NewStory {
    pub id: Id,
    pub account_id: Id,
    pub text: String,
    /// The author's unattached media, in order; `NotFound` if one is not.
    pub media_ids: Vec<Id>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A story as one viewer sees it: `seen` and each reaction's `me` are that viewer's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Story {
    pub id: Id,
    pub account: Account,
    pub text: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Distinct viewers other than the author.
    pub views_count: i64,
    /// Whether the viewer has viewed it (the author always has).
    pub seen: bool,
    /// One entry per emoji with at least one reaction, most used first, then by emoji.
    pub reactions: Vec<ReactionCount>,
    pub media: Vec<Media>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: i64,
    /// Whether the viewer is one of those who reacted so.
    pub me: bool,
}

/// One viewer of a story, for its author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryView {
    pub account: Account,
    pub viewed_at: Timestamp,
    /// The emoji the viewer reacted with, oldest first.
    pub reactions: Vec<String>,
}

/// What a store call about one story did, with the story as it is afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryChange {
    /// False when nothing was written: a repeated view, a reaction already there, a self-view.
    pub made: bool,
    pub story: Story,
}
