//! Media attachments: images uploaded before the status, story or chat message that carries
//! them. The store keeps what is known about each file; the files themselves live in an object
//! store, under the keys recorded here.

use crate::id::Id;
use crate::model::Timestamp;

/// The most attachments one status, story or chat message may carry.
pub const MAX_ATTACHMENTS: usize = 4;
/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 1500;

/// Sizes of an image and of its preview, in pixels, and of the stored original in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MediaMeta {
    pub width: i64,
    pub height: i64,
    pub preview_width: i64,
    pub preview_height: i64,
    pub bytes: i64,
}

#[derive(Clone, Debug)]
pub struct NewMedia {
    pub id: Id,
    pub account_id: Id,
    pub content_type: String,
    pub file_key: String,
    pub preview_content_type: String,
    pub preview_key: String,
    pub description: String,
    pub focus: Focus,
    pub meta: MediaMeta,
    pub blurhash: String,
    pub created_at: Timestamp,
}

/// Where the image's focus is (Mastodon's focal point): `x` from -1 (left) to 1 (right), `y`
/// from -1 (bottom) to 1 (top); the centre by default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Focus {
    pub x: f64,
    pub y: f64,
}

// Never NaN: a focus is only made by `Focus::parse` or read back from what it stored.
impl Eq for Focus {}

impl Focus {
    /// `"x,y"`, each a number from -1 to 1.
    pub fn parse(s: &str) -> Option<Focus> {
        let (x, y) = s.split_once(',')?;
        let (x, y): (f64, f64) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
        let valid = |v: f64| v.is_finite() && (-1.0..=1.0).contains(&v);
        (valid(x) && valid(y)).then_some(Focus { x, y })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    pub id: Id,
    pub account_id: Id,
    pub content_type: String,
    pub file_key: String,
    pub preview_content_type: String,
    pub preview_key: String,
    pub description: String,
    pub focus: Focus,
    pub meta: MediaMeta,
    pub blurhash: String,
    pub created_at: Timestamp,
    /// Whether a status, story or chat message carries it; then it can no longer be changed
    /// through the media API, nor attached again.
    pub attached: bool,
}

/// What `PUT /api/v1/media/:id` may change before the media is attached.
#[derive(Clone, Debug, Default)]
pub struct MediaUpdate {
    pub description: Option<String>,
    pub focus: Option<Focus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_focus_is_two_numbers_between_minus_one_and_one() {
        assert_eq!(Focus::parse("0.5,-1"), Some(Focus { x: 0.5, y: -1.0 }));
        assert_eq!(Focus::parse(" -0.25 , 0 "), Some(Focus { x: -0.25, y: 0.0 }));
        for bad in ["", "1", "2,0", "0,-1.5", "NaN,0", "inf,0", "a,b"] {
            assert_eq!(Focus::parse(bad), None, "{bad:?}");
        }
    }
}
