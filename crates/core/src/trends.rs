//! Trends: what is being talked about now, more than usual. Hashtags are scored by how many
//! distinct accounts used them today against how many did on an ordinary day of the week
//! before, so one account posting a tag fifty times moves it no more than posting it once;
//! statuses by the engagement they drew while fresh. Pure functions of counts the store gives,
//! so that every backend ranks alike.

use std::collections::HashMap;

use crate::model::Timestamp;

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How many days of history a tag shows, today included.
pub const HISTORY_DAYS: i64 = 7;
/// A tag trends only if at least this many accounts used it today.
pub const MIN_ACCOUNTS: i64 = 2;

/// How one tag was used on one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagDay {
    pub tag: String,
    /// The day's index since the Unix epoch (`ms / DAY_MS`).
    pub day: i64,
    pub uses: i64,
    pub accounts: i64,
}

/// One day of a tag's history, newest first in [`history`]: Mastodon's `History`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryDay {
    /// The day's first second, Unix time.
    pub day_start: i64,
    pub uses: i64,
    pub accounts: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrendingTag {
    pub name: String,
    pub score: f64,
    /// [`HISTORY_DAYS`] days, today first.
    pub history: Vec<HistoryDay>,
}

/// The day index of `at`.
pub fn day_of(at: Timestamp) -> i64 {
    at.0.div_euclid(DAY_MS)
}

/// The first millisecond of the oldest day of history as of `now`.
pub fn history_start(now: Timestamp) -> Timestamp {
    Timestamp((day_of(now) - (HISTORY_DAYS - 1)) * DAY_MS)
}

/// `tag`'s history as of `now` from its days (any order; missing days are zero).
pub fn history(days: &[TagDay], now: Timestamp) -> Vec<HistoryDay> {
    let today = day_of(now);
    (0..HISTORY_DAYS)
        .map(|back| {
            let day = today - back;
            let found = days.iter().find(|d| d.day == day);
            HistoryDay {
                day_start: day * DAY_MS / 1000,
                uses: found.map_or(0, |d| d.uses),
                accounts: found.map_or(0, |d| d.accounts),
            }
        })
        .collect()
}

/// The trending tags as of `now`, best first, at most `limit`. A tag's score is how far today's
/// distinct accounts exceed the mean of the six days before, relative to that mean (plus one,
/// so that a tag new today is measured against one account).
pub fn trending_tags(days: &[TagDay], now: Timestamp, limit: usize) -> Vec<TrendingTag> {
    let today = day_of(now);
    let mut by_tag: HashMap<&str, Vec<TagDay>> = HashMap::new();
    for d in days {
        by_tag.entry(d.tag.as_str()).or_default().push(d.clone());
    }
    let mut out: Vec<TrendingTag> = by_tag
        .into_iter()
        .filter_map(|(tag, days)| {
            let accounts_on = |day: i64| days.iter().find(|d| d.day == day).map_or(0, |d| d.accounts);
            let current = accounts_on(today);
            if current < MIN_ACCOUNTS {
                return None;
            }
            let before: i64 = (1..HISTORY_DAYS).map(|back| accounts_on(today - back)).sum();
            let usual = before as f64 / (HISTORY_DAYS - 1) as f64;
            let score = (current as f64 - usual) / (usual + 1.0);
            (score > 0.0).then(|| TrendingTag { name: tag.to_string(), score, history: history(&days, now) })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
    out.truncate(limit);
    out
}

/// What a status's engagement needs for ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Engagement {
    pub created_at: Timestamp,
    pub favourites: i64,
    pub reblogs: i64,
    pub replies: i64,
}

/// How long a status's engagement takes to count half as much.
pub const STATUS_HALF_LIFE_MS: f64 = 6.0 * 60.0 * 60.0 * 1000.0;

/// A status's trend score: reblogs weigh double, and engagement halves every six hours of age.
pub fn status_score(e: Engagement, now: Timestamp) -> f64 {
    let engagement = (e.favourites + 2 * e.reblogs + e.replies) as f64;
    let age = (now.0 - e.created_at.0).max(0) as f64;
    engagement * 0.5f64.powf(age / STATUS_HALF_LIFE_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(tag: &str, day: i64, uses: i64, accounts: i64) -> TagDay {
        TagDay { tag: tag.into(), day, uses, accounts }
    }

    #[test]
    fn many_voices_beat_one_loud_one() {
        let now = Timestamp(100 * DAY_MS + 3_600_000);
        let days = [day("crowd", 100, 5, 5), day("spam", 100, 50, 1), day("pair", 100, 2, 2)];
        let names: Vec<String> = trending_tags(&days, now, 10).into_iter().map(|t| t.name).collect();
        assert_eq!(names, vec!["crowd", "pair"], "one account never trends a tag");
    }

    #[test]
    fn the_usual_is_not_news() {
        let now = Timestamp(100 * DAY_MS);
        let mut days: Vec<TagDay> = (94..=100).map(|d| day("daily", d, 10, 10)).collect();
        days.push(day("sudden", 100, 4, 4));
        days.push(day("sudden", 97, 1, 1));
        let trending = trending_tags(&days, now, 10);
        assert_eq!(trending.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["sudden"]);
        let history = &trending[0].history;
        assert_eq!(history.len(), 7);
        assert_eq!((history[0].day_start, history[0].accounts), (100 * DAY_MS / 1000, 4));
        assert_eq!(history[3].accounts, 1);
        assert_eq!(history[6].day_start, 94 * DAY_MS / 1000);
    }

    #[test]
    fn engagement_fades_with_age() {
        let now = Timestamp(10 * DAY_MS);
        let fresh = Engagement { created_at: now, favourites: 2, reblogs: 1, replies: 0 };
        let old = Engagement { created_at: Timestamp(now.0 - 12 * 3_600_000), ..fresh };
        assert_eq!(status_score(fresh, now), 4.0);
        assert!((status_score(old, now) - 1.0).abs() < 1e-9, "two half-lives");
    }
}
