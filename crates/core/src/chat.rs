//! Chats: direct conversations between two or more accounts, with messages, read positions and
//! (never stored) typing and presence signals. An extension of the Mastodon API, apart from its
//! direct statuses.

use crate::id::Id;
use crate::media::Media;
use crate::model::{Account, Timestamp};

/// The most participants a chat may have, its creator included.
pub const MAX_PARTICIPANTS: usize = 50;

#[derive(Clone, Debug)]
pub struct NewChat {
    pub id: Id,
    pub creator: Id,
    /// The other participants, without the creator, without duplicates.
    pub others: Vec<Id>,
    pub created_at: Timestamp,
}

/// A chat as one participant sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chat {
    pub id: Id,
    /// More than two participants when created; a group chat stays one when people leave.
    pub group: bool,
    pub created_by: Id,
    pub created_at: Timestamp,
    /// The participants other than the viewer, by account id.
    pub others: Vec<Account>,
    /// The newest message or the creation, whichever came last: what chats are ordered by.
    pub last_activity_id: Id,
    pub updated_at: Timestamp,
    pub last_message: Option<ChatMessage>,
    /// Messages of the others newer than the viewer's read position.
    pub unread_count: i64,
    pub last_read_id: Option<Id>,
    /// How far each of the others has read (`None`: nothing yet), for "seen" markers.
    pub read_positions: Vec<(Id, Option<Id>)>,
}

#[derive(Clone, Debug)]
pub struct NewChatMessage {
    pub id: Id,
    pub chat_id: Id,
    pub sender: Id,
    pub text: String,
    /// The text as HTML, rendered once when it is written.
    pub content: String,
    pub idempotency_key: Option<String>,
    /// The sender's unattached media, in order; `NotFound` if one is not.
    pub media_ids: Vec<Id>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    pub id: Id,
    pub chat_id: Id,
    pub account: Account,
    pub text: String,
    pub content: String,
    pub created_at: Timestamp,
    pub media: Vec<Media>,
}

/// What `Store::create_chat` did: a chat of two is found again rather than made twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedChat {
    pub made: bool,
    pub chat: Chat,
}
