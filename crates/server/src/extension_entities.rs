//! The JSON of Starling's extensions to the Mastodon API: stories and chats. Accounts inside
//! them are Mastodon's `Account`, so clients reuse what they have; the rest is documented in
//! the OpenAPI spec (`openapi.json`).

use serde::Serialize;
use starling_core::Id;
use starling_core::chat::{Chat, ChatMessage};
use starling_core::model::Account;
use starling_core::story::{Story, StoryView};

use crate::entities::{AccountJson, MediaAttachmentJson, Renderer};

#[derive(Serialize)]
pub struct ReactionJson {
    pub emoji: String,
    pub count: i64,
    pub me: bool,
}

#[derive(Serialize)]
pub struct StoryJson {
    pub id: Id,
    pub account: AccountJson,
    pub text: String,
    pub media_attachments: Vec<MediaAttachmentJson>,
    pub created_at: String,
    pub expires_at: String,
    pub seen: bool,
    /// Only for the author: who looks is theirs to know.
    pub views_count: Option<i64>,
    pub reactions: Vec<ReactionJson>,
}

/// One account's stories in the bar above the timeline.
#[derive(Serialize)]
pub struct StoryGroupJson {
    pub account: AccountJson,
    pub stories: Vec<StoryJson>,
    pub has_unseen: bool,
    pub last_story_at: String,
}

#[derive(Serialize)]
pub struct StoryViewerJson {
    pub account: AccountJson,
    pub viewed_at: String,
    pub reactions: Vec<String>,
}

#[derive(Serialize)]
pub struct ChatMessageJson {
    pub id: Id,
    pub chat_id: Id,
    pub account: AccountJson,
    pub content: String,
    pub text: String,
    pub media_attachments: Vec<MediaAttachmentJson>,
    pub created_at: String,
}

#[derive(Serialize)]
pub struct ChatJson {
    pub id: Id,
    pub accounts: Vec<AccountJson>,
    pub group: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_message: Option<ChatMessageJson>,
    pub unread_count: i64,
    pub last_read_id: Option<Id>,
    /// How far each other participant has read.
    pub read_positions: Vec<ReadPositionJson>,
}

#[derive(Serialize)]
pub struct ReadPositionJson {
    pub account_id: Id,
    pub last_read_id: Option<Id>,
}

impl Renderer<'_> {
    /// `viewer`: who asks; the view count is shown to the author only.
    pub fn story(&self, s: &Story, viewer: Id) -> StoryJson {
        StoryJson {
            id: s.id,
            account: self.account(&s.account),
            text: s.text.clone(),
            media_attachments: s.media.iter().map(|m| self.media(m)).collect(),
            created_at: s.created_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            seen: s.seen,
            views_count: (s.account.id == viewer).then_some(s.views_count),
            reactions: s
                .reactions
                .iter()
                .map(|r| ReactionJson { emoji: r.emoji.clone(), count: r.count, me: r.me })
                .collect(),
        }
    }

    /// Stories grouped by account, oldest story first in each: the viewer's own group first,
    /// then groups with something unseen, then the rest, each part newest story first.
    pub fn story_groups(&self, stories: &[Story], viewer: Id) -> Vec<StoryGroupJson> {
        let mut groups: Vec<(&Account, Vec<&Story>)> = Vec::new();
        for s in stories {
            match groups.iter_mut().find(|(a, _)| a.id == s.account.id) {
                Some((_, list)) => list.push(s),
                None => groups.push((&s.account, vec![s])),
            }
        }
        for (_, list) in &mut groups {
            list.sort_by_key(|s| s.id);
        }
        let newest = |list: &[&Story]| list.last().map(|s| s.created_at).unwrap_or_default();
        groups.sort_by(|(a, x), (b, y)| {
            let rank = |account: &Account, list: &[&Story]| {
                (account.id != viewer, list.iter().all(|s| s.seen), std::cmp::Reverse(newest(list)))
            };
            rank(a, x).cmp(&rank(b, y))
        });
        groups
            .into_iter()
            .map(|(account, list)| StoryGroupJson {
                account: self.account(account),
                has_unseen: list.iter().any(|s| !s.seen),
                last_story_at: newest(&list).to_rfc3339(),
                stories: list.into_iter().map(|s| self.story(s, viewer)).collect(),
            })
            .collect()
    }

    pub fn story_viewer(&self, v: &StoryView) -> StoryViewerJson {
        StoryViewerJson {
            account: self.account(&v.account),
            viewed_at: v.viewed_at.to_rfc3339(),
            reactions: v.reactions.clone(),
        }
    }

    pub fn chat_message(&self, m: &ChatMessage) -> ChatMessageJson {
        ChatMessageJson {
            id: m.id,
            chat_id: m.chat_id,
            account: self.account(&m.account),
            content: m.content.clone(),
            text: m.text.clone(),
            media_attachments: m.media.iter().map(|a| self.media(a)).collect(),
            created_at: m.created_at.to_rfc3339(),
        }
    }

    pub fn chat(&self, c: &Chat) -> ChatJson {
        ChatJson {
            id: c.id,
            accounts: c.others.iter().map(|a| self.account(a)).collect(),
            group: c.group,
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
            last_message: c.last_message.as_ref().map(|m| self.chat_message(m)),
            unread_count: c.unread_count,
            last_read_id: c.last_read_id,
            read_positions: c
                .read_positions
                .iter()
                .map(|&(account_id, last_read_id)| ReadPositionJson { account_id, last_read_id })
                .collect(),
        }
    }
}
