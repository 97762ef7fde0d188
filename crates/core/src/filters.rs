//! Keyword filters (Mastodon's v2 filters): an account's words that take statuses out of some of
//! its timelines (`hide`) or mark them there (`warn`, which clients fold behind the filter's
//! title), in the contexts it names, until it expires.

use std::fmt;
use std::str::FromStr;

use crate::id::Id;
use crate::model::{Status, Timestamp};

/// Where a filter applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterContext {
    /// The home timeline (and the `user` stream).
    Home,
    Notifications,
    /// The public and hashtag timelines (and their streams).
    Public,
    /// A status's thread (context).
    Thread,
    /// An account's profile.
    Account,
}

impl FilterContext {
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }
}

impl FilterContext {
    /// A list of contexts as stores keep it: names joined by commas.
    pub fn join(list: &[FilterContext]) -> String {
        list.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
    }

    /// What [`FilterContext::join`] wrote; unknown names are skipped.
    pub fn split(text: &str) -> Vec<FilterContext> {
        text.split(',').filter_map(|c| c.parse().ok()).collect()
    }
}

impl FromStr for FilterContext {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        FilterContext::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

impl fmt::Display for FilterContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a matching filter does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterAction {
    /// The status stays, marked `filtered` with the filter and the words that matched.
    Warn,
    /// The status is left out.
    Hide,
}

impl FilterAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
        }
    }
}

impl FromStr for FilterAction {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "warn" => Ok(FilterAction::Warn),
            "hide" => Ok(FilterAction::Hide),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterKeyword {
    pub id: Id,
    pub keyword: String,
    /// Only whole words match (`cat` does not match `category`).
    pub whole_word: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub id: Id,
    pub account_id: Id,
    pub title: String,
    pub context: Vec<FilterContext>,
    pub action: FilterAction,
    pub expires_at: Option<Timestamp>,
    pub keywords: Vec<FilterKeyword>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewFilter {
    pub id: Id,
    pub account_id: Id,
    pub title: String,
    pub context: Vec<FilterContext>,
    pub action: FilterAction,
    pub expires_at: Option<Timestamp>,
    pub keywords: Vec<FilterKeyword>,
    pub created_at: Timestamp,
}

/// A change to a filter: each field given replaces its value; keywords are added, changed or
/// removed one by one.
#[derive(Clone, Debug, Default)]
pub struct FilterUpdate {
    pub title: Option<String>,
    pub context: Option<Vec<FilterContext>>,
    pub action: Option<FilterAction>,
    /// `Some(None)`: never expires.
    pub expires_at: Option<Option<Timestamp>>,
    pub add: Vec<FilterKeyword>,
    pub change: Vec<FilterKeyword>,
    pub remove: Vec<Id>,
}

/// What of a status filters read, folded to lower case: its content warning, its words and its
/// media descriptions (of what it reblogs, for a reblog).
pub fn filterable_text(status: &Status) -> String {
    let shown = status.reblog.as_deref().unwrap_or(status);
    let mut text = String::with_capacity(shown.text.len() + shown.spoiler_text.len() + 2);
    text.push_str(&shown.spoiler_text);
    text.push('\n');
    text.push_str(&shown.text);
    for media in shown.media.iter().filter(|m| !m.description.is_empty()) {
        text.push('\n');
        text.push_str(&media.description);
    }
    text.to_lowercase()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `keyword` occurs in `text` (both lower-cased); as a whole word only when asked. A
/// keyword that starts or ends with a non-word character is bounded there by itself.
fn occurs(text: &str, keyword: &str, whole_word: bool) -> bool {
    if keyword.is_empty() {
        return false;
    }
    if !whole_word {
        return text.contains(keyword);
    }
    let starts_word = keyword.chars().next().is_some_and(is_word_char);
    let ends_word = keyword.chars().next_back().is_some_and(is_word_char);
    text.match_indices(keyword).any(|(at, found)| {
        let before = text[..at].chars().next_back();
        let after = text[at + found.len()..].chars().next();
        (!starts_word || !before.is_some_and(is_word_char)) && (!ends_word || !after.is_some_and(is_word_char))
    })
}

impl Filter {
    pub fn active(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|end| end > now)
    }

    pub fn applies_in(&self, context: FilterContext, now: Timestamp) -> bool {
        self.active(now) && self.context.contains(&context)
    }

    /// The keywords found in `text` (from [`filterable_text`]), as the filter spells them.
    pub fn matches(&self, text: &str) -> Vec<String> {
        self.keywords
            .iter()
            .filter(|k| occurs(text, &k.keyword.to_lowercase(), k.whole_word))
            .map(|k| k.keyword.clone())
            .collect()
    }
}

/// A filter that matched a status, with the keywords it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterMatch {
    pub filter: Filter,
    pub keywords: Vec<String>,
}

/// What an account's filters say of a status in `context` at `now`: hidden (some matching
/// filter hides), or the `warn` filters that matched (empty: nothing to say).
pub fn judge(filters: &[Filter], status: &Status, context: FilterContext, now: Timestamp) -> Judgement {
    let mut active = filters.iter().filter(|f| f.applies_in(context, now)).peekable();
    if active.peek().is_none() {
        return Judgement::Shown(Vec::new());
    }
    let text = filterable_text(status);
    judge_text(active, &text)
}

/// [`judge`] of a text already folded by [`filterable_text`] (live delivery folds it once for
/// every connection).
pub fn judge_text<'a>(filters: impl Iterator<Item = &'a Filter>, text: &str) -> Judgement {
    let mut warnings = Vec::new();
    for filter in filters {
        let keywords = filter.matches(text);
        if keywords.is_empty() {
            continue;
        }
        if filter.action == FilterAction::Hide {
            return Judgement::Hidden;
        }
        warnings.push(FilterMatch { filter: filter.clone(), keywords });
    }
    Judgement::Shown(warnings)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    Hidden,
    /// Shown, with the `warn` filters that matched.
    Shown(Vec<FilterMatch>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::status;
    use crate::model::Visibility;

    fn filter(action: FilterAction, context: &[FilterContext], words: &[(&str, bool)]) -> Filter {
        Filter {
            id: Id(1),
            account_id: Id(1),
            title: "t".into(),
            context: context.to_vec(),
            action,
            expires_at: Some(Timestamp(1_000)),
            keywords: words
                .iter()
                .enumerate()
                .map(|(i, (w, whole))| FilterKeyword { id: Id(i as i64), keyword: (*w).into(), whole_word: *whole })
                .collect(),
            created_at: Timestamp(0),
        }
    }

    fn saying(text: &str) -> Status {
        let mut s = status(10, 2, Visibility::Public);
        s.text = text.into();
        s
    }

    #[test]
    fn whole_words_match_at_word_boundaries_and_other_keywords_anywhere() {
        let f = filter(FilterAction::Warn, &[FilterContext::Home], &[("cat", true), ("Spoil", false)]);
        assert_eq!(f.matches(&filterable_text(&saying("A CAT sat"))), vec!["cat"]);
        assert!(f.matches(&filterable_text(&saying("a category"))).is_empty());
        assert_eq!(f.matches(&filterable_text(&saying("unspoiled"))), vec!["Spoil"]);
        let dotted = filter(FilterAction::Warn, &[FilterContext::Home], &[("#tag", true)]);
        assert_eq!(dotted.matches(&filterable_text(&saying("see #tag."))), vec!["#tag"]);
        assert!(dotted.matches(&filterable_text(&saying("see #tags"))).is_empty());
    }

    #[test]
    fn hide_wins_warn_marks_and_only_where_and_while_the_filter_applies() {
        let warn = filter(FilterAction::Warn, &[FilterContext::Home], &[("soup", true)]);
        let hide = filter(FilterAction::Hide, &[FilterContext::Public], &[("soup", true)]);
        let both = [warn.clone(), hide];
        let soup = saying("hot soup");
        match judge(&both, &soup, FilterContext::Home, Timestamp(0)) {
            Judgement::Shown(m) => assert_eq!(m, vec![FilterMatch { filter: warn, keywords: vec!["soup".into()] }]),
            Judgement::Hidden => panic!("warned, not hidden, at home"),
        }
        assert_eq!(judge(&both, &soup, FilterContext::Public, Timestamp(0)), Judgement::Hidden);
        assert_eq!(judge(&both, &soup, FilterContext::Thread, Timestamp(0)), Judgement::Shown(Vec::new()));
        assert_eq!(
            judge(&both, &soup, FilterContext::Public, Timestamp(1_000)),
            Judgement::Shown(Vec::new()),
            "expired"
        );
        let mut reblog = saying("");
        reblog.reblog = Some(Box::new(soup));
        assert_eq!(judge(&both, &reblog, FilterContext::Public, Timestamp(0)), Judgement::Hidden, "what it reblogs");
    }
}
