//! Status text: from what a person typed to safe HTML.
//!
//! The text is split once into tokens (plain text, links, @mentions, #hashtags); everything
//! else is derived from that one split, so what is linked, what is counted and what is stored as
//! a mention or a tag can never disagree. The renderer escapes every byte it did not produce
//! itself, so no HTML from the author ever reaches a reader.

/// How many characters a link counts for, whatever its length (Mastodon's rule).
pub const URL_WEIGHT: usize = 23;
const MAX_USERNAME: usize = 30;
const LINK_DISPLAY: usize = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    Text(&'a str),
    /// An `http(s)://` URL, trailing punctuation already trimmed.
    Link(&'a str),
    /// `@name`, without the `@`. Mentions of other servers (`@name@host`) stay text.
    Mention(&'a str),
    /// `#name`, without the `#`, as typed.
    Hashtag(&'a str),
}

/// A letter, digit, underscore or combining mark, as a regular expression's `[[:word:]]`: a
/// mark belongs to the letter before it (`e` and U+0301 are an `é` still to be composed).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || unicode_normalization::char::is_combining_mark(c)
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_tag_char(c: char) -> bool {
    is_word(c) || c == '·'
}

/// Splits `text` into tokens; concatenating them gives back `text` minus the sigils.
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut plain_start = 0;
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        let found = match c {
            'h' | 'H' if prev.is_none_or(|p| !is_word(p) && p != '/') => {
                link_len(rest).map(|n| (n, 0, TokenKind::Link))
            }
            '@' if prev.is_none_or(|p| !is_word(p) && p != '@' && p != '/' && p != '.') => {
                mention_len(&rest[1..]).map(|n| (n, 1, TokenKind::Mention))
            }
            '#' if prev.is_none_or(|p| !is_word(p) && p != '&' && p != '/' && p != '#') => {
                hashtag_len(&rest[1..]).map(|n| (n, 1, TokenKind::Hashtag))
            }
            _ => None,
        };
        match found {
            Some((len, sigil, kind)) => {
                if plain_start < i {
                    tokens.push(Token::Text(&text[plain_start..i]));
                }
                let body = &text[i + sigil..i + sigil + len];
                tokens.push(match kind {
                    TokenKind::Link => Token::Link(body),
                    TokenKind::Mention => Token::Mention(body),
                    TokenKind::Hashtag => Token::Hashtag(body),
                });
                i += sigil + len;
                plain_start = i;
                prev = body.chars().last();
            }
            None => {
                i += c.len_utf8();
                prev = Some(c);
            }
        }
    }
    if plain_start < text.len() {
        tokens.push(Token::Text(&text[plain_start..]));
    }
    tokens
}

enum TokenKind {
    Link,
    Mention,
    Hashtag,
}

fn link_len(s: &str) -> Option<usize> {
    let lower: String = s.chars().take(8).collect::<String>().to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let mut end = scheme;
    for (idx, c) in s[scheme..].char_indices() {
        if c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^') {
            break;
        }
        end = scheme + idx + c.len_utf8();
    }
    // Trailing punctuation belongs to the sentence, not the URL; a closing parenthesis
    // belongs to the URL only when it closes one opened inside it (Wikipedia links).
    while let Some(last) = s[..end].chars().last() {
        let trim = match last {
            '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '*' => true,
            ')' => s[..end].matches('(').count() < s[..end].matches(')').count(),
            ']' => s[..end].matches('[').count() < s[..end].matches(']').count(),
            _ => false,
        };
        if !trim || end <= scheme {
            break;
        }
        end -= last.len_utf8();
    }
    let host = &s[scheme..end];
    let host_end = host.find(['/', '?', '#']).unwrap_or(host.len());
    let host = &host[..host_end];
    if host.is_empty() || host.starts_with('.') || host.starts_with(':') {
        return None;
    }
    Some(end)
}

fn mention_len(s: &str) -> Option<usize> {
    let len = s.chars().take_while(|&c| is_username_char(c)).count();
    if len == 0 || len > MAX_USERNAME {
        return None;
    }
    // `@name@host` names an account elsewhere, which this server does not federate with.
    let after = &s[len..];
    if after.starts_with('@') && after[1..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    if after.starts_with(|c: char| is_word(c)) {
        return None;
    }
    Some(len)
}

fn hashtag_len(s: &str) -> Option<usize> {
    let body: usize = s.chars().take_while(|&c| is_tag_char(c)).map(char::len_utf8).sum();
    let tag = &s[..body];
    // A tag needs something other than digits and separators: "#1" is a number, not a tag.
    if tag.chars().any(|c| c.is_alphabetic()) && tag.chars().count() <= 100 { Some(body) } else { None }
}

/// Whether `name` (without the `#`) is a whole hashtag, as the text parser would find it.
pub fn is_hashtag(name: &str) -> bool {
    hashtag_len(name) == Some(name.len()) && !name.is_empty()
}

/// The normalised form under which a hashtag is stored and looked up: compatibility forms
/// folded (NFKC: full-width letters are letters) and lower case, so that `#Ｒｕｓｔ`, `#RUST` and
/// `#rust` are one tag.
pub fn normalize_tag(tag: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    tag.nfkc().collect::<String>().to_lowercase()
}

/// What a status refers to: usernames mentioned and tags used, each once, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    pub mentions: Vec<String>,
    pub tags: Vec<String>,
}

pub fn extract(text: &str) -> Extracted {
    let mut out = Extracted::default();
    for token in tokenize(text) {
        match token {
            Token::Mention(name) => {
                let name = name.to_ascii_lowercase();
                if !out.mentions.contains(&name) {
                    out.mentions.push(name);
                }
            }
            Token::Hashtag(tag) => {
                let tag = normalize_tag(tag);
                if !out.tags.contains(&tag) {
                    out.tags.push(tag);
                }
            }
            Token::Text(_) | Token::Link(_) => {}
        }
    }
    out
}

/// Length as the character limit counts it: Unicode scalar values, each link as
/// [`URL_WEIGHT`].
pub fn weighted_length(text: &str) -> usize {
    tokenize(text)
        .into_iter()
        .map(|t| match t {
            Token::Text(s) => s.chars().count(),
            Token::Link(_) => URL_WEIGHT,
            Token::Mention(s) | Token::Hashtag(s) => s.chars().count() + 1,
        })
        .sum()
}

pub fn escape_html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Resolves a mentioned username to the account's canonical username and profile URL, or
/// `None` when no such account exists (the mention then stays plain text).
pub trait MentionResolver {
    fn resolve(&self, username: &str) -> Option<(String, String)>;
}

impl<F: Fn(&str) -> Option<(String, String)>> MentionResolver for F {
    fn resolve(&self, username: &str) -> Option<(String, String)> {
        self(username)
    }
}

/// Renders plain text to HTML: paragraphs on blank lines, `<br />` on single newlines, links,
/// mentions of existing accounts and hashtags linked, everything else escaped.
pub fn render(text: &str, base_url: &str, mentions: &dyn MentionResolver) -> String {
    let normalized = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(normalized.len() + 32);
    let paragraphs = normalized.split("\n\n").map(|p| p.trim_matches('\n')).filter(|p| !p.is_empty());
    for paragraph in paragraphs {
        out.push_str("<p>");
        for token in tokenize(paragraph) {
            match token {
                Token::Text(s) => {
                    let mut lines = s.split('\n');
                    if let Some(first) = lines.next() {
                        escape_html(first, &mut out);
                    }
                    for line in lines {
                        out.push_str("<br />");
                        escape_html(line, &mut out);
                    }
                }
                Token::Link(url) => render_link(url, &mut out),
                Token::Mention(name) => match mentions.resolve(name) {
                    Some((username, url)) => {
                        out.push_str("<span class=\"h-card\" translate=\"no\"><a href=\"");
                        escape_html(&url, &mut out);
                        out.push_str("\" class=\"u-url mention\">@<span>");
                        escape_html(&username, &mut out);
                        out.push_str("</span></a></span>");
                    }
                    None => {
                        out.push('@');
                        escape_html(name, &mut out);
                    }
                },
                Token::Hashtag(tag) => {
                    out.push_str("<a href=\"");
                    escape_html(base_url.trim_end_matches('/'), &mut out);
                    out.push_str("/tags/");
                    escape_html(&normalize_tag(tag), &mut out);
                    out.push_str("\" class=\"mention hashtag\" rel=\"tag\">#<span>");
                    escape_html(tag, &mut out);
                    out.push_str("</span></a>");
                }
            }
        }
        out.push_str("</p>");
    }
    out
}

fn render_link(url: &str, out: &mut String) {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let (www, rest) = if rest.to_ascii_lowercase().starts_with("www.") { rest.split_at(4) } else { ("", rest) };
    out.push_str("<a href=\"");
    escape_html(url, out);
    out.push_str(
        "\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" translate=\"no\"><span class=\"invisible\">",
    );
    escape_html(scheme, out);
    escape_html(www, out);
    let cut = rest.char_indices().nth(LINK_DISPLAY).map(|(i, _)| i);
    match cut {
        Some(i) => {
            out.push_str("</span><span class=\"ellipsis\">");
            escape_html(&rest[..i], out);
            out.push_str("</span><span class=\"invisible\">");
            escape_html(&rest[i..], out);
        }
        None => {
            out.push_str("</span><span class=\"\">");
            escape_html(rest, out);
            out.push_str("</span><span class=\"invisible\">");
        }
    }
    out.push_str("</span></a>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(name: &str) -> Option<(String, String)> {
        (name.eq_ignore_ascii_case("bob")).then(|| ("bob".to_string(), "https://s.example/@bob".to_string()))
    }

    fn html(text: &str) -> String {
        render(text, "https://s.example", &resolver)
    }

    #[test]
    fn plain_text_is_escaped_and_paragraphed() {
        assert_eq!(html("a <b> & \"c\"\nd\n\ne"), "<p>a &lt;b&gt; &amp; &quot;c&quot;<br />d</p><p>e</p>");
    }

    #[test]
    fn mentions_of_existing_accounts_are_linked_and_others_stay_text() {
        assert_eq!(
            html("hi @Bob and @nobody"),
            "<p>hi <span class=\"h-card\" translate=\"no\"><a href=\"https://s.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> and @nobody</p>"
        );
    }

    #[test]
    fn hashtags_link_to_their_lowercase_timeline() {
        assert_eq!(
            html("#Rust!"),
            "<p><a href=\"https://s.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a>!</p>"
        );
    }

    #[test]
    fn links_drop_trailing_punctuation_but_keep_balanced_parentheses() {
        assert_eq!(
            tokenize("see https://e.org/a."),
            vec![Token::Text("see "), Token::Link("https://e.org/a"), Token::Text(".")]
        );
        let wiki = "https://en.wikipedia.org/wiki/Rust_(programming_language)";
        assert_eq!(tokenize(&format!("({wiki})")), vec![Token::Text("("), Token::Link(wiki), Token::Text(")")]);
    }

    #[test]
    fn long_links_are_shortened_for_display_only() {
        let out = html("https://example.com/a/very/long/path/that/goes/on/and/on");
        assert!(out.contains("href=\"https://example.com/a/very/long/path/that/goes/on/and/on\""));
        assert!(out.contains("<span class=\"ellipsis\">example.com/a/very/long/path/t</span>"));
    }

    #[test]
    fn a_javascript_url_is_never_a_link() {
        assert_eq!(html("javascript:alert(1)"), "<p>javascript:alert(1)</p>");
        assert!(!html("https://x.org/\"onmouseover=alert(1)").contains("\"onmouseover"));
    }

    #[test]
    fn sigils_inside_words_are_not_tokens() {
        assert_eq!(extract("mail me@example.com a#b x/#c"), Extracted::default());
        assert_eq!(extract("#123 #a1 @a@remote.example"), Extracted { mentions: vec![], tags: vec!["a1".into()] });
    }

    #[test]
    fn extraction_is_unique_and_ordered() {
        let e = extract("@Bob #Zed @bob #zed #Ärger #mid·dot");
        assert_eq!(e.mentions, vec!["bob"]);
        assert_eq!(e.tags, vec!["zed", "ärger", "mid·dot"]);
    }

    #[test]
    fn links_count_as_twenty_three_characters() {
        assert_eq!(weighted_length("ab https://example.com/a/very/long/path/indeed/yes"), 3 + URL_WEIGHT);
        assert_eq!(weighted_length("héllo"), 5);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn rendering_never_lets_a_tag_through(s in "\\PC{0,200}") {
                let out = render(&s, "https://s.example", &|_: &str| None);
                // Every '<' in the output opens one of the few tags the renderer writes itself.
                let allowed = ["<p>", "</p>", "<br />", "<a ", "</a>", "<span", "</span>"];
                for (i, _) in out.match_indices('<') {
                    prop_assert!(allowed.iter().any(|a| out[i..].starts_with(a)), "{}", out);
                }
            }

            #[test]
            fn tokens_cover_the_text(s in "[a-z @#:/.()\\n]{0,80}") {
                let rebuilt: String = tokenize(&s).into_iter().map(|t| match t {
                    Token::Text(x) | Token::Link(x) => x.to_string(),
                    Token::Mention(x) => format!("@{x}"),
                    Token::Hashtag(x) => format!("#{x}"),
                }).collect();
                prop_assert_eq!(rebuilt, s);
            }
        }
    }
}
