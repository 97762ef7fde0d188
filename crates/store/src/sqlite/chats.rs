//! Chats: participants, messages and read positions. Every method that names a chat checks
//! first that the caller is one of its participants, and answers `NotFound` otherwise.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use starling_core::chat::{Chat, ChatMessage, CreatedChat, NewChat, NewChatMessage};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError, StoreResult};

use super::{QueryBuilder, Sql, events, hydrate, id_list, media, page};
use crate::assemble::distinct;
use crate::extensions::{self, ChatParts, Member, Owner};
use crate::rows::{ChatMessageRow, ChatRow};

/// The columns `ChatRow` reads, from `chats c` joined with the reader's `chat_members m`.
macro_rules! chat_columns {
    () => {
        "c.id, c.created_by, c.is_group, c.created_at, c.last_activity_id, c.updated_at, c.last_message_id, \
         m.last_read_id"
    };
}

/// The columns `ChatMessageRow` reads, from `chat_messages x`.
macro_rules! message_columns {
    () => {
        "x.id, x.chat_id, x.account_id, x.text, x.content, x.created_at"
    };
}

/// The chat's row as `viewer` sees it; `NotFound` unless they take part in it.
fn row(c: &Connection, id: Id, viewer: Id) -> StoreResult<ChatRow> {
    c.one(
        concat!(
            "SELECT ",
            chat_columns!(),
            " FROM chats c JOIN chat_members m ON m.chat_id = c.id AND m.account_id = ? WHERE c.id = ?"
        ),
        params![viewer.0, id.0],
    )
}

fn members(c: &Connection, chats: &[i64]) -> StoreResult<HashMap<i64, Vec<Member>>> {
    let rows: Vec<(i64, i64, Option<i64>)> = c.all(
        "SELECT chat_id, account_id, last_read_id FROM chat_members WHERE chat_id IN (SELECT value FROM json_each(?)) \
         ORDER BY chat_id, joined_at, account_id",
        params![id_list(chats.iter().copied())],
    )?;
    let mut out: HashMap<i64, Vec<Member>> = HashMap::new();
    for (chat, account, last_read_id) in rows {
        out.entry(chat).or_default().push(Member { account, last_read_id });
    }
    Ok(out)
}

fn messages_by_ids(c: &Connection, ids: &[i64]) -> StoreResult<Vec<ChatMessageRow>> {
    c.all(
        concat!("SELECT ", message_columns!(), " FROM chat_messages x WHERE x.id IN (SELECT value FROM json_each(?))"),
        params![id_list(ids.iter().copied())],
    )
}

/// The chats of `rows` as `viewer` sees them, in order: five queries whatever their number.
fn hydrate_chats(c: &Connection, viewer: Id, rows: Vec<ChatRow>) -> StoreResult<Vec<Chat>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let chat_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let members = members(c, &chat_ids)?;
    let last: Vec<ChatMessageRow> =
        messages_by_ids(c, &rows.iter().filter_map(|r| r.last_message_id).collect::<Vec<_>>())?;
    let accounts = hydrate::accounts_by_ids(
        c,
        &distinct(members.values().flatten().map(|m| m.account).chain(last.iter().map(|m| m.account_id))),
    )?;
    let unread: Vec<(i64, i64)> = c.all(
        "SELECT x.chat_id, COUNT(*) FROM chat_messages x \
         JOIN chat_members m ON m.chat_id = x.chat_id AND m.account_id = ? \
         WHERE x.chat_id IN (SELECT value FROM json_each(?)) AND x.account_id <> ? \
         AND x.id > COALESCE(m.last_read_id, 0) GROUP BY x.chat_id",
        params![viewer.0, id_list(chat_ids.iter().copied()), viewer.0],
    )?;
    let mut media = media::of(c, Owner::ChatMessage, &last.iter().map(|m| m.id).collect::<Vec<_>>())?;
    let last_messages =
        last.into_iter().filter_map(|m| extensions::message(m, &accounts, &mut media)).map(|m| (m.id.0, m)).collect();
    let parts = ChatParts { members, accounts, last_messages, unread: unread.into_iter().collect() };
    Ok(rows.into_iter().map(|r| extensions::chat(r, viewer.0, &parts)).collect())
}

fn one(c: &Connection, id: Id, viewer: Id) -> StoreResult<Chat> {
    let row = row(c, id, viewer)?;
    hydrate_chats(c, viewer, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// Every participant of the chat, for the events that name them.
fn participant_ids(c: &Connection, chat: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> =
        c.all("SELECT account_id FROM chat_members WHERE chat_id = ? ORDER BY joined_at, account_id", params![chat.0])?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) fn create(c: &Connection, chat: NewChat) -> StoreResult<CreatedChat> {
    let group = chat.others.len() > 1;
    let pair_key = match chat.others.as_slice() {
        [other] => Some(extensions::pair_key(chat.creator.0, other.0)),
        _ => None,
    };
    if let Some(key) = &pair_key {
        let existing: Option<i64> = c.optional("SELECT id FROM chats WHERE pair_key = ?", params![key])?;
        if let Some(id) = existing {
            return Ok(CreatedChat { made: false, chat: one(c, Id(id), chat.creator)? });
        }
    }
    let at = chat.created_at.0;
    c.run(
        "INSERT INTO chats (id, created_by, is_group, pair_key, created_at, last_activity_id, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![chat.id.0, chat.creator.0, group, pair_key, at, chat.id.0, at],
    )?;
    let mut participants = vec![chat.creator];
    participants.extend(chat.others.iter().copied());
    for account in &participants {
        // A participant that does not exist fails the foreign key: `NotFound`.
        c.run(
            "INSERT INTO chat_members (chat_id, account_id, joined_at) VALUES (?, ?, ?)",
            params![chat.id.0, account.0, at],
        )?;
    }
    events::append(c, event::chat_created(chat.id, chat.creator, &participants, group, chat.created_at))?;
    Ok(CreatedChat { made: true, chat: one(c, chat.id, chat.creator)? })
}

pub(crate) fn chat(c: &Connection, id: Id, viewer: Id) -> StoreResult<Chat> {
    one(c, id, viewer)
}

pub(crate) fn list(c: &Connection, viewer: Id, request: PageRequest) -> StoreResult<Page<Chat>> {
    let mut qb = QueryBuilder::new(concat!(
        "SELECT ",
        chat_columns!(),
        " FROM chats c JOIN chat_members m ON m.chat_id = c.id WHERE m.account_id = "
    ));
    qb.push_bind(viewer.0);
    page::push_bounds(&mut qb, "c.last_activity_id", &request);
    let rows: Vec<ChatRow> = qb.all(c)?;
    let cursors: Vec<Id> = rows.iter().map(|r| Id(r.last_activity_id)).collect();
    let chats = hydrate_chats(c, viewer, rows)?;
    Ok(Page::from_fetched(&request, cursors.into_iter().zip(chats).collect()))
}

pub(crate) fn messages(c: &Connection, chat: Id, viewer: Id, request: PageRequest) -> StoreResult<Page<ChatMessage>> {
    row(c, chat, viewer)?;
    let mut qb = QueryBuilder::new(concat!("SELECT ", message_columns!(), " FROM chat_messages x WHERE x.chat_id = "));
    qb.push_bind(chat.0);
    page::push_bounds(&mut qb, "x.id", &request);
    let rows: Vec<ChatMessageRow> = qb.all(c)?;
    let accounts = hydrate::accounts_by_ids(c, &distinct(rows.iter().map(|r| r.account_id)))?;
    let mut media = media::of(c, Owner::ChatMessage, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    let fetched =
        rows.into_iter().filter_map(|r| extensions::message(r, &accounts, &mut media)).map(|m| (m.id, m)).collect();
    Ok(Page::from_fetched(&request, fetched))
}

pub(crate) fn message(c: &Connection, id: Id) -> StoreResult<ChatMessage> {
    let rows = messages_by_ids(c, &[id.0])?;
    let accounts = hydrate::accounts_by_ids(c, &distinct(rows.iter().map(|r| r.account_id)))?;
    let mut media = media::of(c, Owner::ChatMessage, &[id.0])?;
    rows.into_iter().find_map(|r| extensions::message(r, &accounts, &mut media)).ok_or(StoreError::NotFound)
}

pub(crate) fn send(c: &Connection, m: NewChatMessage) -> StoreResult<ChatMessage> {
    row(c, m.chat_id, m.sender)?;
    if let Some(key) = &m.idempotency_key {
        let first: Option<i64> = c.optional(
            "SELECT id FROM chat_messages WHERE chat_id = ? AND account_id = ? AND idempotency_key = ?",
            params![m.chat_id.0, m.sender.0, key],
        )?;
        if let Some(id) = first {
            return message(c, Id(id));
        }
    }
    c.run(
        "INSERT INTO chat_messages (id, chat_id, account_id, text, content, idempotency_key, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![m.id.0, m.chat_id.0, m.sender.0, m.text, m.content, m.idempotency_key, m.created_at.0],
    )?;
    media::attach(c, Owner::ChatMessage, m.id, m.sender, &m.media_ids)?;
    c.run(
        "UPDATE chats SET last_message_id = MAX(COALESCE(last_message_id, 0), ?1), \
         last_activity_id = MAX(last_activity_id, ?1), updated_at = MAX(updated_at, ?2) WHERE id = ?3",
        params![m.id.0, m.created_at.0, m.chat_id.0],
    )?;
    c.run(
        "UPDATE chat_members SET last_read_id = MAX(COALESCE(last_read_id, 0), ?) WHERE chat_id = ? AND account_id = ?",
        params![m.id.0, m.chat_id.0, m.sender.0],
    )?;
    let participants = participant_ids(c, m.chat_id)?;
    let id = m.id;
    events::append(c, event::chat_message(&m, &participants))?;
    message(c, id)
}

pub(crate) fn mark_read(c: &Connection, chat: Id, viewer: Id, last_read_id: Id, at: Timestamp) -> StoreResult<Chat> {
    let current = row(c, chat, viewer)?;
    // Never past the newest message, so that a later message cannot arrive already read.
    let newest: Option<i64> = c.one("SELECT MAX(id) FROM chat_messages WHERE chat_id = ?", params![chat.0])?;
    let target = last_read_id.0.min(newest.unwrap_or(0));
    if target > current.last_read_id.unwrap_or(0) {
        c.run(
            "UPDATE chat_members SET last_read_id = ? WHERE chat_id = ? AND account_id = ?",
            params![target, chat.0, viewer.0],
        )?;
        let participants = participant_ids(c, chat)?;
        events::append(c, event::chat_read(chat, viewer, Id(target), &participants, at))?;
    }
    one(c, chat, viewer)
}

pub(crate) fn leave(c: &Connection, chat: Id, viewer: Id, at: Timestamp) -> StoreResult<()> {
    row(c, chat, viewer)?;
    c.run("DELETE FROM chat_members WHERE chat_id = ? AND account_id = ?", params![chat.0, viewer.0])?;
    let remaining = participant_ids(c, chat)?;
    events::append(c, event::chat_left(chat, viewer, &remaining, at))?;
    Ok(())
}

pub(crate) fn partners(c: &Connection, account: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> = c.all(
        "SELECT DISTINCT o.account_id FROM chat_members m JOIN chat_members o ON o.chat_id = m.chat_id \
         WHERE m.account_id = ? AND o.account_id <> ?",
        params![account.0, account.0],
    )?;
    Ok(ids.into_iter().map(Id).collect())
}
