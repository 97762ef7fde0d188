//! Chats: participants, messages and read positions. Every method that names a chat checks
//! first that the caller is one of its participants, and answers `NotFound` otherwise.

use std::collections::HashMap;

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::chat::{Chat, ChatMessage, CreatedChat, NewChat, NewChatMessage};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events, hydrate, media, page};
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

/// The chat's row as `viewer` sees it; `NotFound` unless they take part in it. `lock` takes
/// the viewer's membership row for the rest of a write transaction.
async fn row(c: &mut PgConnection, id: Id, viewer: Id, lock: bool) -> StoreResult<ChatRow> {
    const SQL: &str = concat!(
        "SELECT ",
        chat_columns!(),
        " FROM chats c JOIN chat_members m ON m.chat_id = c.id AND m.account_id = $1 WHERE c.id = $2"
    );
    const LOCKING: &str = concat!(
        "SELECT ",
        chat_columns!(),
        " FROM chats c JOIN chat_members m ON m.chat_id = c.id AND m.account_id = $1 WHERE c.id = $2 FOR UPDATE OF m"
    );
    sqlx::query_as(if lock { LOCKING } else { SQL })
        .bind(viewer.0)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .ok_or(StoreError::NotFound)
}

async fn members(c: &mut PgConnection, chats: &[i64]) -> StoreResult<HashMap<i64, Vec<Member>>> {
    let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT chat_id, account_id, last_read_id FROM chat_members WHERE chat_id = ANY($1) ORDER BY chat_id, joined_at, account_id",
    )
    .bind(chats)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out: HashMap<i64, Vec<Member>> = HashMap::new();
    for (chat, account, last_read_id) in rows {
        out.entry(chat).or_default().push(Member { account, last_read_id });
    }
    Ok(out)
}

async fn messages_by_ids(c: &mut PgConnection, ids: &[i64]) -> StoreResult<Vec<ChatMessageRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(concat!("SELECT ", message_columns!(), " FROM chat_messages x WHERE x.id = ANY($1)"))
        .bind(ids)
        .fetch_all(&mut *c)
        .await
        .db()
}

/// The chats of `rows` as `viewer` sees them, in order: five queries whatever their number.
async fn hydrate_chats(c: &mut PgConnection, viewer: Id, rows: Vec<ChatRow>) -> StoreResult<Vec<Chat>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let chat_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let members = members(c, &chat_ids).await?;
    let last_ids: Vec<i64> = rows.iter().filter_map(|r| r.last_message_id).collect();
    let last = messages_by_ids(c, &last_ids).await?;
    let account_ids = distinct(members.values().flatten().map(|m| m.account).chain(last.iter().map(|m| m.account_id)));
    let accounts = hydrate::accounts_by_ids(c, &account_ids).await?;
    let unread: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT x.chat_id, COUNT(*) FROM chat_messages x \
         JOIN chat_members m ON m.chat_id = x.chat_id AND m.account_id = $1 \
         WHERE x.chat_id = ANY($2) AND x.account_id <> $1 AND x.id > COALESCE(m.last_read_id, 0) \
         GROUP BY x.chat_id",
    )
    .bind(viewer.0)
    .bind(&chat_ids)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut media = media::of(c, Owner::ChatMessage, &last.iter().map(|m| m.id).collect::<Vec<_>>()).await?;
    let last_messages =
        last.into_iter().filter_map(|m| extensions::message(m, &accounts, &mut media)).map(|m| (m.id.0, m)).collect();
    let parts = ChatParts { members, accounts, last_messages, unread: unread.into_iter().collect() };
    Ok(rows.into_iter().map(|r| extensions::chat(r, viewer.0, &parts)).collect())
}

async fn one(c: &mut PgConnection, id: Id, viewer: Id) -> StoreResult<Chat> {
    let row = row(c, id, viewer, false).await?;
    hydrate_chats(c, viewer, vec![row]).await?.pop().ok_or(StoreError::NotFound)
}

/// Every participant of the chat, for the events that name them.
async fn participant_ids(c: &mut PgConnection, chat: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT account_id FROM chat_members WHERE chat_id = $1 ORDER BY joined_at, account_id")
            .bind(chat.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) async fn create(c: &mut PgConnection, chat: NewChat) -> StoreResult<CreatedChat> {
    let group = chat.others.len() > 1;
    let pair_key = match chat.others.as_slice() {
        [other] => Some(extensions::pair_key(chat.creator.0, other.0)),
        _ => None,
    };
    let at = chat.created_at.0;
    // Two people asking for their chat at once: the second insert waits for the first and
    // then finds its row.
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO chats (id, created_by, is_group, pair_key, created_at, last_activity_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $1, $5) ON CONFLICT (pair_key) DO NOTHING RETURNING id",
    )
    .bind(chat.id.0)
    .bind(chat.creator.0)
    .bind(group)
    .bind(&pair_key)
    .bind(at)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    if inserted.is_none() {
        let existing: i64 = sqlx::query_scalar("SELECT id FROM chats WHERE pair_key = $1")
            .bind(&pair_key)
            .fetch_one(&mut *c)
            .await
            .db()?;
        return Ok(CreatedChat { made: false, chat: one(c, Id(existing), chat.creator).await? });
    }
    let mut participants = vec![chat.creator];
    participants.extend(chat.others.iter().copied());
    let ids: Vec<i64> = participants.iter().map(|id| id.0).collect();
    // A participant that does not exist fails the foreign key: `NotFound`.
    sqlx::query("INSERT INTO chat_members (chat_id, account_id, joined_at) SELECT $1, unnest($2::bigint[]), $3")
        .bind(chat.id.0)
        .bind(&ids)
        .bind(at)
        .execute(&mut *c)
        .await
        .db()?;
    events::append(c, event::chat_created(chat.id, chat.creator, &participants, group, chat.created_at)).await?;
    Ok(CreatedChat { made: true, chat: one(c, chat.id, chat.creator).await? })
}

pub(crate) async fn chat(c: &mut PgConnection, id: Id, viewer: Id) -> StoreResult<Chat> {
    one(c, id, viewer).await
}

pub(crate) async fn list(c: &mut PgConnection, viewer: Id, request: PageRequest) -> StoreResult<Page<Chat>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
        "SELECT ",
        chat_columns!(),
        " FROM chats c JOIN chat_members m ON m.chat_id = c.id WHERE m.account_id = "
    ));
    qb.push_bind(viewer.0);
    page::push_bounds(&mut qb, "c.last_activity_id", &request);
    let rows: Vec<ChatRow> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    let cursors: Vec<Id> = rows.iter().map(|r| Id(r.last_activity_id)).collect();
    let chats = hydrate_chats(c, viewer, rows).await?;
    Ok(Page::from_fetched(&request, cursors.into_iter().zip(chats).collect()))
}

pub(crate) async fn messages(
    c: &mut PgConnection,
    chat: Id,
    viewer: Id,
    request: PageRequest,
) -> StoreResult<Page<ChatMessage>> {
    row(c, chat, viewer, false).await?;
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new(concat!("SELECT ", message_columns!(), " FROM chat_messages x WHERE x.chat_id = "));
    qb.push_bind(chat.0);
    page::push_bounds(&mut qb, "x.id", &request);
    let rows: Vec<ChatMessageRow> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    let accounts = hydrate::accounts_by_ids(c, &distinct(rows.iter().map(|r| r.account_id))).await?;
    let mut media = media::of(c, Owner::ChatMessage, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let fetched =
        rows.into_iter().filter_map(|r| extensions::message(r, &accounts, &mut media)).map(|m| (m.id, m)).collect();
    Ok(Page::from_fetched(&request, fetched))
}

pub(crate) async fn message(c: &mut PgConnection, id: Id) -> StoreResult<ChatMessage> {
    let rows = messages_by_ids(c, &[id.0]).await?;
    let accounts = hydrate::accounts_by_ids(c, &distinct(rows.iter().map(|r| r.account_id))).await?;
    let mut media = media::of(c, Owner::ChatMessage, &[id.0]).await?;
    rows.into_iter().find_map(|r| extensions::message(r, &accounts, &mut media)).ok_or(StoreError::NotFound)
}

pub(crate) async fn send(c: &mut PgConnection, m: NewChatMessage) -> StoreResult<ChatMessage> {
    // The sender's membership row stays locked until commit: a retry with the same key waits
    // here and then finds the first message.
    row(c, m.chat_id, m.sender, true).await?;
    if let Some(key) = &m.idempotency_key {
        let first: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM chat_messages WHERE chat_id = $1 AND account_id = $2 AND idempotency_key = $3",
        )
        .bind(m.chat_id.0)
        .bind(m.sender.0)
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .db()?;
        if let Some(id) = first {
            return message(c, Id(id)).await;
        }
    }
    sqlx::query(
        "INSERT INTO chat_messages (id, chat_id, account_id, text, content, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.id.0)
    .bind(m.chat_id.0)
    .bind(m.sender.0)
    .bind(&m.text)
    .bind(&m.content)
    .bind(&m.idempotency_key)
    .bind(m.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    media::attach(c, Owner::ChatMessage, m.id, m.sender, &m.media_ids).await?;
    sqlx::query(
        "UPDATE chats SET last_message_id = GREATEST(COALESCE(last_message_id, 0), $1), \
         last_activity_id = GREATEST(last_activity_id, $1), updated_at = GREATEST(updated_at, $2) WHERE id = $3",
    )
    .bind(m.id.0)
    .bind(m.created_at.0)
    .bind(m.chat_id.0)
    .execute(&mut *c)
    .await
    .db()?;
    sqlx::query(
        "UPDATE chat_members SET last_read_id = GREATEST(COALESCE(last_read_id, 0), $1) \
         WHERE chat_id = $2 AND account_id = $3",
    )
    .bind(m.id.0)
    .bind(m.chat_id.0)
    .bind(m.sender.0)
    .execute(&mut *c)
    .await
    .db()?;
    let participants = participant_ids(c, m.chat_id).await?;
    let id = m.id;
    events::append(c, event::chat_message(&m, &participants)).await?;
    message(c, id).await
}

pub(crate) async fn mark_read(
    c: &mut PgConnection,
    chat: Id,
    viewer: Id,
    last_read_id: Id,
    at: Timestamp,
) -> StoreResult<Chat> {
    let current = row(c, chat, viewer, true).await?;
    // Never past the newest message, so that a later message cannot arrive already read.
    let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM chat_messages WHERE chat_id = $1")
        .bind(chat.0)
        .fetch_one(&mut *c)
        .await
        .db()?;
    let target = last_read_id.0.min(newest.unwrap_or(0));
    if target > current.last_read_id.unwrap_or(0) {
        sqlx::query("UPDATE chat_members SET last_read_id = $1 WHERE chat_id = $2 AND account_id = $3")
            .bind(target)
            .bind(chat.0)
            .bind(viewer.0)
            .execute(&mut *c)
            .await
            .db()?;
        let participants = participant_ids(c, chat).await?;
        events::append(c, event::chat_read(chat, viewer, Id(target), &participants, at)).await?;
    }
    one(c, chat, viewer).await
}

pub(crate) async fn leave(c: &mut PgConnection, chat: Id, viewer: Id, at: Timestamp) -> StoreResult<()> {
    row(c, chat, viewer, true).await?;
    sqlx::query("DELETE FROM chat_members WHERE chat_id = $1 AND account_id = $2")
        .bind(chat.0)
        .bind(viewer.0)
        .execute(&mut *c)
        .await
        .db()?;
    let remaining = participant_ids(c, chat).await?;
    events::append(c, event::chat_left(chat, viewer, &remaining, at)).await?;
    Ok(())
}

pub(crate) async fn partners(c: &mut PgConnection, account: Id) -> StoreResult<Vec<Id>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT o.account_id FROM chat_members m JOIN chat_members o ON o.chat_id = m.chat_id \
         WHERE m.account_id = $1 AND o.account_id <> $1",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(ids.into_iter().map(Id).collect())
}
