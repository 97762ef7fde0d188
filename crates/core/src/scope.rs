//! OAuth scopes as Mastodon defines them: `read`, `write`, `follow`, `push`, `profile`, and
//! granular ones such as `read:statuses`. A top-level scope grants all of its granular ones;
//! the legacy `follow` scope grants the relationship scopes.

use std::fmt;

pub const TOP_LEVEL: [&str; 5] = ["read", "write", "follow", "push", "profile"];

const FOLLOW_GRANTS: [&str; 6] =
    ["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"];

const GRANULAR: [&str; 29] = [
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "read:chats",
    "read:stories",
    "read:audit",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "write:chats",
    "write:stories",
];

/// The moderation API's scopes. `read` and `write` do not grant them: only `admin:read` and
/// `admin:write` (or each one by name) do, and only to a moderator's token.
const ADMIN: [&str; 6] = [
    "admin:read",
    "admin:write",
    "admin:read:accounts",
    "admin:write:accounts",
    "admin:read:reports",
    "admin:write:reports",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown scope: {0}")]
pub struct UnknownScope(pub String);

impl Scopes {
    /// Parses a space-separated list (commas and `+` are accepted too, as some clients send
    /// them). An empty list means `read`, Mastodon's default.
    pub fn parse(s: &str) -> Result<Scopes, UnknownScope> {
        let mut out: Vec<String> = Vec::new();
        for part in s.split([' ', ',', '+']).filter(|p| !p.is_empty()) {
            if !TOP_LEVEL.contains(&part) && !GRANULAR.contains(&part) && !ADMIN.contains(&part) {
                return Err(UnknownScope(part.to_string()));
            }
            if !out.iter().any(|p| p == part) {
                out.push(part.to_string());
            }
        }
        if out.is_empty() {
            out.push("read".into());
        }
        Ok(Scopes(out))
    }

    /// Whether these scopes grant `required`, which is a granular scope such as `read:statuses`.
    pub fn allows(&self, required: &str) -> bool {
        // `admin:read:reports` is granted by `admin:read`, `read:statuses` by `read`.
        let depth = if required.starts_with("admin:") { 2 } else { 1 };
        let parent = required.splitn(depth + 1, ':').take(depth).collect::<Vec<_>>().join(":");
        self.0.iter().any(|s| s == required || *s == parent || (s == "follow" && FOLLOW_GRANTS.contains(&required)))
    }

    /// Whether every scope in `other` is granted by `self` (a token may not exceed its app).
    pub fn covers(&self, other: &Scopes) -> bool {
        other.0.iter().all(|s| self.0.contains(s) || (s.contains(':') && self.allows(s)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scopes_grant_their_granular_ones() {
        let s = Scopes::parse("read write:statuses").unwrap_or_else(|_| Scopes(vec![]));
        assert!(s.allows("read:accounts"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("write:favourites"));
    }

    #[test]
    fn admin_scopes_are_granted_by_their_own_parents_only() {
        let admin = Scopes::parse("read admin:read").unwrap_or_else(|_| Scopes(vec![]));
        assert!(admin.allows("admin:read:reports") && admin.allows("admin:read:accounts"));
        assert!(!admin.allows("admin:write:reports"));
        let plain = Scopes::parse("read write").unwrap_or_else(|_| Scopes(vec![]));
        assert!(!plain.allows("admin:read:reports") && !plain.allows("admin:write:accounts"));
        let one = Scopes::parse("admin:write:reports").unwrap_or_else(|_| Scopes(vec![]));
        assert!(one.allows("admin:write:reports") && !one.allows("admin:write:accounts"));
    }

    #[test]
    fn follow_grants_relationship_scopes() {
        let s = Scopes::parse("follow").unwrap_or_else(|_| Scopes(vec![]));
        assert!(s.allows("write:follows"));
        assert!(!s.allows("write:statuses"));
    }

    #[test]
    fn unknown_scopes_are_refused_and_empty_means_read() {
        assert_eq!(Scopes::parse("read admin:everything"), Err(UnknownScope("admin:everything".into())));
        assert_eq!(Scopes::parse("").map(|s| s.to_string()), Ok("read".to_string()));
    }

    #[test]
    fn a_token_may_not_exceed_its_app() {
        let app = Scopes::parse("read write").unwrap_or_else(|_| Scopes(vec![]));
        let ok = Scopes::parse("read:statuses write").unwrap_or_else(|_| Scopes(vec![]));
        let too_much = Scopes::parse("read follow").unwrap_or_else(|_| Scopes(vec![]));
        assert!(app.covers(&ok));
        assert!(!app.covers(&too_much));
    }
}
