//! Rows as the databases return them, and their conversion into the domain's types, shared by
//! both backends: [`row!`] declares each row type once and makes it decodable by both drivers
//! (sqlx's `FromRow` for PostgreSQL, `FromSqlite` for SQLite), by column name. The column lists
//! live next to the structs that read them so that the two cannot drift apart.

use starling_core::Id;
use starling_core::model::*;
use starling_core::notify::{Notification, NotificationKind};
use starling_core::store::{IdempotencyState, Lease, Marker, StoredAnswer};
use starling_core::{StoreError, StoreResult};

/// Declares a row type that both backends decode. sqlx (PostgreSQL) reads each field from the
/// column of its name; SQLite reads the columns by position, in field order, after checking once
/// per statement that they carry the fields' names (looking each value up by name costs a
/// string comparison per column per row, which on a page of statuses was a tenth of the read).
macro_rules! row {
    ($(#[$meta:meta])* pub(crate) struct $name:ident { $(pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(sqlx::FromRow)]
        pub(crate) struct $name {
            $(pub $field: $ty,)*
        }

        impl $name {
            /// The columns the SQLite decoder reads, in order.
            pub(crate) const COLUMNS: &[&str] = &[$(stringify!($field)),*];
        }

        impl crate::sqlite::FromSqlite for $name {
            fn check(statement: &rusqlite::Statement<'_>) -> rusqlite::Result<()> {
                crate::sqlite::check_columns(statement, 0, Self::COLUMNS)
            }

            fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut column = 0_usize..;
                Ok($name { $($field: row.get(column.next().unwrap_or_default())?,)* })
            }
        }
    };
}
pub(crate) use row;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: unknown {what} {value:?}"))
}

pub(crate) fn visibility(s: &str) -> StoreResult<Visibility> {
    s.parse().map_err(|()| corrupt("visibility", s))
}

fn notification_kind(s: &str) -> StoreResult<NotificationKind> {
    s.parse().map_err(|()| corrupt("notification kind", s))
}

/// The columns `AccountRow` reads, from `accounts a`. A macro so that `concat!` can build
/// `&'static str` queries from it.
macro_rules! account_columns {
    () => {
        "a.id, a.username, a.display_name, a.note, a.note_source, a.locked, a.bot, a.role, a.created_at, \
         a.followers_count, a.following_count, a.statuses_count, a.last_status_at, a.suspended_at, \
         a.silenced_at, a.disabled_at"
    };
}
pub(crate) use account_columns;

row! {
    pub(crate) struct AccountRow {
        pub id: i64,
        pub username: String,
        pub display_name: String,
        pub note: String,
        pub note_source: String,
        pub locked: bool,
        pub bot: bool,
        pub role: String,
        pub created_at: i64,
        pub followers_count: i64,
        pub following_count: i64,
        pub statuses_count: i64,
        pub last_status_at: Option<i64>,
        pub suspended_at: Option<i64>,
        pub silenced_at: Option<i64>,
        pub disabled_at: Option<i64>,
    }
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> StoreResult<Account> {
        Ok(Account {
            id: Id(r.id),
            role: r.role.parse().map_err(|()| corrupt("role", &r.role))?,
            username: r.username,
            display_name: r.display_name,
            note: r.note,
            note_source: r.note_source,
            locked: r.locked,
            bot: r.bot,
            created_at: Timestamp(r.created_at),
            followers_count: r.followers_count,
            following_count: r.following_count,
            statuses_count: r.statuses_count,
            last_status_at: r.last_status_at.map(Timestamp),
            suspended: r.suspended_at.is_some(),
            silenced: r.silenced_at.is_some(),
            disabled: r.disabled_at.is_some(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    #[sqlx(flatten)]
    pub account: AccountRow,
    pub email: String,
    pub password_hash: String,
}

/// The account's columns, then these.
const CREDENTIALS_COLUMNS: &[&str] = &["email", "password_hash"];

impl crate::sqlite::FromSqlite for CredentialsRow {
    fn check(statement: &rusqlite::Statement<'_>) -> rusqlite::Result<()> {
        AccountRow::check(statement)?;
        crate::sqlite::check_columns(statement, AccountRow::COLUMNS.len(), CREDENTIALS_COLUMNS)
    }

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let after = AccountRow::COLUMNS.len();
        Ok(CredentialsRow {
            account: AccountRow::from_row(row)?,
            email: row.get(after)?,
            password_hash: row.get(after + 1)?,
        })
    }
}

row! {
    pub(crate) struct AppRow {
        pub id: i64,
        pub name: String,
        pub website: Option<String>,
        pub redirect_uris: String,
        pub scopes: String,
        pub client_id: String,
        pub client_secret: String,
        pub created_at: i64,
    }
}

impl TryFrom<AppRow> for App {
    type Error = StoreError;
    fn try_from(r: AppRow) -> StoreResult<App> {
        Ok(App {
            id: Id(r.id),
            redirect_uris: serde_json::from_str(&r.redirect_uris)
                .map_err(|_| corrupt("redirect_uris", &r.redirect_uris))?,
            name: r.name,
            website: r.website,
            scopes: r.scopes,
            client_id: r.client_id,
            client_secret: r.client_secret,
            created_at: Timestamp(r.created_at),
        })
    }
}

row! {
    pub(crate) struct TokenRow {
        pub id: i64,
        pub app_id: i64,
        pub account_id: Option<i64>,
        pub scopes: String,
        pub created_at: i64,
        pub expires_at: Option<i64>,
        pub revoked: bool,
    }
}

impl From<TokenRow> for TokenRecord {
    fn from(r: TokenRow) -> TokenRecord {
        TokenRecord {
            id: Id(r.id),
            app_id: Id(r.app_id),
            account_id: r.account_id.map(Id),
            scopes: r.scopes,
            created_at: Timestamp(r.created_at),
            expires_at: r.expires_at.map(Timestamp),
            revoked: r.revoked,
        }
    }
}

row! {
    pub(crate) struct AuthCodeRow {
        pub code_hash: String,
        pub app_id: i64,
        pub account_id: i64,
        pub redirect_uri: String,
        pub scopes: String,
        pub code_challenge: Option<String>,
        pub code_challenge_method: Option<String>,
        pub expires_at: i64,
    }
}

impl From<AuthCodeRow> for AuthCode {
    fn from(r: AuthCodeRow) -> AuthCode {
        AuthCode {
            code_hash: r.code_hash,
            app_id: Id(r.app_id),
            account_id: Id(r.account_id),
            redirect_uri: r.redirect_uri,
            scopes: r.scopes,
            code_challenge: r.code_challenge,
            code_challenge_method: r.code_challenge_method,
            expires_at: Timestamp(r.expires_at),
        }
    }
}

/// The columns `StatusRow` reads, from `statuses s LEFT JOIN apps p ON p.id = s.app_id`.
macro_rules! status_columns {
    () => {
        "s.id, s.account_id, s.reblog_of_id, s.in_reply_to_id, s.in_reply_to_account_id, s.text, s.content, \
         s.spoiler_text, s.sensitive, s.visibility, s.language, s.created_at, s.edited_at, s.replies_count, \
         s.reblogs_count, s.favourites_count, s.has_media, s.quote_of_id, p.name AS app_name, p.website AS app_website"
    };
}
pub(crate) use status_columns;

row! {
    /// A status row with its application joined in (`LEFT JOIN apps p ON p.id = s.app_id`).
    pub(crate) struct StatusRow {
        pub id: i64,
        pub account_id: i64,
        pub reblog_of_id: Option<i64>,
        pub in_reply_to_id: Option<i64>,
        pub in_reply_to_account_id: Option<i64>,
        pub text: String,
        pub content: String,
        pub spoiler_text: String,
        pub sensitive: bool,
        pub visibility: String,
        pub language: Option<String>,
        pub created_at: i64,
        pub edited_at: Option<i64>,
        pub replies_count: i64,
        pub reblogs_count: i64,
        pub favourites_count: i64,
        pub has_media: bool,
        pub quote_of_id: Option<i64>,
        pub app_name: Option<String>,
        pub app_website: Option<String>,
    }
}

impl StatusRow {
    /// The status without its reblogged original, mentions and tags (hydration adds those).
    pub(crate) fn into_status(self, account: Account) -> StoreResult<Status> {
        Ok(Status {
            id: Id(self.id),
            account,
            in_reply_to_id: self.in_reply_to_id.map(Id),
            in_reply_to_account_id: self.in_reply_to_account_id.map(Id),
            reblog: None,
            quote_of_id: self.quote_of_id.map(Id),
            quote: None,
            content: self.content,
            text: self.text,
            spoiler_text: self.spoiler_text,
            sensitive: self.sensitive,
            visibility: visibility(&self.visibility)?,
            language: self.language,
            created_at: Timestamp(self.created_at),
            edited_at: self.edited_at.map(Timestamp),
            replies_count: self.replies_count,
            reblogs_count: self.reblogs_count,
            favourites_count: self.favourites_count,
            mentions: Vec::new(),
            tags: Vec::new(),
            application: self.app_name.map(|name| AppRef { name, website: self.app_website }),
            media: Vec::new(),
        })
    }
}

row! {
    pub(crate) struct VersionRow {
        pub status_id: i64,
        pub version: i32,
        pub text: String,
        pub content: String,
        pub spoiler_text: String,
        pub sensitive: bool,
        pub language: Option<String>,
        pub created_at: i64,
    }
}

impl From<VersionRow> for StatusVersion {
    fn from(r: VersionRow) -> StatusVersion {
        StatusVersion {
            status_id: Id(r.status_id),
            version: r.version,
            content: r.content,
            text: r.text,
            spoiler_text: r.spoiler_text,
            sensitive: r.sensitive,
            language: r.language,
            created_at: Timestamp(r.created_at),
        }
    }
}

/// The columns `NotificationRow` reads, from `notifications n`.
macro_rules! notification_columns {
    () => {
        "n.id, n.recipient_id, n.kind, n.from_account_id, n.status_id, n.event_seq, n.created_at"
    };
}
pub(crate) use notification_columns;

row! {
    pub(crate) struct NotificationRow {
        pub id: i64,
        pub recipient_id: i64,
        pub kind: String,
        pub from_account_id: i64,
        pub status_id: Option<i64>,
        pub event_seq: i64,
        pub created_at: i64,
    }
}

impl NotificationRow {
    /// The notification with what hydration found for it.
    pub(crate) fn into_notification(self, from_account: Account, status: Option<Status>) -> StoreResult<Notification> {
        Ok(Notification {
            id: Id(self.id),
            recipient: Id(self.recipient_id),
            kind: notification_kind(&self.kind)?,
            from_account,
            status,
            event_seq: self.event_seq,
            created_at: Timestamp(self.created_at),
        })
    }
}

row! {
    pub(crate) struct MarkerRow {
        pub timeline: String,
        pub last_read_id: i64,
        pub version: i64,
        pub updated_at: i64,
    }
}

impl From<MarkerRow> for Marker {
    fn from(r: MarkerRow) -> Marker {
        Marker {
            timeline: r.timeline,
            last_read_id: Id(r.last_read_id),
            version: r.version,
            updated_at: Timestamp(r.updated_at),
        }
    }
}

row! {
    pub(crate) struct LeaseRow {
        pub name: String,
        pub holder: String,
        pub expires_at: i64,
    }
}

impl From<LeaseRow> for Lease {
    fn from(r: LeaseRow) -> Lease {
        Lease { name: r.name, holder: r.holder, expires_at: Timestamp(r.expires_at) }
    }
}

row! {
    /// A report, its accounts still to hydrate.
    pub(crate) struct ReportRow {
        pub id: i64,
        pub account_id: i64,
        pub target_account_id: i64,
        pub status_ids: String,
        pub comment: String,
        pub category: String,
        pub created_at: i64,
        pub resolved_at: Option<i64>,
    }
}

impl ReportRow {
    pub(crate) const SELECT: &str =
        "SELECT id, account_id, target_account_id, status_ids, comment, category, created_at, resolved_at FROM reports";

    /// The report, with its two accounts from `accounts`.
    pub(crate) fn into_report(
        self,
        accounts: &std::collections::HashMap<i64, Account>,
    ) -> StoreResult<starling_core::report::Report> {
        let account = |id: i64| accounts.get(&id).cloned().ok_or_else(|| corrupt("report account", &id.to_string()));
        let status_ids: Vec<String> =
            serde_json::from_str(&self.status_ids).map_err(|_| corrupt("report status ids", &self.status_ids))?;
        Ok(starling_core::report::Report {
            id: Id(self.id),
            account: account(self.account_id)?,
            target: account(self.target_account_id)?,
            status_ids: status_ids.iter().filter_map(|s| s.parse().ok()).collect(),
            comment: self.comment,
            category: starling_core::report::Category::parse(&self.category)
                .ok_or_else(|| corrupt("report category", &self.category))?,
            created_at: Timestamp(self.created_at),
            resolved_at: self.resolved_at.map(Timestamp),
        })
    }
}

/// The JSON a report's status ids are kept as.
pub(crate) fn status_ids_json(ids: &[Id]) -> String {
    serde_json::Value::from(ids.iter().map(Id::to_string).collect::<Vec<_>>()).to_string()
}

row! {
    /// A claimed `Idempotency-Key`, with its answer once the request has one.
    pub(crate) struct IdempotentRow {
        pub fingerprint: String,
        pub status: Option<i32>,
        pub content_type: Option<String>,
        pub body: Option<Vec<u8>>,
    }
}

impl IdempotentRow {
    /// Where a key someone else claimed stands, for a request with `fingerprint`.
    pub(crate) fn state(self, fingerprint: &str) -> IdempotencyState {
        if self.fingerprint != fingerprint {
            return IdempotencyState::Mismatch;
        }
        match (self.status, self.content_type, self.body) {
            (Some(status), Some(content_type), Some(body)) => IdempotencyState::Answered(StoredAnswer {
                status: u16::try_from(status).unwrap_or(500),
                content_type,
                body,
            }),
            _ => IdempotencyState::InProgress,
        }
    }
}

row! {
    pub(crate) struct StoryRow {
        pub id: i64,
        pub account_id: i64,
        pub text: String,
        pub created_at: i64,
        pub expires_at: i64,
        pub views_count: i64,
    }
}

row! {
    /// A chat with the reading participant's own read position.
    pub(crate) struct ChatRow {
        pub id: i64,
        pub created_by: i64,
        pub is_group: bool,
        pub created_at: i64,
        pub last_activity_id: i64,
        pub updated_at: i64,
        pub last_message_id: Option<i64>,
        pub last_read_id: Option<i64>,
    }
}

row! {
    pub(crate) struct ChatMessageRow {
        pub id: i64,
        pub chat_id: i64,
        pub account_id: i64,
        pub text: String,
        pub content: String,
        pub created_at: i64,
    }
}

/// The columns `MediaRow` reads, from `media_attachments m`.
macro_rules! media_columns {
    () => {
        "m.id, m.account_id, m.status_id, m.story_id, m.chat_message_id, m.content_type, m.file_key, \
         m.preview_content_type, m.preview_key, m.description, m.focus_x, m.focus_y, m.width, m.height, \
         m.preview_width, m.preview_height, m.bytes, m.blurhash, m.created_at"
    };
}
pub(crate) use media_columns;

row! {
    pub(crate) struct MediaRow {
        pub id: i64,
        pub account_id: i64,
        pub status_id: Option<i64>,
        pub story_id: Option<i64>,
        pub chat_message_id: Option<i64>,
        pub content_type: String,
        pub file_key: String,
        pub preview_content_type: String,
        pub preview_key: String,
        pub description: String,
        pub focus_x: f64,
        pub focus_y: f64,
        pub width: i64,
        pub height: i64,
        pub preview_width: i64,
        pub preview_height: i64,
        pub bytes: i64,
        pub blurhash: String,
        pub created_at: i64,
    }
}

impl MediaRow {
    /// The owner this row is attached to, by id, for the given kind of owner.
    pub(crate) fn owner(&self, kind: crate::extensions::Owner) -> Option<i64> {
        match kind {
            crate::extensions::Owner::Status => self.status_id,
            crate::extensions::Owner::Story => self.story_id,
            crate::extensions::Owner::ChatMessage => self.chat_message_id,
        }
    }
}

impl From<MediaRow> for starling_core::media::Media {
    fn from(r: MediaRow) -> Self {
        use starling_core::media::{Focus, Media, MediaMeta};
        Media {
            id: Id(r.id),
            account_id: Id(r.account_id),
            attached: r.status_id.is_some() || r.story_id.is_some() || r.chat_message_id.is_some(),
            content_type: r.content_type,
            file_key: r.file_key,
            preview_content_type: r.preview_content_type,
            preview_key: r.preview_key,
            description: r.description,
            focus: Focus { x: r.focus_x, y: r.focus_y },
            meta: MediaMeta {
                width: r.width,
                height: r.height,
                preview_width: r.preview_width,
                preview_height: r.preview_height,
                bytes: r.bytes,
            },
            blurhash: r.blurhash,
            created_at: Timestamp(r.created_at),
        }
    }
}
