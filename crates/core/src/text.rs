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

        /// Pieces that sit on the parser's edges: sigils, schemes, HTML metacharacters, quotes,
        /// invisible and direction-changing characters, combining marks, line breaks, letters
        /// whose lowercase form differs in length.
        const PIECES: &[&str] = &[
            "@", "#", "http://", "https://", "HTTPS://", "hTtP://", "www.", "<", ">", "&", "&amp;", "&#39;", "\"", "'",
            "`", "\u{201C}", "\u{2019}", "\u{200D}", "\u{200B}", "\u{FEFF}", "\u{0301}", "\u{20E3}", "\u{200F}",
            "\u{202E}", "\u{061C}", "\n", "\n\n", "\r\n", "\r", " ", "\t", "\u{00A0}", ".", ",", "!", "*", "(", ")",
            "[", "]", "/", ":", "?", "=", "·", "_", "İ", "Σ", "ß", "é", "\u{212A}", "日本", "١٢",
        ];

        /// Longer pieces: markup and script an author might try to smuggle through.
        const HOSTILE: &[&str] =
            &["javascript:", "<script>", "\" onmouseover=\"x", "<a href=\"x\">", "👩\u{200D}💻", "&lt;b&gt;"];

        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                6 => prop::sample::select(PIECES).prop_map(str::to_string),
                1 => prop::sample::select(HOSTILE).prop_map(str::to_string),
                3 => "[a-zA-Z0-9_]{1,6}",
                1 => "\\PC{1,4}",
                // Runs across the limits: 30 characters for a username, 100 for a tag.
                1 => (prop::sample::select(&["a", "Z", "1", "_", "é", "@", "#", "/", "\u{0301}"][..]), 25usize..110)
                    .prop_map(|(c, n)| c.repeat(n)),
            ]
        }

        fn tricky() -> impl Strategy<Value = String> {
            prop::collection::vec(piece(), 0..60).prop_map(|pieces| pieces.concat())
        }

        /// Printable text, any scalar value at all (controls and unassigned included), and
        /// text assembled from the tricky pieces.
        fn input() -> impl Strategy<Value = String> {
            prop_oneof![
                "\\PC{0,300}",
                prop::collection::vec(any::<char>(), 0..300).prop_map(String::from_iter),
                tricky(),
            ]
        }

        const ENTITIES: &[(&str, char)] =
            &[("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\'')];

        /// Decodes the entities `escape_html` writes; any other `&` is an error.
        fn unescape(s: &str) -> Result<String, String> {
            let mut out = String::with_capacity(s.len());
            let mut rest = s;
            while let Some(i) = rest.find('&') {
                out.push_str(&rest[..i]);
                let at = &rest[i..];
                let (entity, c) =
                    ENTITIES.iter().find(|(e, _)| at.starts_with(e)).ok_or_else(|| format!("bare '&' at {at:?}"))?;
                out.push(*c);
                rest = &at[entity.len()..];
            }
            out.push_str(rest);
            Ok(out)
        }

        /// The text a reader sees and the links they can follow.
        #[derive(Debug, Default)]
        struct Markup {
            text: String,
            hrefs: Vec<String>,
        }

        const ATTRIBUTES: &[&str] = &["href", "class", "target", "rel", "translate"];

        /// Reads `html` as the renderer's own markup: `<p>` at the top, `<a>`, `<span>` and
        /// `<br />` inside paragraphs, properly nested, only known attributes with double-quoted
        /// values, and text with no markup character that is not an entity. Anything else means
        /// text from the author became markup.
        fn parse_markup(html: &str) -> Result<Markup, String> {
            let mut markup = Markup::default();
            let mut open: Vec<&str> = Vec::new();
            let mut rest = html;
            while !rest.is_empty() {
                if let Some(after) = rest.strip_prefix("<br />") {
                    if open.first() != Some(&"p") {
                        return Err(format!("<br /> outside a paragraph in {html}"));
                    }
                    rest = after;
                } else if let Some(after) = rest.strip_prefix("</") {
                    let end = after.find('>').ok_or("unterminated closing tag")?;
                    if open.pop() != Some(&after[..end]) {
                        return Err(format!("</{}> closes nothing open in {html}", &after[..end]));
                    }
                    rest = &after[end + 1..];
                } else if let Some(after) = rest.strip_prefix('<') {
                    let (name, after) = open_tag(after, &mut markup.hrefs)?;
                    let nested = match name {
                        "p" => open.is_empty(),
                        "a" => open.first() == Some(&"p") && !open.contains(&"a"),
                        _ => open.first() == Some(&"p"),
                    };
                    if !nested {
                        return Err(format!("<{name}> misplaced in {html}"));
                    }
                    open.push(name);
                    rest = after;
                } else {
                    let end = rest.find('<').unwrap_or(rest.len());
                    let text = &rest[..end];
                    if open.is_empty() || text.contains(['>', '"', '\'']) {
                        return Err(format!("raw text {text:?} in {html}"));
                    }
                    markup.text.push_str(&unescape(text)?);
                    rest = &rest[end..];
                }
            }
            if open.is_empty() { Ok(markup) } else { Err(format!("{open:?} left open in {html}")) }
        }

        /// Reads an opening tag after its `<`; returns the tag's name and what follows it.
        fn open_tag<'h>(s: &'h str, hrefs: &mut Vec<String>) -> Result<(&'h str, &'h str), String> {
            let name_end = s.find(|c: char| !c.is_ascii_lowercase()).ok_or("unterminated tag")?;
            let name = &s[..name_end];
            if !["p", "a", "span"].contains(&name) {
                return Err(format!("unknown tag <{name}"));
            }
            let mut rest = &s[name_end..];
            let mut seen = Vec::new();
            while let Some(attribute) = rest.strip_prefix(' ') {
                let (key, value) = attribute.split_once("=\"").ok_or("attribute without a quoted value")?;
                let (value, after) = value.split_once('"').ok_or("unterminated attribute value")?;
                if !ATTRIBUTES.contains(&key) || seen.contains(&key) || value.contains(['<', '>', '\'']) {
                    return Err(format!("attribute {key}={value:?} in <{name}>"));
                }
                if key == "href" {
                    hrefs.push(unescape(value)?);
                }
                seen.push(key);
                rest = after;
            }
            rest.strip_prefix('>').map(|after| (name, after)).ok_or_else(|| format!("<{name}> not closed by '>'"))
        }

        fn html(s: &str, mentions: &dyn MentionResolver) -> String {
            render(s, "https://s.example/", mentions)
        }

        fn nobody(_: &str) -> Option<(String, String)> {
            None
        }

        fn everybody(name: &str) -> Option<(String, String)> {
            Some((name.to_string(), format!("https://s.example/@{name}")))
        }

        fn rebuild(tokens: &[Token<'_>]) -> String {
            tokens
                .iter()
                .map(|t| match t {
                    Token::Text(x) | Token::Link(x) => x.to_string(),
                    Token::Mention(x) => format!("@{x}"),
                    Token::Hashtag(x) => format!("#{x}"),
                })
                .collect()
        }

        /// Whether `#` followed by some prefix of what comes after it normalises to `tag`.
        /// Prefixes, not the whole text lowercased: lowercasing depends on context (a final
        /// sigma), so the text's lowercase form need not contain the tag's.
        fn tag_in_text(text: &str, tag: &str) -> bool {
            // Lowercasing never makes fewer characters, so longer prefixes cannot match.
            let limit = tag.chars().count();
            text.match_indices('#').any(|(i, _)| {
                let after = &text[i + 1..];
                after.char_indices().take(limit).any(|(j, c)| normalize_tag(&after[..j + c.len_utf8()]) == tag)
            })
        }

        proptest! {
            #[test]
            fn tokens_cover_the_text(s in input()) {
                let tokens = tokenize(&s);
                prop_assert_eq!(rebuild(&tokens), s.as_str());
                // Nothing is empty, and two text tokens never sit side by side.
                for pair in tokens.windows(2) {
                    prop_assert!(!matches!(pair, [Token::Text(_), Token::Text(_)]), "{:?}", tokens);
                }
                for token in &tokens {
                    match token {
                        Token::Text(x) => prop_assert!(!x.is_empty()),
                        Token::Link(x) => prop_assert!(x.to_ascii_lowercase().starts_with("http")),
                        Token::Mention(x) => {
                            prop_assert!(!x.is_empty() && x.len() <= MAX_USERNAME);
                            prop_assert!(x.chars().all(is_username_char), "{:?}", x);
                        }
                        Token::Hashtag(x) => prop_assert!(is_hashtag(x), "{:?}", x),
                    }
                }
            }

            #[test]
            fn extracted_names_are_in_the_text(s in input()) {
                let Extracted { mentions, tags } = extract(&s);
                let lower = s.to_ascii_lowercase();
                for (i, m) in mentions.iter().enumerate() {
                    prop_assert!(!m.is_empty() && !mentions[..i].contains(m), "{:?}", mentions);
                    prop_assert!(lower.contains(&format!("@{m}")), "@{} not in {:?}", m, s);
                }
                for (i, t) in tags.iter().enumerate() {
                    prop_assert!(!t.is_empty() && !tags[..i].contains(t), "{:?}", tags);
                    prop_assert!(tag_in_text(&s, t), "#{} not in {:?}", t, s);
                }
            }

            #[test]
            fn links_weigh_the_same_whatever_their_length(s in input()) {
                let tokens = tokenize(&s);
                let links: Vec<&str> =
                    tokens.iter().filter_map(|t| if let Token::Link(l) = t { Some(*l) } else { None }).collect();
                let link_chars: usize = links.iter().map(|l| l.chars().count()).sum();
                prop_assert_eq!(weighted_length(&s), s.chars().count() - link_chars + URL_WEIGHT * links.len());
            }

            /// A space ends every token and starts text afresh, so the halves count apart.
            #[test]
            fn length_adds_up_across_a_space(a in input(), b in input()) {
                let joined = format!("{a} {b}");
                prop_assert_eq!(weighted_length(&joined), weighted_length(&a) + 1 + weighted_length(&b));
            }

            #[test]
            fn rendering_never_lets_a_tag_through(s in input()) {
                for out in [html(&s, &nobody), html(&s, &everybody)] {
                    let markup = parse_markup(&out).map_err(TestCaseError::fail)?;
                    for href in &markup.hrefs {
                        let href = href.to_ascii_lowercase();
                        prop_assert!(href.starts_with("http://") || href.starts_with("https://"), "{}", out);
                    }
                }
            }

            /// Even what an account resolver returns is escaped.
            #[test]
            fn resolved_names_are_escaped_too(s in input(), name in input()) {
                let hostile = |_: &str| Some((name.clone(), name.clone()));
                parse_markup(&html(&s, &hostile)).map_err(TestCaseError::fail)?;
            }

            /// Every character the author typed reaches the reader, except the line breaks that
            /// became paragraphs and `<br />`.
            #[test]
            fn rendering_keeps_all_the_text(s in input()) {
                let markup = parse_markup(&html(&s, &nobody)).map_err(TestCaseError::fail)?;
                let typed: String = s.replace("\r\n", "\n").chars().filter(|&c| c != '\n').collect();
                prop_assert_eq!(markup.text, typed);
            }

            #[test]
            fn escaping_leaves_no_markup_and_loses_nothing(s in input(), before in "\\PC{0,5}") {
                let mut out = before.clone();
                escape_html(&s, &mut out);
                let escaped = out.strip_prefix(before.as_str()).ok_or_else(|| TestCaseError::fail("prefix lost"))?;
                prop_assert!(!escaped.contains(['<', '>', '"', '\'']), "{:?}", escaped);
                prop_assert_eq!(unescape(escaped).map_err(TestCaseError::fail)?, s);
            }
        }
    }
}
