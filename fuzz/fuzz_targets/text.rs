//! The status text parser and renderer on arbitrary UTF-8: no panic, the tokens give back the
//! text, and no markup gets through the renderer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use starling_core::text::{Token, URL_WEIGHT, extract, render, tokenize, weighted_length};

/// The only tags the renderer writes; any other `<` came from the author.
const TAGS: &[&str] = &["<p>", "</p>", "<br />", "<a ", "</a>", "<span ", "<span>", "</span>"];

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

fuzz_target!(|text: &str| {
    let tokens = tokenize(text);
    assert_eq!(rebuild(&tokens), text);
    let extracted = extract(text);
    assert!(extracted.mentions.iter().chain(&extracted.tags).all(|name| !name.is_empty()));
    let links: Vec<&str> = tokens.iter().filter_map(|t| if let Token::Link(l) = t { Some(*l) } else { None }).collect();
    let link_chars: usize = links.iter().map(|l| l.chars().count()).sum();
    assert_eq!(weighted_length(text), text.chars().count() - link_chars + URL_WEIGHT * links.len());
    let html = render(text, "https://s.example", &everybody);
    for (i, _) in html.match_indices('<') {
        assert!(TAGS.iter().any(|tag| html[i..].starts_with(tag)), "{html}");
    }
});
