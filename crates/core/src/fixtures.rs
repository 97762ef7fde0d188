//! Accounts and statuses for the unit tests of this crate: every field at its plainest.

use crate::id::Id;
use crate::model::{Account, Role, Status, Timestamp, Visibility};

pub(crate) fn account(id: i64) -> Account {
    Account {
        id: Id(id),
        username: format!("u{id}"),
        display_name: String::new(),
        note: String::new(),
        note_source: String::new(),
        locked: false,
        bot: false,
        role: Role::User,
        created_at: Timestamp(0),
        followers_count: 0,
        following_count: 0,
        statuses_count: 0,
        last_status_at: None,
        suspended: false,
        silenced: false,
        disabled: false,
    }
}

pub(crate) fn status(id: i64, author: i64, visibility: Visibility) -> Status {
    Status {
        id: Id(id),
        account: account(author),
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog: None,
        quote_of_id: None,
        quote: None,
        content: String::new(),
        text: String::new(),
        spoiler_text: String::new(),
        sensitive: false,
        visibility,
        language: None,
        created_at: Timestamp(0),
        edited_at: None,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        mentions: Vec::new(),
        tags: Vec::new(),
        application: None,
        media: Vec::new(),
    }
}
