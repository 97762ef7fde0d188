//! Stories and chats from their rows: the part that is the same for every backend. Each
//! backend fetches the rows and the related maps in batches, with its own SQL, and hands them
//! here, as `assemble` does for statuses.

use std::collections::{HashMap, HashSet};

use starling_core::Id;
use starling_core::chat::{Chat, ChatMessage};
use starling_core::model::{Account, Timestamp};
use starling_core::story::{ReactionCount, Story, StoryView};

use crate::rows::{ChatMessageRow, ChatRow, StoryRow};

/// `(story, emoji, count, whether the viewer is among them)` rows, grouped by story, most used
/// emoji first and then by emoji, so that the order is stable.
pub(crate) fn reactions(rows: Vec<(i64, String, i64, bool)>) -> HashMap<i64, Vec<ReactionCount>> {
    let mut out: HashMap<i64, Vec<ReactionCount>> = HashMap::new();
    for (story, emoji, count, me) in rows {
        out.entry(story).or_default().push(ReactionCount { emoji, count, me });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.emoji.cmp(&b.emoji)));
    }
    out
}

/// The stories of `rows` as `viewer` sees them, in the order of `rows`; a story whose author
/// vanished is skipped.
pub(crate) fn stories(
    rows: Vec<StoryRow>,
    viewer: i64,
    accounts: &HashMap<i64, Account>,
    seen: &HashSet<i64>,
    mut reactions: HashMap<i64, Vec<ReactionCount>>,
    mut media: HashMap<i64, Vec<starling_core::media::Media>>,
) -> Vec<Story> {
    rows.into_iter()
        .filter_map(|r| {
            Some(Story {
                id: Id(r.id),
                account: accounts.get(&r.account_id)?.clone(),
                seen: r.account_id == viewer || seen.contains(&r.id),
                reactions: reactions.remove(&r.id).unwrap_or_default(),
                media: media.remove(&r.id).unwrap_or_default(),
                text: r.text,
                created_at: Timestamp(r.created_at),
                expires_at: Timestamp(r.expires_at),
                views_count: r.views_count,
            })
        })
        .collect()
}

pub(crate) fn message(
    row: ChatMessageRow,
    accounts: &HashMap<i64, Account>,
    media: &mut HashMap<i64, Vec<starling_core::media::Media>>,
) -> Option<ChatMessage> {
    Some(ChatMessage {
        media: media.remove(&row.id).unwrap_or_default(),
        id: Id(row.id),
        chat_id: Id(row.chat_id),
        account: accounts.get(&row.account_id)?.clone(),
        text: row.text,
        content: row.content,
        created_at: Timestamp(row.created_at),
    })
}

/// A participant of a chat and how far they have read.
pub(crate) struct Member {
    pub account: i64,
    pub last_read_id: Option<i64>,
}

/// What a page of chats needs besides their rows, each keyed by chat id.
pub(crate) struct ChatParts {
    /// Every participant of each chat, the viewer included.
    pub members: HashMap<i64, Vec<Member>>,
    pub accounts: HashMap<i64, Account>,
    /// The last message of each chat that has one, keyed by message id.
    pub last_messages: HashMap<i64, ChatMessage>,
    pub unread: HashMap<i64, i64>,
}

pub(crate) fn chat(row: ChatRow, viewer: i64, parts: &ChatParts) -> Chat {
    let others: Vec<&Member> =
        parts.members.get(&row.id).map(|m| m.iter().filter(|m| m.account != viewer).collect()).unwrap_or_default();
    Chat {
        id: Id(row.id),
        group: row.is_group,
        created_by: Id(row.created_by),
        created_at: Timestamp(row.created_at),
        read_positions: others.iter().map(|m| (Id(m.account), m.last_read_id.map(Id))).collect(),
        others: others.iter().filter_map(|m| parts.accounts.get(&m.account).cloned()).collect(),
        last_activity_id: Id(row.last_activity_id),
        updated_at: Timestamp(row.updated_at),
        last_message: row.last_message_id.and_then(|id| parts.last_messages.get(&id).cloned()),
        unread_count: parts.unread.get(&row.id).copied().unwrap_or(0),
        last_read_id: row.last_read_id.map(Id),
    }
}

/// The key that makes a chat of two unique per pair, whichever of them asks.
pub(crate) fn pair_key(a: i64, b: i64) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

/// What a media attachment can belong to, with the column that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Status,
    Story,
    ChatMessage,
}

impl Owner {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Owner::Status => "status_id",
            Owner::Story => "story_id",
            Owner::ChatMessage => "chat_message_id",
        }
    }
}

/// Media rows (ordered by owner and position) grouped by their owner of kind `owner`.
pub(crate) fn media_by_owner(
    rows: Vec<crate::rows::MediaRow>,
    owner: Owner,
) -> HashMap<i64, Vec<starling_core::media::Media>> {
    let mut out: HashMap<i64, Vec<starling_core::media::Media>> = HashMap::new();
    for row in rows {
        if let Some(id) = row.owner(owner) {
            out.entry(id).or_default().push(row.into());
        }
    }
    out
}

/// `prefix` as a `LIKE` pattern that matches what starts with it: `%`, `_` and `\` in it stand
/// for themselves (with `ESCAPE '\'`).
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A week in milliseconds: how fast age weighs a search match down.
pub(crate) const SEARCH_AGE_SCALE_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;

/// A page of story views, `(cursor, viewer, viewed_at)` rows, with each viewer's account and
/// reactions; a viewer whose account is gone is left out.
pub(crate) fn viewed(
    rows: Vec<(i64, i64, i64)>,
    accounts: &HashMap<i64, Account>,
    reactions: Vec<(i64, String)>,
) -> Vec<(Id, StoryView)> {
    let mut by_viewer: HashMap<i64, Vec<String>> = HashMap::new();
    for (account, emoji) in reactions {
        by_viewer.entry(account).or_default().push(emoji);
    }
    rows.into_iter()
        .filter_map(|(cursor, account, at)| {
            let view = StoryView {
                account: accounts.get(&account)?.clone(),
                viewed_at: Timestamp(at),
                reactions: by_viewer.remove(&account).unwrap_or_default(),
            };
            Some((Id(cursor), view))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_prefix("al"), "al%");
        assert_eq!(like_prefix("50%_a\\"), "50\\%\\_a\\\\%");
    }
}
