//! The streams a client can subscribe to, named as Mastodon names them.

use starling_core::Id;
use starling_core::filters::FilterContext;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The home timeline, notifications, and deletes/edits of what it showed.
    User,
    /// Notifications only.
    UserNotification,
    Public,
    PublicLocal,
    /// Statuses from other servers: always quiet here, as every account is local.
    PublicRemote,
    /// Public statuses with media.
    PublicMedia,
    PublicLocalMedia,
    Hashtag(String),
    HashtagLocal(String),
    /// Direct statuses the user is part of.
    Direct,
}

#[derive(Debug, PartialEq, Eq)]
pub enum StreamError {
    Unknown(String),
    MissingTag,
    NeedsUser,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Unknown(s) => write!(f, "Unknown stream type: {s}"),
            StreamError::MissingTag => f.write_str("No tag for stream provided"),
            StreamError::NeedsUser => f.write_str("Missing access token"),
        }
    }
}

impl Stream {
    /// The timeline whose keyword filters apply to this stream's statuses (`None`: none do,
    /// as Mastodon filters no direct conversation).
    pub fn filter_context(&self) -> Option<FilterContext> {
        match self {
            Stream::User => Some(FilterContext::Home),
            Stream::UserNotification => Some(FilterContext::Notifications),
            Stream::Public
            | Stream::PublicLocal
            | Stream::PublicRemote
            | Stream::PublicMedia
            | Stream::PublicLocalMedia
            | Stream::Hashtag(_)
            | Stream::HashtagLocal(_) => Some(FilterContext::Public),
            Stream::Direct => None,
        }
    }

    /// Parses a stream name and its tag; user streams need a signed-in user.
    pub fn parse(name: &str, tag: Option<&str>, user: Option<Id>) -> Result<Stream, StreamError> {
        let tag = || {
            // One optional sign, spaces around it and the name alike: `# rust` is `#rust`. What
            // is then no hashtag (`#`, `##`, `2026`) could never match a status: refused.
            let name = tag.map(str::trim).map(|t| t.strip_prefix('#').unwrap_or(t).trim());
            name.filter(|t| starling_core::text::is_hashtag(t))
                .map(starling_core::text::normalize_tag)
                .ok_or(StreamError::MissingTag)
        };
        let stream = match name {
            "user" => Stream::User,
            "user:notification" => Stream::UserNotification,
            "public" => Stream::Public,
            "public:local" => Stream::PublicLocal,
            "public:remote" => Stream::PublicRemote,
            "hashtag" => Stream::Hashtag(tag()?),
            "hashtag:local" => Stream::HashtagLocal(tag()?),
            "direct" => Stream::Direct,
            "public:media" => Stream::PublicMedia,
            "public:local:media" => Stream::PublicLocalMedia,
            // Other servers' media: as quiet as their statuses.
            "public:remote:media" => Stream::PublicRemote,
            other => return Err(StreamError::Unknown(other.to_string())),
        };
        if stream.needs_user() && user.is_none() {
            return Err(StreamError::NeedsUser);
        }
        Ok(stream)
    }

    pub fn needs_user(&self) -> bool {
        matches!(self, Stream::User | Stream::UserNotification | Stream::Direct)
    }

    /// The `stream` field of messages on this stream.
    pub fn names(&self) -> Vec<String> {
        match self {
            Stream::User => vec!["user".into()],
            Stream::UserNotification => vec!["user:notification".into()],
            Stream::Public => vec!["public".into()],
            Stream::PublicLocal => vec!["public:local".into()],
            Stream::PublicRemote => vec!["public:remote".into()],
            Stream::PublicMedia => vec!["public:media".into()],
            Stream::PublicLocalMedia => vec!["public:local:media".into()],
            Stream::Hashtag(t) => vec!["hashtag".into(), t.clone()],
            Stream::HashtagLocal(t) => vec!["hashtag:local".into(), t.clone()],
            Stream::Direct => vec!["direct".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_parse_with_their_tags() {
        assert_eq!(Stream::parse("hashtag", Some("#Rust"), None), Ok(Stream::Hashtag("rust".into())));
        assert_eq!(Stream::parse("hashtag", None, None), Err(StreamError::MissingTag));
        assert_eq!(Stream::parse("user", None, None), Err(StreamError::NeedsUser));
        assert_eq!(Stream::parse("user", None, Some(Id(1))), Ok(Stream::User));
        assert!(matches!(Stream::parse("nope", None, None), Err(StreamError::Unknown(_))));
    }
}
