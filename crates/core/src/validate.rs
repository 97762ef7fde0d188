//! Parse, don't validate: user input becomes a typed value or a message that says what is
//! wrong, phrased as Mastodon phrases its validation errors.

use unicode_normalization::UnicodeNormalization;

use crate::model::Visibility;
use crate::text;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

pub const MAX_USERNAME: usize = 30;
pub const MAX_DISPLAY_NAME: usize = 30;
pub const MAX_NOTE: usize = 500;
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;
pub const MAX_EMAIL: usize = 254;
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// A local username: ASCII letters, digits and underscores, as Mastodon allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Username, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(invalid("Validation failed: Username can't be blank"));
        }
        if s.len() > MAX_USERNAME {
            return Err(invalid(format!(
                "Validation failed: Username is too long (maximum is {MAX_USERNAME} characters)"
            )));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(invalid("Validation failed: Username must contain only letters, numbers and underscores"));
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, Invalid> {
        let s = s.trim();
        let bad = || invalid("Validation failed: Email is invalid");
        if s.is_empty() {
            return Err(invalid("Validation failed: Email can't be blank"));
        }
        if s.len() > MAX_EMAIL || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || domain.is_empty() || domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad());
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed. It never prints.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(s: &str) -> Result<Password, Invalid> {
        let n = s.chars().count();
        if n < MIN_PASSWORD {
            return Err(invalid(format!(
                "Validation failed: Password is too short (minimum is {MIN_PASSWORD} characters)"
            )));
        }
        if n > MAX_PASSWORD {
            return Err(invalid(format!(
                "Validation failed: Password is too long (maximum is {MAX_PASSWORD} characters)"
            )));
        }
        Ok(Password(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A display name: NFC-normalised, control characters refused, at most 30 characters.
pub fn display_name(s: &str) -> Result<String, Invalid> {
    let s: String = s.trim().nfc().collect();
    if s.chars().any(char::is_control) {
        return Err(invalid("Validation failed: Display name contains invalid characters"));
    }
    if s.chars().count() > MAX_DISPLAY_NAME {
        return Err(invalid(format!(
            "Validation failed: Display name is too long (maximum is {MAX_DISPLAY_NAME} characters)"
        )));
    }
    Ok(s)
}

pub fn note(s: &str) -> Result<String, Invalid> {
    let s: String = s.trim().nfc().collect();
    if s.chars().count() > MAX_NOTE {
        return Err(invalid(format!("Validation failed: Note is too long (maximum is {MAX_NOTE} characters)")));
    }
    Ok(s)
}

/// The text fields of a status, checked together because the limit covers both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusText {
    pub text: String,
    pub spoiler_text: String,
}

impl StatusText {
    pub fn parse(
        text: &str,
        spoiler_text: &str,
        max_characters: usize,
        has_media: bool,
    ) -> Result<StatusText, Invalid> {
        let text = text.replace("\r\n", "\n");
        if text.contains('\0') || spoiler_text.contains('\0') {
            return Err(invalid("Validation failed: Text contains invalid characters"));
        }
        if text.trim().is_empty() && !has_media {
            return Err(invalid("Validation failed: Text can't be blank"));
        }
        let length = text::weighted_length(&text) + spoiler_text.chars().count();
        if length > max_characters {
            return Err(invalid(format!("Validation failed: Text character limit of {max_characters} exceeded")));
        }
        Ok(StatusText { text, spoiler_text: spoiler_text.trim().to_string() })
    }
}

pub fn visibility(s: &str) -> Result<Visibility, Invalid> {
    s.parse().map_err(|()| invalid("Validation failed: Visibility is not included in the list"))
}

/// An ISO 639 language code (two or three lowercase letters), or nothing.
pub fn language(s: &str) -> Result<Option<String>, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let lower = s.to_ascii_lowercase();
    if (2..=3).contains(&lower.len()) && lower.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(Some(lower))
    } else {
        Err(invalid("Validation failed: Language is not a valid ISO 639 code"))
    }
}

pub fn idempotency_key(s: &str) -> Result<String, Invalid> {
    if s.is_empty() || s.len() > MAX_IDEMPOTENCY_KEY || s.chars().any(char::is_control) {
        return Err(invalid(format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters")));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_letters_digits_and_underscores() {
        assert!(Username::parse("alice_01").is_ok());
        for bad in ["", "al ice", "alice!", "ålice", &"a".repeat(31)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_lowercased_and_need_an_at() {
        assert_eq!(Email::parse(" Alice@Example.ORG ").map(|e| e.as_str().to_string()), Ok("alice@example.org".into()));
        for bad in ["", "alice", "@x.org", "a@", "a b@x.org", "a@.x"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_a_minimum_length_and_never_print() {
        assert!(Password::parse("short").is_err());
        let p = Password::parse("long enough").map(|p| format!("{p:?}"));
        assert_eq!(p.as_deref(), Ok("Password(***)"));
    }

    #[test]
    fn a_status_longer_than_the_limit_is_rejected() {
        let err = StatusText::parse(&"a".repeat(501), "", 500, false);
        assert_eq!(err, Err(Invalid("Validation failed: Text character limit of 500 exceeded".into())));
        assert!(StatusText::parse(&"a".repeat(500), "", 500, false).is_ok());
        assert!(StatusText::parse(&"a".repeat(490), "spoiler is counted", 500, false).is_err());
    }

    #[test]
    fn an_empty_status_is_rejected_unless_it_has_media() {
        assert!(StatusText::parse("  \n ", "", 500, false).is_err());
        assert!(StatusText::parse("", "", 500, true).is_ok());
    }

    #[test]
    fn languages_are_iso_codes() {
        assert_eq!(language("EN"), Ok(Some("en".into())));
        assert_eq!(language(""), Ok(None));
        assert!(language("english").is_err());
    }

    #[test]
    fn display_names_are_normalised_and_bounded() {
        assert_eq!(display_name("e\u{301}"), Ok("\u{e9}".to_string()));
        assert!(display_name("bell\u{7}").is_err());
        assert!(display_name(&"x".repeat(31)).is_err());
    }
}
