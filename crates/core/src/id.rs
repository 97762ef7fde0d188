//! Time-ordered 64-bit identifiers, unique across nodes without coordination.
//!
//! Layout (Snowflake-style): 41 bits of milliseconds since [`EPOCH_MS`], 10 bits of node id and
//! 12 bits of per-millisecond sequence. Sorting by id sorts by creation time, which is what the
//! Mastodon API's `max_id`/`since_id`/`min_id` paging relies on. Ids travel as strings in JSON
//! because JavaScript numbers cannot hold 64 bits.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 2024-01-01T00:00:00Z: ids stay positive in an `i64` until the year 2093.
pub const EPOCH_MS: i64 = 1_704_067_200_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
pub const MAX_NODE: u16 = (1 << NODE_BITS) - 1;
const SEQ_MASK: i64 = (1 << SEQ_BITS) - 1;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Id(pub i64);

impl Id {
    /// The smallest id that could have been generated at `unix_ms`; useful as a paging bound.
    pub fn floor_at(unix_ms: i64) -> Id {
        Id((unix_ms - EPOCH_MS).max(0) << (NODE_BITS + SEQ_BITS))
    }

    /// Milliseconds since the Unix epoch at which this id was generated.
    pub fn unix_ms(self) -> i64 {
        (self.0 >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid id")]
pub struct BadId;

impl FromStr for Id {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        // Only canonical positive decimals: "007" or "+7" would alias another id's cache key.
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadId);
        }
        if s.len() > 1 && s.starts_with('0') {
            return Err(BadId);
        }
        s.parse::<i64>().map(Id).map_err(|_| BadId)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            N(i64),
        }
        match Raw::deserialize(d)? {
            Raw::S(s) => s.parse().map_err(serde::de::Error::custom),
            Raw::N(n) if n >= 0 => Ok(Id(n)),
            Raw::N(_) => Err(serde::de::Error::custom(BadId)),
        }
    }
}

/// Hands out ids for one node. Cheap to share; one lock per id.
#[derive(Debug)]
pub struct IdGenerator {
    node: i64,
    last: Mutex<(i64, i64)>,
}

impl IdGenerator {
    pub fn new(node: u16) -> Self {
        assert!(node <= MAX_NODE, "node id must be at most {MAX_NODE}");
        IdGenerator { node: i64::from(node), last: Mutex::new((0, 0)) }
    }

    pub fn next(&self) -> Id {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        self.next_at(now)
    }

    /// The next id at wall-clock `unix_ms`. The clock may step backwards (NTP); ids never do:
    /// we keep using the last millisecond and borrow from the future when its sequence runs out.
    pub fn next_at(&self, unix_ms: i64) -> Id {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let (mut ms, mut seq) = *last;
        let now = (unix_ms - EPOCH_MS).max(0);
        if now > ms {
            ms = now;
            seq = 0;
        } else {
            seq += 1;
            if seq > SEQ_MASK {
                ms += 1;
                seq = 0;
            }
        }
        *last = (ms, seq);
        Id((ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_even_when_the_clock_goes_back() {
        let g = IdGenerator::new(3);
        let a = g.next_at(EPOCH_MS + 10_000);
        let b = g.next_at(EPOCH_MS + 5_000);
        let c = g.next_at(EPOCH_MS + 10_000);
        assert!(a < b && b < c);
    }

    #[test]
    fn an_exhausted_millisecond_borrows_the_next_one() {
        let g = IdGenerator::new(0);
        let mut prev = Id(0);
        for _ in 0..10_000 {
            let id = g.next_at(EPOCH_MS + 1);
            assert!(id > prev);
            prev = id;
        }
    }

    #[test]
    fn ids_from_two_nodes_in_the_same_millisecond_differ() {
        let a = IdGenerator::new(1).next_at(EPOCH_MS + 42);
        let b = IdGenerator::new(2).next_at(EPOCH_MS + 42);
        assert_ne!(a, b);
        assert_eq!(a.unix_ms(), EPOCH_MS + 42);
    }

    #[test]
    fn only_canonical_decimal_strings_parse() {
        assert_eq!("123".parse::<Id>(), Ok(Id(123)));
        for bad in ["", "-1", "+1", "01", "1a", "99999999999999999999", " 1"] {
            assert_eq!(bad.parse::<Id>(), Err(BadId), "{bad:?}");
        }
    }

    #[test]
    fn ids_serialise_as_strings() {
        assert_eq!(serde_json::to_string(&Id(42)).ok().as_deref(), Some("\"42\""));
        let back: Id = serde_json::from_str("\"42\"").unwrap_or_default();
        assert_eq!(back, Id(42));
    }
}
