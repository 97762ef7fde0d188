//! Mastodon's JSON entities, built from the domain's values. Field names and shapes follow the
//! Mastodon documentation exactly; what Starling does not have (custom emojis, polls, cards,
//! media until uploads exist) is present with its empty value so that clients that expect the
//! field keep working.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use starling_core::Id;
use starling_core::filters::{Filter, FilterKeyword, FilterMatch};
use starling_core::media::Media;
use starling_core::model::{Account, Relationship, Status, StatusVersion, Visibility};
use starling_core::notify::Notification;

/// Renders entities with links under the server's public URL.
#[derive(Clone, Copy)]
pub struct Renderer<'a> {
    pub base: &'a str,
}

#[derive(Serialize)]
pub struct AccountJson {
    pub id: Id,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub hide_collections: bool,
    pub noindex: bool,
    pub emojis: [Value; 0],
    pub roles: [Value; 0],
    pub fields: [Value; 0],
}

#[derive(Serialize)]
pub struct CredentialAccountJson {
    #[serde(flatten)]
    pub account: AccountJson,
    pub source: SourceJson,
    pub role: RoleJson,
}

#[derive(Serialize)]
pub struct SourceJson {
    pub privacy: &'static str,
    pub sensitive: bool,
    pub language: &'static str,
    pub note: String,
    pub fields: [Value; 0],
    pub follow_requests_count: i64,
}

#[derive(Serialize)]
pub struct RoleJson {
    pub id: String,
    pub name: String,
    pub permissions: String,
    pub color: &'static str,
    pub highlighted: bool,
}

#[derive(Serialize)]
pub struct MentionJson {
    pub id: Id,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Serialize)]
pub struct TagJson {
    pub name: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct ApplicationJson {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Serialize)]
pub struct StatusJson {
    pub id: Id,
    pub created_at: String,
    pub in_reply_to_id: Option<Id>,
    pub in_reply_to_account_id: Option<Id>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: &'static str,
    pub language: Option<String>,
    pub uri: String,
    pub url: String,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub edited_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    pub content: String,
    /// Only in the answer to a delete, for delete-and-redraft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub filtered: Vec<FilterResultJson>,
    pub reblog: Option<Box<StatusJson>>,
    pub application: Option<ApplicationJson>,
    pub account: AccountJson,
    pub media_attachments: Vec<MediaAttachmentJson>,
    pub mentions: Vec<MentionJson>,
    pub tags: Vec<TagJson>,
    pub emojis: [Value; 0],
    pub card: Option<Value>,
    pub poll: Option<Value>,
    /// Mastodon 4.5's quote: what this status quotes, as the reader may see it.
    pub quote: Option<QuoteJson>,
    pub quote_approval: QuoteApprovalJson,
}

/// `Quote` (one level: the quoted status with its own quote shallow) or `ShallowQuote`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum QuoteJson {
    Full { state: &'static str, quoted_status: Option<Box<StatusJson>> },
    Shallow { state: &'static str, quoted_status_id: Option<Id> },
}

/// Who may quote a status: anyone for public and unlisted ones, only the author for
/// followers-only ones, nobody for private mentions.
#[derive(Serialize)]
pub struct QuoteApprovalJson {
    pub automatic: Vec<&'static str>,
    pub manual: [&'static str; 0],
    pub current_user: &'static str,
}

#[derive(Serialize)]
pub struct MediaSizeJson {
    pub width: i64,
    pub height: i64,
    pub size: String,
    pub aspect: f64,
}

#[derive(Serialize)]
pub struct FocusJson {
    pub x: f64,
    pub y: f64,
}

#[derive(Serialize)]
pub struct MediaMetaJson {
    pub original: MediaSizeJson,
    pub small: MediaSizeJson,
    pub focus: FocusJson,
}

/// Mastodon's `MediaAttachment`. Only images are accepted, so `type` is always `image`.
#[derive(Serialize)]
pub struct MediaAttachmentJson {
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub preview_url: String,
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    pub meta: MediaMetaJson,
    pub description: Option<String>,
    pub blurhash: String,
}

#[derive(Serialize)]
pub struct StatusEditJson {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: AccountJson,
    pub poll: Option<Value>,
    pub media_attachments: [Value; 0],
    pub emojis: [Value; 0],
}

#[derive(Serialize)]
pub struct RelationshipJson {
    pub id: Id,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

#[derive(Serialize)]
pub struct NotificationJson {
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub group_key: String,
    pub created_at: String,
    pub account: AccountJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusJson>,
}

/// What the viewer has done to the statuses being rendered; `None` for anonymous readers,
/// whose answers omit the per-viewer fields as Mastodon's do.
#[derive(Default)]
pub struct ViewerState {
    pub favourited: HashSet<Id>,
    pub reblogged: HashSet<Id>,
    pub bookmarked: HashSet<Id>,
    pub pinned: HashSet<Id>,
    /// Who reads, when known (it decides whether they may quote a followers-only status).
    pub account: Option<Id>,
    /// Quoted followers-only or direct statuses the viewer may see (public and unlisted ones
    /// every reader may): the rest show as `unauthorized`.
    pub visible_quotes: HashSet<Id>,
    /// The viewer's `warn` filters that matched each status, by status id (`filtered`).
    pub filtered: HashMap<Id, Vec<FilterMatch>>,
}

impl ViewerState {
    /// What `account` sees of some statuses: its flags on them (one store query) and the quoted
    /// statuses it may see.
    pub fn of(account: Id, flags: starling_core::store::ViewerFlags, visible_quotes: HashSet<Id>) -> ViewerState {
        ViewerState {
            favourited: flags.favourited.into_iter().collect(),
            reblogged: flags.reblogged.into_iter().collect(),
            bookmarked: flags.bookmarked.into_iter().collect(),
            pinned: flags.pinned.into_iter().collect(),
            account: Some(account),
            visible_quotes,
            filtered: HashMap::new(),
        }
    }
}

impl<'a> Renderer<'a> {
    pub fn new(base: &'a str) -> Renderer<'a> {
        Renderer { base }
    }

    pub fn profile_url(&self, username: &str) -> String {
        format!("{}/@{username}", self.base)
    }

    pub fn account(&self, a: &Account) -> AccountJson {
        AccountJson {
            id: a.id,
            username: a.username.clone(),
            acct: a.username.clone(),
            display_name: a.display_name.clone(),
            locked: a.locked,
            bot: a.bot,
            discoverable: true,
            indexable: true,
            group: false,
            created_at: a.created_at.to_rfc3339(),
            note: a.note.clone(),
            url: self.profile_url(&a.username),
            uri: format!("{}/users/{}", self.base, a.username),
            avatar: format!("{}/avatars/original/missing.png", self.base),
            avatar_static: format!("{}/avatars/original/missing.png", self.base),
            header: format!("{}/headers/original/missing.png", self.base),
            header_static: format!("{}/headers/original/missing.png", self.base),
            followers_count: a.followers_count,
            following_count: a.following_count,
            statuses_count: a.statuses_count,
            last_status_at: a.last_status_at.map(|t| t.to_date_string()),
            hide_collections: false,
            noindex: false,
            emojis: [],
            roles: [],
            fields: [],
        }
    }

    pub fn credential_account(&self, a: &Account) -> CredentialAccountJson {
        let (id, permissions) = match a.role {
            starling_core::model::Role::User => ("-99", "0"),
            starling_core::model::Role::Moderator => ("1", "1308"),
            starling_core::model::Role::Admin => ("2", "983036"),
            starling_core::model::Role::Owner => ("3", "1048575"),
        };
        CredentialAccountJson {
            account: self.account(a),
            source: SourceJson {
                privacy: "public",
                sensitive: false,
                language: "",
                note: a.note_source.clone(),
                fields: [],
                follow_requests_count: 0,
            },
            role: RoleJson {
                id: id.to_string(),
                name: if a.role == starling_core::model::Role::User {
                    String::new()
                } else {
                    a.role.as_str().to_string()
                },
                permissions: permissions.to_string(),
                color: "",
                highlighted: a.role != starling_core::model::Role::User,
            },
        }
    }

    pub fn status_url(&self, s: &Status) -> String {
        format!("{}/@{}/{}", self.base, s.account.username, s.id)
    }

    pub fn status(&self, s: &Status, viewer: Option<&ViewerState>) -> StatusJson {
        self.status_quoting(s, viewer, true)
    }

    /// `expand`: render the quoted status in full; a quoted status's own quote is shallow.
    fn status_quoting(&self, s: &Status, viewer: Option<&ViewerState>, expand: bool) -> StatusJson {
        let reblog = s.reblog.as_deref().map(|r| Box::new(self.status_quoting(r, viewer, expand)));
        let quote = s.quote_of_id.map(|quoted_id| match (expand, s.quote.as_deref()) {
            (false, _) => QuoteJson::Shallow { state: "accepted", quoted_status_id: Some(quoted_id) },
            (true, None) => QuoteJson::Full { state: "deleted", quoted_status: None },
            (true, Some(q)) => {
                let visible = matches!(q.visibility, Visibility::Public | Visibility::Unlisted)
                    || viewer.is_some_and(|v| v.visible_quotes.contains(&q.id));
                if visible {
                    QuoteJson::Full {
                        state: "accepted",
                        quoted_status: Some(Box::new(self.status_quoting(q, viewer, false))),
                    }
                } else {
                    QuoteJson::Full { state: "unauthorized", quoted_status: None }
                }
            }
        });
        let reader = viewer.and_then(|v| v.account);
        StatusJson {
            id: s.id,
            created_at: s.created_at.to_rfc3339(),
            in_reply_to_id: s.in_reply_to_id,
            in_reply_to_account_id: s.in_reply_to_account_id,
            sensitive: s.sensitive,
            spoiler_text: s.spoiler_text.clone(),
            visibility: s.visibility.as_str(),
            language: s.language.clone(),
            uri: format!("{}/users/{}/statuses/{}", self.base, s.account.username, s.id),
            url: self.status_url(s),
            replies_count: s.replies_count,
            reblogs_count: s.reblogs_count,
            favourites_count: s.favourites_count,
            edited_at: s.edited_at.map(|t| t.to_rfc3339()),
            favourited: viewer.map(|v| v.favourited.contains(&s.id)),
            reblogged: viewer.map(|v| v.reblogged.contains(&s.id)),
            muted: viewer.map(|_| false),
            bookmarked: viewer.map(|v| v.bookmarked.contains(&s.id)),
            pinned: viewer.map(|v| v.pinned.contains(&s.id)),
            content: s.content.clone(),
            text: None,
            filtered: viewer
                .and_then(|v| v.filtered.get(&s.id))
                .map(|matches| matches.iter().map(|m| self.filter_result(m)).collect())
                .unwrap_or_default(),
            reblog,
            application: s
                .application
                .as_ref()
                .map(|a| ApplicationJson { name: a.name.clone(), website: a.website.clone() }),
            account: self.account(&s.account),
            media_attachments: s.media.iter().map(|m| self.media(m)).collect(),
            mentions: s
                .mentions
                .iter()
                .map(|m| MentionJson {
                    id: m.id,
                    username: m.username.clone(),
                    url: self.profile_url(&m.username),
                    acct: m.username.clone(),
                })
                .collect(),
            tags: s.tags.iter().map(|t| TagJson { name: t.clone(), url: tag_url(self.base, t) }).collect(),
            emojis: [],
            card: None,
            poll: None,
            quote,
            quote_approval: quote_approval(s, reader),
        }
    }

    /// Where a stored media file is served.
    pub fn media_url(&self, key: &str) -> String {
        format!("{}/system/{key}", self.base)
    }

    pub fn media(&self, m: &Media) -> MediaAttachmentJson {
        let size = |width: i64, height: i64| MediaSizeJson {
            width,
            height,
            size: format!("{width}x{height}"),
            aspect: if height > 0 { width as f64 / height as f64 } else { 1.0 },
        };
        MediaAttachmentJson {
            id: m.id,
            kind: "image",
            url: self.media_url(&m.file_key),
            preview_url: self.media_url(&m.preview_key),
            remote_url: None,
            preview_remote_url: None,
            text_url: None,
            meta: MediaMetaJson {
                original: size(m.meta.width, m.meta.height),
                small: size(m.meta.preview_width, m.meta.preview_height),
                focus: FocusJson { x: m.focus.x, y: m.focus.y },
            },
            description: (!m.description.is_empty()).then(|| m.description.clone()),
            blurhash: m.blurhash.clone(),
        }
    }

    pub fn status_edit(&self, v: &StatusVersion, author: &Account) -> StatusEditJson {
        StatusEditJson {
            content: v.content.clone(),
            spoiler_text: v.spoiler_text.clone(),
            sensitive: v.sensitive,
            created_at: v.created_at.to_rfc3339(),
            account: self.account(author),
            poll: None,
            media_attachments: [],
            emojis: [],
        }
    }

    /// A notification as its recipient sees it; the status's per-viewer flags come from
    /// `viewer` when the caller looked them up.
    pub fn notification_for(&self, n: &Notification, viewer: Option<&ViewerState>) -> NotificationJson {
        NotificationJson {
            id: n.id,
            kind: n.kind.as_str(),
            group_key: format!("ungrouped-{}", n.id),
            created_at: n.created_at.to_rfc3339(),
            account: self.account(&n.from_account),
            status: n.status.as_ref().map(|s| self.status(s, Some(viewer.unwrap_or(&ViewerState::default())))),
        }
    }

    pub fn notification(&self, n: &Notification) -> NotificationJson {
        self.notification_for(n, None)
    }

    pub fn filter(&self, f: &Filter) -> FilterJson {
        FilterJson {
            id: f.id,
            title: f.title.clone(),
            context: f.context.iter().map(|c| c.as_str()).collect(),
            expires_at: f.expires_at.map(|t| t.to_rfc3339()),
            filter_action: f.action.as_str(),
            keywords: f.keywords.iter().map(|k| self.filter_keyword(k)).collect(),
            statuses: [],
        }
    }

    pub fn filter_keyword(&self, k: &FilterKeyword) -> FilterKeywordJson {
        FilterKeywordJson { id: k.id, keyword: k.keyword.clone(), whole_word: k.whole_word }
    }

    fn filter_result(&self, m: &FilterMatch) -> FilterResultJson {
        FilterResultJson { filter: self.filter(&m.filter), keyword_matches: m.keywords.clone(), status_matches: None }
    }

    pub fn relationship(&self, r: &Relationship) -> RelationshipJson {
        RelationshipJson {
            id: r.id,
            following: r.following,
            showing_reblogs: r.following,
            notifying: r.notifying,
            languages: None,
            followed_by: r.followed_by,
            blocking: r.blocking,
            blocked_by: r.blocked_by,
            muting: r.muting,
            muting_notifications: r.muting_notifications,
            requested: r.requested,
            requested_by: r.requested_by,
            domain_blocking: false,
            endorsed: false,
            note: String::new(),
        }
    }
}

/// Mastodon's `Filter` (v2).
#[derive(Serialize, Debug, Clone)]
pub struct FilterJson {
    pub id: Id,
    pub title: String,
    pub context: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub filter_action: &'static str,
    pub keywords: Vec<FilterKeywordJson>,
    /// Filters of single statuses are not supported: always empty.
    pub statuses: [Value; 0],
}

#[derive(Serialize, Debug, Clone)]
pub struct FilterKeywordJson {
    pub id: Id,
    pub keyword: String,
    pub whole_word: bool,
}

/// Mastodon's `FilterResult`, in a status's `filtered`.
#[derive(Serialize, Debug, Clone)]
pub struct FilterResultJson {
    pub filter: FilterJson,
    pub keyword_matches: Vec<String>,
    pub status_matches: Option<Vec<String>>,
}

fn quote_approval(s: &Status, reader: Option<Id>) -> QuoteApprovalJson {
    let (automatic, current_user) = match s.visibility {
        Visibility::Public | Visibility::Unlisted => (vec!["public"], "automatic"),
        Visibility::Private => match reader {
            Some(reader) if reader == s.account.id => (Vec::new(), "automatic"),
            Some(_) => (Vec::new(), "denied"),
            None => (Vec::new(), "unknown"),
        },
        Visibility::Direct => (Vec::new(), "denied"),
    };
    QuoteApprovalJson { automatic, manual: [], current_user }
}

/// A hashtag's page: the name percent-encoded, so that the URL is one (`#café` is
/// `/tags/caf%C3%A9`), as Mastodon writes it.
pub fn tag_url(base: &str, name: &str) -> String {
    format!("{base}/tags/{}", form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>())
}
