//! Mastodon-style paging: `max_id` (older than), `since_id` (newer than, newest first),
//! `min_id` (newer than, immediately after it) and `limit`. Every list answers newest first
//! and tells the caller which cursors to use for the next and previous pages.

use crate::id::Id;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub max_id: Option<Id>,
    pub since_id: Option<Id>,
    pub min_id: Option<Id>,
    pub limit: u32,
}

impl PageRequest {
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { max_id: None, since_id: None, min_id: None, limit }
    }

    /// With `min_id` the caller wants the page right above it, so the backend walks upwards
    /// (ascending) and the page is reversed afterwards; otherwise it walks down from the top.
    pub fn ascending(&self) -> bool {
        self.min_id.is_some()
    }

    /// The exclusive lower bound: `min_id` wins over `since_id` as in Mastodon.
    pub fn lower(&self) -> Option<Id> {
        self.min_id.or(self.since_id)
    }
}

/// One page of a list, newest first. Cursors are the ids the list is ordered by, which are not
/// always the ids of the items: a page of favourited statuses is ordered by favourite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursors: Vec<Id>,
}

impl<T> Page<T> {
    pub fn empty() -> Page<T> {
        Page { items: Vec::new(), cursors: Vec::new() }
    }

    /// Builds a page from `(cursor, item)` pairs fetched in the direction `request` asks for.
    pub fn from_fetched(request: &PageRequest, mut rows: Vec<(Id, T)>) -> Page<T> {
        if request.ascending() {
            rows.reverse();
        }
        let (cursors, items) = rows.into_iter().unzip();
        Page { items, cursors }
    }

    /// The cursor for `max_id` of the next (older) page.
    pub fn next_max_id(&self) -> Option<Id> {
        self.cursors.last().copied()
    }

    /// The cursor for `min_id` of the previous (newer) page.
    pub fn prev_min_id(&self) -> Option<Id> {
        self.cursors.first().copied()
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), cursors: self.cursors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_id_pages_are_fetched_upwards_and_returned_newest_first() {
        let req = PageRequest { min_id: Some(Id(1)), ..PageRequest::first(2) };
        let page = Page::from_fetched(&req, vec![(Id(2), "b"), (Id(3), "c")]);
        assert_eq!(page.items, vec!["c", "b"]);
        assert_eq!(page.prev_min_id(), Some(Id(3)));
        assert_eq!(page.next_max_id(), Some(Id(2)));
    }
}
