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

/// A local username: ASCII letters, digits and underscores, as Mastodon allows. Compatibility
/// forms are folded first (NFKC), so that `ａｌｉｃｅ` typed in full width is `alice`; what is
/// left must be ASCII, so no two handles can look alike but differ in their letters (and
/// uniqueness ignores case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// A handle as typed (sign-up, lookup, search), in the form usernames are compared in.
pub fn normalize_handle(s: &str) -> String {
    s.trim().nfkc().collect()
}

impl Username {
    pub fn parse(s: &str) -> Result<Username, Invalid> {
        let s = normalize_handle(s);
        let s = s.as_str();
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

/// Whether a free text holds a character no text field may: NUL (which PostgreSQL's text cannot
/// store at all) and the other control characters, line breaks and tabs aside.
fn has_controls(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
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
    if has_controls(&s) {
        return Err(invalid("Validation failed: Note contains invalid characters"));
    }
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
        if has_controls(&text) || has_controls(spoiler_text) {
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

/// The longest chat message, in characters.
pub const MAX_CHAT_MESSAGE: usize = 5000;

/// The text of a story or a chat message: not blank, at most `max` characters, kept as
/// written (trailing whitespace aside).
pub fn short_text(field: &str, s: &str, max: usize) -> Result<String, Invalid> {
    let s = s.trim_end();
    if s.trim().is_empty() {
        return Err(invalid(format!("{field} can't be blank")));
    }
    if has_controls(s) {
        return Err(invalid(format!("{field} contains invalid characters")));
    }
    if s.chars().count() > max {
        return Err(invalid(format!("{field} is too long (maximum is {max} characters)")));
    }
    Ok(s.to_string())
}

/// The words of something that may be pictures alone (a story, a chat message): blank is
/// fine when `has_media`, otherwise as [`short_text`].
pub fn caption(field: &str, s: &str, max: usize, has_media: bool) -> Result<String, Invalid> {
    if has_media && s.trim().is_empty() { Ok(String::new()) } else { short_text(field, s, max) }
}

/// A text that may be empty (a picture's description, a report's comment), trimmed: at most
/// `max` characters, no control characters. `field` starts the messages.
pub fn free_text(field: &str, s: &str, max: usize) -> Result<String, Invalid> {
    let s = s.trim();
    if has_controls(s) {
        return Err(invalid(format!("{field} contains invalid characters")));
    }
    if s.chars().count() > max {
        return Err(invalid(format!("{field} is too long (maximum is {max} characters)")));
    }
    Ok(s.to_string())
}

/// A picture's description (alt text).
pub fn description(s: &str, max: usize) -> Result<String, Invalid> {
    free_text("description", s, max)
}

/// The longest emoji sequence accepted, in bytes (the longest standard ones, flags of
/// subdivisions and families joined by ZWJ, take under 30).
pub const MAX_EMOJI_BYTES: usize = 64;

const ZWJ: char = '\u{200D}';
const VARIATION_EMOJI: char = '\u{FE0F}';
const KEYCAP: char = '\u{20E3}';
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007E}').contains(&c)
}

/// Unicode's Extended_Pictographic property, by its blocks: what an emoji sequence is built of.
fn is_pictographic(c: char) -> bool {
    let c = c as u32;
    matches!(
        c,
        0xA9 | 0xAE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x2194..=0x2199
            | 0x21A9..=0x21AA
            | 0x231A..=0x231B
            | 0x2328
            | 0x23CF
            | 0x23E9..=0x23F3
            | 0x23F8..=0x23FA
            | 0x24C2
            | 0x25AA..=0x25AB
            | 0x25B6
            | 0x25C0
            | 0x25FB..=0x25FE
            | 0x2600..=0x27BF
            | 0x2934..=0x2935
            | 0x2B05..=0x2B07
            | 0x2B1B..=0x2B1C
            | 0x2B50
            | 0x2B55
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
            | 0x1F000..=0x1F1E5
            | 0x1F200..=0x1FAFF
            | 0x1FC00..=0x1FFFD
    )
}

/// One element of a ZWJ sequence: a pictograph, then an optional emoji presentation selector
/// and skin tone. `None` when `chars` does not start with one.
fn element(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<()> {
    let first = chars.next()?;
    if !is_pictographic(first) {
        return None;
    }
    if chars.peek() == Some(&VARIATION_EMOJI) {
        chars.next();
    }
    if chars.peek().copied().is_some_and(is_skin_tone) {
        chars.next();
    }
    Some(())
}

fn is_emoji_grapheme(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        // A flag: two regional indicators.
        [a, b] if is_regional_indicator(*a) && is_regional_indicator(*b) => return true,
        // A keycap: a digit, `#` or `*`, perhaps the presentation selector, then the keycap.
        [k, VARIATION_EMOJI, KEYCAP] | [k, KEYCAP] if k.is_ascii_digit() || *k == '#' || *k == '*' => return true,
        // A subdivision flag: the black flag, tag letters, the cancel tag.
        [BLACK_FLAG, tags @ .., CANCEL_TAG] if !tags.is_empty() && tags.iter().all(|c| is_tag(*c)) => return true,
        _ => {}
    }
    let mut rest = s.chars().peekable();
    loop {
        if element(&mut rest).is_none() {
            return false;
        }
        match rest.next() {
            None => return true,
            Some(ZWJ) => continue,
            Some(_) => return false,
        }
    }
}

/// A hashtag's name as a path or a search gives it: an optional leading `#`, then a name the
/// text parser would recognise as a hashtag. Normalised as tags are stored (lower-cased).
pub fn hashtag(s: &str) -> Result<String, Invalid> {
    let name = s.strip_prefix('#').unwrap_or(s);
    if !text::is_hashtag(name) {
        return Err(invalid("name is not a valid hashtag"));
    }
    Ok(text::normalize_tag(name))
}

/// A reaction: exactly one emoji, as one user-perceived character (a pictograph with its
/// modifiers, a flag, a keycap, or a sequence joined by zero-width joiners). Surrounding
/// whitespace is ignored.
pub fn emoji(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_EMOJI_BYTES || !is_emoji_grapheme(s) {
        return Err(invalid("emoji must be a single emoji"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_and_hashtags_fold_compatibility_forms_only() {
        assert_eq!(Username::parse(" ａｌｉｃｅ_１ ").map(Username::into_string), Ok("alice_1".to_string()));
        assert!(Username::parse("\u{430}lice").is_err(), "a Cyrillic a stays Cyrillic, and is refused");
        assert!(Username::parse("ali\u{200b}ce").is_err(), "a zero-width space is no letter");
        assert_eq!(hashtag("#Ｒｕｓｔ").ok(), Some("rust".to_string()));
        assert_eq!(hashtag("Café").ok(), hashtag("Cafe\u{301}").ok(), "composed and decomposed are one tag");
    }

    #[test]
    fn free_texts_refuse_control_characters_but_keep_line_breaks() {
        assert!(note("a\u{0}b").is_err() && note("a\u{1b}b").is_err());
        assert_eq!(note("two\nlines\tand a tab").ok(), Some("two\nlines\tand a tab".to_string()));
        assert!(short_text("Text", "a\u{0}", 10).is_err());
        assert!(description("alt\u{7}", 100).is_err());
        assert!(StatusText::parse("ok", "cw\u{0}", 500, false).is_err());
    }

    #[test]
    fn hashtags_are_names_the_parser_would_link() {
        assert_eq!(hashtag("#Birds").ok(), Some("birds".to_string()));
        assert_eq!(hashtag("café_2026").ok(), Some("café_2026".to_string()));
        for bad in ["", "#", "2026", "two words", "a#b", "tag!", &"x".repeat(101)] {
            assert!(hashtag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn short_texts_are_not_blank_nor_too_long() {
        assert_eq!(short_text("text", "hi there  ", 10).ok(), Some("hi there".to_string()));
        assert!(short_text("text", "  \n ", 10).is_err());
        assert!(short_text("text", &"é".repeat(11), 10).is_err());
        assert!(short_text("text", &"é".repeat(10), 10).is_ok());
    }

    #[test]
    fn a_caption_may_be_blank_only_beside_media() {
        assert_eq!(caption("text", "  ", 10, true).ok(), Some(String::new()));
        assert!(caption("text", "  ", 10, false).is_err());
        assert!(caption("text", &"x".repeat(11), 10, true).is_err());
    }

    #[test]
    fn reactions_are_one_emoji() {
        for good in [
            "❤️",
            "❤",
            "👍",
            "👍🏽",
            "🇫🇷",
            "1️⃣",
            "#⃣",
            "👩‍👩‍👧",
            "🏳️‍🌈",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            " 🔥 ",
        ] {
            assert!(emoji(good).is_ok(), "{good:?}");
        }
        for bad in
            ["", "a", "1", "👍👍", "❤️x", "🇫", "\u{200D}", "👍\u{200D}", "<3", ":heart:", "\u{FE0F}", "🏴\u{E007F}"]
        {
            assert!(emoji(bad).is_err(), "{bad:?}");
        }
    }

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
