//! Home timelines in this process's memory: the cache for a node on its own (embedded SQLite),
//! with the same rules as the Redis one (`scripts`), so that the worker and the reads need not
//! know which they use. A home is the ids of its newest statuses, ascending, capped; a home that
//! is not here is missing and is rebuilt from the store when next read. Nothing here survives
//! a restart, and nothing needs to: the store computes every home when asked (ADR 14).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use starling_core::Id;
use starling_core::page::PageRequest;

/// The homes and the worker's offset, behind one lock held for microseconds at a time.
pub struct MemoryHomes {
    state: Mutex<State>,
    /// The most homes kept; beyond it the least recently used are dropped.
    max_homes: usize,
}

#[derive(Default)]
struct State {
    offset: Option<i64>,
    homes: HashMap<Id, Home>,
    /// Counts reads and installs, to tell which homes were used last.
    clock: u64,
}

struct Home {
    /// Ascending.
    ids: VecDeque<Id>,
    used: u64,
}

impl MemoryHomes {
    pub fn new(max_homes: usize) -> MemoryHomes {
        MemoryHomes { state: Mutex::new(State::default()), max_homes: max_homes.max(1) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves homes that are at worst missing an id; the data
        // is a cache, so carrying on is right.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn offset(&self) -> Option<i64> {
        self.state().offset
    }

    /// Sets the offset if there is none; the offset afterwards.
    pub fn init_offset(&self, seq: i64) -> Option<i64> {
        Some(*self.state().offset.get_or_insert(seq))
    }

    /// Moves the offset from `from` to `to` if it still is `from`.
    pub fn advance(&self, from: i64, to: i64) -> bool {
        let mut state = self.state();
        if state.offset != Some(from) {
            return false;
        }
        state.offset = Some(to);
        true
    }

    /// Adds `id` to each of `homes` that exists, keeping the newest `cap`.
    pub fn add(&self, homes: &[Id], id: Id, cap: u32) {
        let mut state = self.state();
        for account in homes {
            let Some(home) = state.homes.get_mut(account) else { continue };
            // New statuses have the highest ids: almost always an append.
            match home.ids.back() {
                Some(&last) if last >= id => {
                    if let Err(at) = home.ids.binary_search(&id) {
                        home.ids.insert(at, id);
                    }
                }
                _ => home.ids.push_back(id),
            }
            while home.ids.len() > cap as usize {
                home.ids.pop_front();
            }
        }
    }

    pub fn remove(&self, homes: &[Id], id: Id) {
        let mut state = self.state();
        for account in homes {
            if let Some(home) = state.homes.get_mut(account)
                && let Ok(at) = home.ids.binary_search(&id)
            {
                home.ids.remove(at);
            }
        }
    }

    pub fn forget(&self, homes: &[Id]) {
        let mut state = self.state();
        for account in homes {
            state.homes.remove(account);
        }
    }

    /// One page of `home`'s ids, in the direction `req` walks (up for `min_id`); `None` when
    /// the home is missing.
    pub fn read(&self, home: Id, req: &PageRequest) -> Option<Vec<Id>> {
        let mut state = self.state();
        state.clock += 1;
        let clock = state.clock;
        let home = state.homes.get_mut(&home)?;
        home.used = clock;
        let ids = &home.ids;
        // Both bounds exclusive.
        let start = req.lower().map_or(0, |low| ids.partition_point(|&id| id <= low));
        let end = req.max_id.map_or(ids.len(), |high| ids.partition_point(|&id| id < high));
        let within = ids.range(start..end.max(start));
        let limit = req.limit as usize;
        Some(if req.ascending() {
            within.take(limit).copied().collect()
        } else {
            within.rev().take(limit).copied().collect()
        })
    }

    /// Installs `home` with `ids` (the store's backfill, as of event `seen`), unless it exists
    /// already (it was built meanwhile and is as fresh), or the offset is missing or past
    /// `seen`: the worker may then have skipped this missing home for events the build did not
    /// see either. True when the home is there afterwards.
    pub fn install(&self, home: Id, ids: &[Id], seen: i64, cap: u32) -> bool {
        let mut state = self.state();
        if state.homes.contains_key(&home) {
            return true;
        }
        if state.offset.is_none_or(|offset| offset > seen) {
            return false;
        }
        if state.homes.len() >= self.max_homes {
            evict(&mut state.homes, self.max_homes);
        }
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let skip = sorted.len().saturating_sub(cap as usize);
        state.clock += 1;
        let used = state.clock;
        state.homes.insert(home, Home { ids: sorted.into_iter().skip(skip).collect(), used });
        true
    }

    /// How many homes are here.
    pub fn len(&self) -> usize {
        self.state().homes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the least recently used eighth of the homes at once, so that a full cache pays for a
/// sort only once in a while.
fn evict(homes: &mut HashMap<Id, Home>, max: usize) {
    let mut used: Vec<u64> = homes.values().map(|h| h.used).collect();
    let drop = (max / 8).max(1).min(used.len());
    let (_, &mut cutoff, _) = used.select_nth_unstable(drop - 1);
    let mut left = drop;
    homes.retain(|_, home| {
        if left > 0 && home.used <= cutoff {
            left -= 1;
            false
        } else {
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(raw: &[i64]) -> Vec<Id> {
        raw.iter().copied().map(Id).collect()
    }

    fn homes_with(home: Id, raw: &[i64]) -> MemoryHomes {
        let homes = MemoryHomes::new(10);
        homes.init_offset(5);
        assert!(homes.install(home, &ids(raw), 5, 4));
        homes
    }

    #[test]
    fn pages_walk_from_either_end_between_exclusive_bounds() {
        let homes = homes_with(Id(1), &[10, 20, 30, 40]);
        let first = PageRequest::first(2);
        assert_eq!(homes.read(Id(1), &first), Some(ids(&[40, 30])));
        let older = PageRequest { max_id: Some(Id(30)), ..first };
        assert_eq!(homes.read(Id(1), &older), Some(ids(&[20, 10])));
        let newer = PageRequest { min_id: Some(Id(10)), ..first };
        assert_eq!(homes.read(Id(1), &newer), Some(ids(&[20, 30])), "min_id walks up from the cursor");
        let since = PageRequest { since_id: Some(Id(20)), ..PageRequest::first(20) };
        assert_eq!(homes.read(Id(1), &since), Some(ids(&[40, 30])));
        let empty = PageRequest { max_id: Some(Id(10)), since_id: Some(Id(30)), ..first };
        assert_eq!(homes.read(Id(1), &empty), Some(vec![]), "crossed bounds: an empty page");
        assert_eq!(homes.read(Id(2), &first), None, "a missing home");
    }

    #[test]
    fn homes_keep_their_newest_ids_and_only_existing_homes_take_new_ones() {
        let homes = homes_with(Id(1), &[10, 20, 30, 40, 50]);
        assert_eq!(homes.read(Id(1), &PageRequest::first(10)), Some(ids(&[50, 40, 30, 20])), "capped at install");
        homes.add(&[Id(1), Id(2)], Id(60), 4);
        homes.add(&[Id(1)], Id(35), 4);
        assert_eq!(homes.read(Id(1), &PageRequest::first(10)), Some(ids(&[60, 50, 40, 35])));
        assert_eq!(homes.read(Id(2), &PageRequest::first(10)), None, "adding does not create a home");
        homes.remove(&[Id(1)], Id(50));
        assert_eq!(homes.read(Id(1), &PageRequest::first(10)), Some(ids(&[60, 40, 35])));
        homes.forget(&[Id(1)]);
        assert_eq!(homes.read(Id(1), &PageRequest::first(10)), None);
    }

    #[test]
    fn a_build_older_than_the_offset_is_dropped() {
        let homes = MemoryHomes::new(10);
        assert!(!homes.install(Id(1), &ids(&[1]), 3, 10), "no offset yet");
        assert_eq!(homes.init_offset(7), Some(7));
        assert_eq!(homes.init_offset(9), Some(7), "the first offset stays");
        assert!(!homes.install(Id(1), &ids(&[1]), 6, 10), "the worker is past what the build saw");
        assert!(homes.install(Id(1), &ids(&[1]), 7, 10));
        assert!(homes.install(Id(1), &ids(&[2]), 7, 10), "already there: kept as it is");
        assert_eq!(homes.read(Id(1), &PageRequest::first(10)), Some(ids(&[1])));
        assert!(!homes.advance(6, 8), "only from where it is");
        assert!(homes.advance(7, 8));
        assert_eq!(homes.offset(), Some(8));
    }

    #[test]
    fn a_full_cache_drops_the_homes_used_longest_ago() {
        let homes = MemoryHomes::new(8);
        homes.init_offset(0);
        for account in 0..8 {
            assert!(homes.install(Id(account), &ids(&[1]), 0, 10));
        }
        // Home 0 is read now: it is the most recently used.
        assert!(homes.read(Id(0), &PageRequest::first(1)).is_some());
        assert!(homes.install(Id(100), &ids(&[1]), 0, 10));
        assert_eq!(homes.len(), 8);
        assert!(homes.read(Id(0), &PageRequest::first(1)).is_some(), "recently read: kept");
        assert!(homes.read(Id(1), &PageRequest::first(1)).is_none(), "used longest ago: dropped");
        assert!(homes.read(Id(100), &PageRequest::first(1)).is_some());
    }
}
